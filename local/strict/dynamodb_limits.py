"""DynamoDB's request limits, refused as DynamoDB refuses them (moto lets a 26-item batch and a
transaction of any size through): 25 requests per BatchWriteItem, 100 items and 4 MB per
TransactWriteItems. Sizes are counted by DynamoDB's rules for item size (docs/local-aws.md)."""

from __future__ import annotations

import base64
from typing import Any

from core.store.items import item_size
from local.strict.answers import Answer, error
from local.strict.calls import AwsCall

BATCH_WRITE_REQUESTS = 25
TRANSACTION_ITEMS = 100
TRANSACTION_BYTES = 4 * 1024 * 1024
_VALIDATION = "ValidationException"


def refuse(call: AwsCall) -> Answer | None:
    """DynamoDB's ValidationException for a call over one of its request limits, else None."""
    if call.operation == "BatchWriteItem":
        return _batch_write(call)
    if call.operation == "TransactWriteItems":
        return _transaction(call)
    return None


def _batch_write(call: AwsCall) -> Answer | None:
    batches = call.params.get("RequestItems", {})
    if any(len(requests) > BATCH_WRITE_REQUESTS for requests in batches.values()):
        return error(call, 400, _VALIDATION, (
            "1 validation error detected: Value at 'requestItems' failed to satisfy constraint: "
            "Map value must satisfy constraint: [Member must have length less than or equal to "
            f"{BATCH_WRITE_REQUESTS}, Member must have length greater than or equal to 1]"))
    if sum(len(requests) for requests in batches.values()) > BATCH_WRITE_REQUESTS:
        return error(call, 400, _VALIDATION, "Too many items requested for the BatchWriteItem call")
    return None


def _transaction(call: AwsCall) -> Answer | None:
    items = call.params.get("TransactItems", [])
    if len(items) > TRANSACTION_ITEMS:
        return error(call, 400, _VALIDATION, (
            "1 validation error detected: Value at 'transactItems' failed to satisfy constraint: "
            f"Member must have length less than or equal to {TRANSACTION_ITEMS}"))
    if sum(_request_size(body) for item in items for body in item.values()) > TRANSACTION_BYTES:
        return error(call, 400, _VALIDATION, "Transaction request cannot be larger than 4 MB")
    return None


def _request_size(body: Any) -> int:
    """The bytes one transaction item writes or names: its item (Put), or its key and values, sized as the
    store sizes its own items (core/store/items.py)."""
    if not isinstance(body, dict):
        return 0
    attributes = body.get("Item") or {**body.get("Key", {}), **body.get("ExpressionAttributeValues", {})}
    return item_size({name: _as_boto3(value) for name, value in attributes.items()})


def _as_boto3(value: Any) -> Any:
    """A value as the wire carries it (binary in base64 text) as boto3 hands it to the store (bytes)."""
    if not isinstance(value, dict) or len(value) != 1:
        return {"NULL": True}
    (kind, content), = value.items()
    if kind == "B":
        return {"B": base64.b64decode(content)}
    if kind == "BS":
        return {"BS": [base64.b64decode(member) for member in content]}
    if kind == "M":
        return {"M": {name: _as_boto3(member) for name, member in content.items()}}
    if kind == "L":
        return {"L": [_as_boto3(member) for member in content]}
    return value
