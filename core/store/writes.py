"""Writing events: many at once for a batch of records, one for an upload, a retry over its failed self;
removing one.

Events are put without a condition (BatchWriteItem takes none): the consumer has already left out the
records whose events exist (core.store.reads.existing), so a put is a first write, or, if two deliveries
of one record race, the same event written twice, which changes no count (the aggregator counts new
items, not writes).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from core.aws import AwsClients
from core.aws.errors import aws_call
from core.errors import ConditionFailed, StoreUnavailable
from core.models import EventStatus, StoredEvent
from core.store import keys
from core.store.attributes import text, typed, values
from core.store.items import from_items, to_items
from core.store.table import batch_put, table_call

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.type_defs import TransactWriteItemTypeDef


def put_events(clients: AwsClients, events: list[StoredEvent]) -> set[str]:
    """Write the events' items; the ids of those DynamoDB would not take (throttled), to retry later.

    With EVENT_RETENTION_DAYS, each item carries the TTL attribute: DynamoDB deletes it that long after
    the event was received (and the aggregator leaves those deletions counted, see counting.py).
    """
    days = clients.settings.event_retention_days
    items = [item | expiry(event.received_at, days) for event in events for item in to_items(event)]
    left = batch_put(clients, items)
    return {text(item, keys.PK).removeprefix("E#") for item in left}


def expiry(moment: datetime, retention_days: int) -> dict[str, Any]:
    """The TTL attribute for an item of something that happened at `moment` ({} when kept for ever)."""
    if not retention_days:
        return {}
    return typed({keys.TTL_ATTRIBUTE: int((moment + timedelta(days=retention_days)).timestamp())})


def put_event(clients: AwsClients, event: StoredEvent) -> None:
    if put_events(clients, [event]):
        raise StoreUnavailable(f"table {clients.settings.table_name}: DynamoDB is throttling writes; "
                               "try again in a moment")


def replace_failed(clients: AwsClients, event: StoredEvent) -> bool:
    """Write `event` over its failed self (a retry's outcome); False, writing nothing, if the event is
    not failed any more (another retry stored it meanwhile): a stored event is never overwritten.

    One transaction: the event's item, only while its status is still failed, and its detail item put,
    or deleted when the new event has none (else a reader would merge the old detail into it).
    """
    table = clients.settings.table_name
    item, *detail = [found | expiry(event.received_at, clients.settings.event_retention_days)
                     for found in to_items(event)]
    guarded: TransactWriteItemTypeDef = {"Put": {
        "TableName": table, "Item": item, "ConditionExpression": "#status = :failed",
        "ExpressionAttributeNames": {"#status": "status"},
        "ExpressionAttributeValues": values(failed=EventStatus.FAILED.value),
    }}
    beside: TransactWriteItemTypeDef = (
        {"Put": {"TableName": table, "Item": detail[0]}} if detail
        else {"Delete": {"TableName": table, "Key": keys.detail_key(event.event_id)}}
    )
    try:
        with aws_call(f"table {table}"):
            clients.dynamodb.transact_write_items(TransactItems=[guarded, beside])
    except ConditionFailed:
        return False
    return True


def remove_event(clients: AwsClients, event_id: str) -> StoredEvent | None:
    """Remove the event (and its detail item); the event as it was, or None if it was already gone.

    Its images stay: keys are content hashes, so other events may show the same files. The aggregator
    uncounts it from the table's stream.
    """
    try:
        old = table_call(clients, "delete_item", Key=keys.event_key(event_id), ReturnValues="ALL_OLD",
                         ConditionExpression=f"attribute_exists({keys.PK})").get("Attributes")
    except ConditionFailed:
        return None
    assert old is not None
    detail = None
    if old.get("has_detail", {}).get("BOOL"):
        detail = table_call(clients, "delete_item", Key=keys.detail_key(event_id),
                            ReturnValues="ALL_OLD").get("Attributes")
    return from_items([old, *([detail] if detail else [])])
