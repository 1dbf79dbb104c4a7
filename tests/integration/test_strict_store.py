"""The local AWS refuses the store's requests AWS refuses: DynamoDB's request limits, S3's conflicting
conditional writes, and IAM's explicit Deny and policy conditions."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

from core.aws import AwsClients

TABLE = "image-processor-events"


def refusal(call: Callable[[], object]) -> tuple[str, str]:
    with pytest.raises(ClientError) as raised:
        call()
    error = raised.value.response["Error"]
    return str(error["Code"]), str(error["Message"])


def put(index: int, payload: str = "") -> Any:
    item = {"pk": {"S": f"LIMIT#{index}"}, "sk": {"S": "x"}, "payload": {"S": payload}}
    return {"PutRequest": {"Item": item}}


# --- DynamoDB's request limits ------------------------------------------------------------------------------


def test_batch_write_item_over_25_requests_is_refused_and_25_are_written(aws: AwsClients) -> None:
    too_many = lambda: aws.dynamodb.batch_write_item(RequestItems={TABLE: [put(i) for i in range(26)]})  # noqa: E731
    code, message = refusal(too_many)
    assert code == "ValidationException"
    assert "Member must have length less than or equal to 25" in message
    aws.dynamodb.batch_write_item(RequestItems={TABLE: [put(i) for i in range(25)]})
    assert aws.dynamodb.scan(TableName=TABLE, Select="COUNT")["Count"] >= 25


def test_transact_write_items_over_100_items_is_refused(aws: AwsClients) -> None:
    items: Any = [{"Put": {"TableName": TABLE, **put(i)["PutRequest"]}} for i in range(101)]
    code, message = refusal(lambda: aws.dynamodb.transact_write_items(TransactItems=items))
    assert code == "ValidationException"
    assert "Member must have length less than or equal to 100" in message


def test_transact_write_items_over_4_mb_in_all_is_refused_and_nothing_is_written(aws: AwsClients) -> None:
    # Items of 350 KB each, under DynamoDB's 400 KB per item: 13 of them are over 4 MB, 11 are not.
    items: Any = [{"Put": {"TableName": TABLE, **put(i, "x" * 350_000)["PutRequest"]}} for i in range(13)]
    code, message = refusal(lambda: aws.dynamodb.transact_write_items(TransactItems=items))
    assert (code, message) == ("ValidationException", "Transaction request cannot be larger than 4 MB")
    first = aws.dynamodb.get_item(TableName=TABLE, Key={"pk": {"S": "LIMIT#0"}, "sk": {"S": "x"}})
    assert "Item" not in first
    aws.dynamodb.transact_write_items(TransactItems=items[:11])  # 3.85 MB
