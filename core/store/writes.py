"""Event records in DynamoDB: written once, with their minute counter, in one transaction."""

from __future__ import annotations

import random
import time
from typing import TYPE_CHECKING, Any

from core.aws import AwsClients
from core.aws_errors import aws_call
from core.errors import ConditionFailed, TransactionConflict
from core.models import EventStatus, StoredEvent
from core.store import keys
from core.store.items import event_key, to_item

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.type_defs import TransactWriteItemTypeDef

_NEW = f"attribute_not_exists({keys.PK})"
# Full jitter: 8 attempts over at most ~1.3 s; the caller retries the record if they all collide.
CONFLICT_ATTEMPTS = 8
CONFLICT_BASE_SECONDS = 0.01
CONFLICT_CAP_SECONDS = 0.5


def save_event(clients: AwsClients, event: StoredEvent) -> bool:
    """Store the event and count it; False (and nothing changed) when its id is already stored."""
    return _transact(clients, _transaction(clients.settings.table_name, event))


def _transact(clients: AwsClients, items: list[TransactWriteItemTypeDef]) -> bool:
    """Run one transaction; False when an item's condition cancelled it (a repeat, not a fault).

    DynamoDB cancels a transaction that overlaps another on one of its items (TransactionConflict), and
    botocore does not retry that: it is retried here, after a random pause, so colliding writers spread.
    """
    attempt = 0
    while True:
        try:
            with aws_call(f"table {clients.settings.table_name}"):
                clients.dynamodb.transact_write_items(TransactItems=items)
            return True
        except ConditionFailed:
            return False
        except TransactionConflict:
            attempt += 1
            if attempt == CONFLICT_ATTEMPTS:
                raise
            time.sleep(random.uniform(0, min(CONFLICT_CAP_SECONDS, CONFLICT_BASE_SECONDS * 2**attempt)))


def _transaction(table: str, event: StoredEvent) -> list[TransactWriteItemTypeDef]:
    failed = 1 if event.status is EventStatus.FAILED else 0
    pointer = keys.id_pointer_key(event.event_id) | {
        "event_pk": event_key(event)[keys.PK],
        "event_sk": event_key(event)[keys.SK],
    }
    return [
        {"Put": {"TableName": table, "Item": to_item(event), "ConditionExpression": _NEW}},
        {"Put": {"TableName": table, "Item": pointer, "ConditionExpression": _NEW}},
        {
            "Update": {
                "TableName": table,
                "Key": keys.counter_key(event.received_at, event.event_id),
                "UpdateExpression": "ADD events :one, failed :failed",
                "ExpressionAttributeValues": {":one": {"N": "1"}, ":failed": {"N": str(failed)}},
            }
        },
    ]


def advance_latest(clients: AwsClients, event: StoredEvent) -> None:
    """Point LATEST at this stored event unless a newer one is already there.

    Kept outside the transaction: a condition failing there would cancel the event itself. Running
    it again on redelivery repairs a pointer a crash left behind.
    """
    if event.status is not EventStatus.STORED:
        return
    item = _latest_item(event)
    try:
        with aws_call(f"table {clients.settings.table_name}"):
            clients.dynamodb.put_item(
                TableName=clients.settings.table_name,
                Item=item,
                ConditionExpression="attribute_not_exists(latest_sk) OR latest_sk < :sk",
                ExpressionAttributeValues={":sk": item["latest_sk"]},
            )
    except ConditionFailed:
        pass  # a newer event is there already


def remove_event(clients: AwsClients, event: StoredEvent) -> bool:
    """Remove the event, its id pointer and its count; False if it was already gone.

    Its images stay: keys are content hashes, so other events may show the same files.
    """
    table = clients.settings.table_name
    failed = 1 if event.status is EventStatus.FAILED else 0
    exists = f"attribute_exists({keys.PK})"
    items: list[TransactWriteItemTypeDef] = [
        {"Delete": {"TableName": table, "Key": event_key(event), "ConditionExpression": exists}},
        {"Delete": {"TableName": table, "Key": keys.id_pointer_key(event.event_id)}},
        {"Update": {
            "TableName": table, "Key": keys.counter_key(event.received_at, event.event_id),
            "UpdateExpression": "ADD events :minus, failed :failed",
            "ExpressionAttributeValues": {":minus": {"N": "-1"}, ":failed": {"N": str(-failed)}},
        }},
    ]
    return _transact(clients, items)


def replace_latest(clients: AwsClients, event: StoredEvent | None) -> None:
    """Set LATEST outright (after a delete), or remove it when no stored event is left."""
    table = clients.settings.table_name
    with aws_call(f"table {table}"):
        if event is None:
            clients.dynamodb.delete_item(TableName=table, Key=keys.LATEST_KEY)
        else:
            clients.dynamodb.put_item(TableName=table, Item=_latest_item(event))


def _latest_item(event: StoredEvent) -> dict[str, Any]:
    return to_item(event) | keys.LATEST_KEY | {"latest_sk": event_key(event)[keys.SK]}
