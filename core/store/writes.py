"""Writing events: many at once for a batch of records, one for an upload; removing one.

Events are put without a condition (BatchWriteItem takes none): the consumer has already left out the
records whose events exist (core.store.reads.existing), so a put is a first write, or, if two deliveries
of one record race, the same event written twice, which changes no count (the aggregator counts new
items, not writes).
"""

from __future__ import annotations

from core.aws import AwsClients
from core.errors import ConditionFailed, StoreUnavailable
from core.models import StoredEvent
from core.store import keys
from core.store.items import from_items, to_items
from core.store.table import batch_put, table_call


def put_events(clients: AwsClients, events: list[StoredEvent]) -> set[str]:
    """Write the events' items; the ids of those DynamoDB would not take (throttled), to retry later."""
    items = [item for event in events for item in to_items(event)]
    left = batch_put(clients, items)
    return {str(item[keys.PK]["S"]).removeprefix("E#") for item in left}


def put_event(clients: AwsClients, event: StoredEvent) -> None:
    if put_events(clients, [event]):
        raise StoreUnavailable(f"table {clients.settings.table_name}: DynamoDB is throttling writes; "
                               "try again in a moment")


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
