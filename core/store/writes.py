"""Event records in DynamoDB: written once, with their minute counter, in one transaction."""

from __future__ import annotations

import random
import time
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from core.aws import AwsClients
from core.aws_errors import aws_call
from core.errors import ConditionFailed, TransactionConflict
from core.models import EventStatus, StoredEvent
from core.store import keys
from core.store.items import event_key, to_item

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.type_defs import TransactWriteItemTypeDef, UpdateTypeDef

_NEW = f"attribute_not_exists({keys.PK})"
# Full jitter: 8 attempts over at most ~1.3 s; the caller retries the record if they all collide.
CONFLICT_ATTEMPTS = 8
CONFLICT_BASE_SECONDS = 0.01
CONFLICT_CAP_SECONDS = 0.5


def save_event(clients: AwsClients, event: StoredEvent) -> bool:
    """Store the event and count it; False (and nothing changed) when its id is already stored."""
    settings = clients.settings
    return _transact(clients, _transaction(settings.table_name, event, settings.event_retention_days))


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


def _transaction(table: str, event: StoredEvent, retention_days: int) -> list[TransactWriteItemTypeDef]:
    expiry = _expiry(event.received_at, retention_days)
    pointer = keys.id_pointer_key(event.event_id) | {
        "event_pk": event_key(event)[keys.PK],
        "event_sk": event_key(event)[keys.SK],
    }
    return [
        {"Put": {"TableName": table, "Item": to_item(event) | expiry, "ConditionExpression": _NEW}},
        {"Put": {"TableName": table, "Item": pointer | expiry, "ConditionExpression": _NEW}},
        {"Update": _count(table, event, 1, retention_days)},
    ]


def _count(table: str, event: StoredEvent, change: int, retention_days: int) -> UpdateTypeDef:
    """The event's minute counter: `change` (1 or -1) to its events, and to its failed ones if it failed.

    With a retention, the counter expires at the end of its minute plus the retention: never before the
    events it counts, so the count and its events disappear together. A counter a late delete brings
    back expires too, rather than counting -1 for ever.
    """
    failed = change if event.status is EventStatus.FAILED else 0
    update = "ADD events :change, failed :failed"
    values: dict[str, Any] = {":change": {"N": str(change)}, ":failed": {"N": str(failed)}}
    if retention_days:
        update += f" SET {keys.EXPIRES_AT} = if_not_exists({keys.EXPIRES_AT}, :expires)"
        minute_end = event.received_at.replace(second=0, microsecond=0) + timedelta(minutes=1)
        values[":expires"] = _expiry(minute_end, retention_days)[keys.EXPIRES_AT]
    return {"TableName": table, "Key": keys.counter_key(event.received_at, event.event_id),
            "UpdateExpression": update, "ExpressionAttributeValues": values}


def _expiry(moment: datetime, retention_days: int) -> dict[str, Any]:
    """The TTL attribute for an item of an event received at `moment` ({} when kept for ever)."""
    if not retention_days:
        return {}
    return {keys.EXPIRES_AT: {"N": str(int((moment + timedelta(days=retention_days)).timestamp()))}}


def advance_latest(clients: AwsClients, event: StoredEvent) -> None:
    """Point LATEST at this stored event unless a newer one is already there.

    Kept outside the transaction: a condition failing there would cancel the event itself. Running
    it again on redelivery repairs a pointer a crash left behind.
    """
    if event.status is not EventStatus.STORED:
        return
    item = _latest_item(event, clients.settings.event_retention_days)
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
    table, retention = clients.settings.table_name, clients.settings.event_retention_days
    exists = f"attribute_exists({keys.PK})"
    items: list[TransactWriteItemTypeDef] = [
        {"Delete": {"TableName": table, "Key": event_key(event), "ConditionExpression": exists}},
        {"Delete": {"TableName": table, "Key": keys.id_pointer_key(event.event_id)}},
        {"Update": _count(table, event, -1, retention)},
    ]
    return _transact(clients, items)


def replace_latest(clients: AwsClients, event: StoredEvent | None) -> None:
    """Set LATEST outright (after a delete), or remove it when no stored event is left."""
    table = clients.settings.table_name
    with aws_call(f"table {table}"):
        if event is None:
            clients.dynamodb.delete_item(TableName=table, Key=keys.LATEST_KEY)
        else:
            clients.dynamodb.put_item(
                TableName=table, Item=_latest_item(event, clients.settings.event_retention_days)
            )


def _latest_item(event: StoredEvent, retention_days: int) -> dict[str, Any]:
    """LATEST is a copy of the newest stored event; it expires with it (then no event is left to show)."""
    latest = to_item(event) | keys.LATEST_KEY | {"latest_sk": event_key(event)[keys.SK]}
    return latest | _expiry(event.received_at, retention_days)
