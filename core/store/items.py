"""StoredEvent <-> DynamoDB item (low-level client attribute values)."""

from __future__ import annotations

from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

from core.models import EventStatus, StoredEvent
from core.store import keys

_KEY_ATTRIBUTES = {keys.PK, keys.SK, keys.FAILED_PK, "description_lc"}


def event_key(event: StoredEvent) -> dict[str, dict[str, str]]:
    return {
        keys.PK: {"S": keys.hour_bucket(event.received_at)},
        keys.SK: {"S": keys.event_sort_key(event.received_at, event.event_id)},
    }


def to_item(event: StoredEvent) -> dict[str, Any]:
    """The event's item: its fields, its keys, and the attributes our queries filter on."""
    plain = {k: v for k, v in event.model_dump(mode="json").items() if v not in (None, {}, "")}
    plain["description_lc"] = event.description.casefold()
    if event.status is EventStatus.FAILED:
        plain[keys.FAILED_PK] = keys.failed_day(event.received_at)
    serializer = TypeSerializer()
    item = {name: serializer.serialize(value) for name, value in plain.items()}
    return item | event_key(event)


def from_item(item: dict[str, Any]) -> StoredEvent:
    deserializer = TypeDeserializer()
    plain = {
        name: deserializer.deserialize(value)
        for name, value in item.items()
        if name not in _KEY_ATTRIBUTES
    }
    return StoredEvent.model_validate(plain)
