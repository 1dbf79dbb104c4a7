"""Copying the events of a table written by the first layout into this one (`python -m core migrate`).

The first layout (until issue 12) kept each event under `EVENTS#<hour>` with every field in one item,
beside id pointers, minute counters and a LATEST item. Only the events are copied: a Scan of the old
table pages through them, each is rebuilt as a StoredEvent and written as the consumer writes events;
the aggregator then counts them from this table's stream, so the counters and LATEST come out right
without being copied. Running it again writes the same events unchanged, which counts nothing. The
old table is only read.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from boto3.dynamodb.types import TypeDeserializer

from core.aws import AwsClients
from core.aws.errors import aws_call
from core.errors import StoreUnavailable
from core.models import StoredEvent
from core.store.attributes import values
from core.store.writes import put_events

OLD_EVENT_PREFIX = "EVENTS#"
OLD_KEYS = ("pk", "sk", "description_lc", "failed_pk")  # the first layout's keys and query helpers
PAGE_ITEMS = 500


def migrate(clients: AwsClients, source_table: str, progress: Callable[[int], None] | None = None) -> int:
    """Copy every event of `source_table` into the configured table; the number copied."""
    if source_table == clients.settings.table_name:
        raise ValueError("the table to copy from is the configured table itself; name the old one")
    copied = 0
    for page in _old_events(clients, source_table):
        left = put_events(clients, page)
        if left:
            raise StoreUnavailable(f"table {clients.settings.table_name}: DynamoDB is throttling writes; "
                                   f"{copied} events copied so far. Run the same command again to finish")
        copied += len(page)
        if progress:
            progress(copied)
    return copied


def _old_events(clients: AwsClients, table: str) -> Iterator[list[StoredEvent]]:
    deserializer = TypeDeserializer()
    paginator = clients.dynamodb.get_paginator("scan")
    pages = paginator.paginate(
        TableName=table, FilterExpression="begins_with(pk, :events)",
        ExpressionAttributeValues=values(events=OLD_EVENT_PREFIX),
        PaginationConfig={"PageSize": PAGE_ITEMS},
    )
    with aws_call(f"table {table}"):
        for page in pages:
            yield [old_event({name: deserializer.deserialize(value) for name, value in item.items()})
                   for item in page.get("Items", [])]


def old_event(fields: dict[str, Any]) -> StoredEvent:
    """An event as the first layout stored it (its fields, deserialized)."""
    return StoredEvent.model_validate({name: value for name, value in fields.items() if name not in OLD_KEYS})
