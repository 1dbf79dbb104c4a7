"""Calls on our table, their failures turned into our exceptions, with the paging and the retries of
what DynamoDB leaves unprocessed that every caller would otherwise repeat."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from core.aws import AwsClients
from core.aws.backoff import attempts
from core.aws.errors import aws_call
from core.errors import StoreUnavailable
from core.store import keys

BATCH_GET_KEYS = 100  # DynamoDB's limits per BatchGetItem and BatchWriteItem call
BATCH_WRITE_ITEMS = 25
UNPROCESSED_ATTEMPTS = 6  # with backoff from 20 ms: at most 0.6 s of pauses before the rest is given up on
UNPROCESSED_FIRST_SECONDS = 0.02


def table_call(clients: AwsClients, operation: str, **kwargs: Any) -> dict[str, Any]:
    """One call on our table (get_item, query, put_item…)."""
    table = clients.settings.table_name
    with aws_call(f"table {table}"):
        return dict(getattr(clients.dynamodb, operation)(TableName=table, **kwargs))


def query_all(clients: AwsClients, **kwargs: Any) -> Iterator[dict[str, Any]]:
    """Every item a query matches, page after page."""
    while True:
        page = table_call(clients, "query", **kwargs)
        yield from page.get("Items", [])
        if "LastEvaluatedKey" not in page:
            return
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def batch_get(
    clients: AwsClients, item_keys: list[keys.Key], consistent: bool = False, projection: str | None = None,
) -> list[dict[str, Any]]:
    """The items at `item_keys` that exist (any order), BATCH_GET_KEYS keys per call."""
    table = clients.settings.table_name
    found: list[dict[str, Any]] = []
    for start in range(0, len(item_keys), BATCH_GET_KEYS):
        request: dict[str, Any] = {"Keys": item_keys[start:start + BATCH_GET_KEYS],
                                   "ConsistentRead": consistent}
        if projection:
            request["ProjectionExpression"] = projection
        pending: dict[str, Any] = {table: request}
        for _ in attempts(UNPROCESSED_ATTEMPTS, UNPROCESSED_FIRST_SECONDS):
            with aws_call(f"table {table}"):
                answer = clients.dynamodb.batch_get_item(RequestItems=pending)
            found += answer.get("Responses", {}).get(table, [])
            pending = dict(answer.get("UnprocessedKeys") or {})
            if not pending:
                break
        else:
            raise StoreUnavailable(f"table {table}: DynamoDB is throttling reads (keys left unread "
                                   f"after {UNPROCESSED_ATTEMPTS} tries); try again in a moment")
    return found


def batch_put(clients: AwsClients, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Put `items` BATCH_WRITE_ITEMS per call; the items DynamoDB still left unprocessed after
    UNPROCESSED_ATTEMPTS tries (throttled) are returned, for the caller to have retried later."""
    table = clients.settings.table_name
    left: list[dict[str, Any]] = []
    for start in range(0, len(items), BATCH_WRITE_ITEMS):
        chunk = items[start:start + BATCH_WRITE_ITEMS]
        pending: list[Any] = [{"PutRequest": {"Item": item}} for item in chunk]
        for _ in attempts(UNPROCESSED_ATTEMPTS, UNPROCESSED_FIRST_SECONDS):
            with aws_call(f"table {table}"):
                answer = clients.dynamodb.batch_write_item(RequestItems={table: pending})
            pending = list((answer.get("UnprocessedItems") or {}).get(table, []))
            if not pending:
                break
        left += [request["PutRequest"]["Item"] for request in pending]
    return left

