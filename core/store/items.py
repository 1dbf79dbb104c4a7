"""A StoredEvent as DynamoDB items and back: one item under 1 KB, and a detail item only when needed.

An event's item holds what lists and the Live page show; its rarely read, possibly long fields (the
URL, EXIF, the trace, a long reason or description) move to a detail item beside it when keeping them
would take the item past ITEM_BUDGET bytes, so a typical event costs 1 WCU to write (DynamoDB bills
writes per started KB, and the time index, which projects the whole item, as much again). The id and the
received time are not stored beside the keys that hold them already (the time sort key is
`<received time>#<id>`): a phone photo's item keeps 71 more bytes for its Exif, URL and description.
"""

from __future__ import annotations

from typing import Any

from core.models import EventStatus, StoredEvent
from core.store import keys
from core.store.attributes import plain, text, typed

ITEM_BUDGET = 1000  # bytes, as DynamoDB sizes items: under 1 KB with room for the keys' growth
DETAIL_FIELDS = ("image_url", "exif", "shard_id", "sequence_number", "request_id", "read_as")
PREVIEW_CHARS = 200  # of a description or a reason kept in the event's item when the whole moves out
LISTED_CHARS = 100  # of a description or a reason in a LATEST item's list (the Live strip's cells)
# Derived from sha256 and the format, so not stored: the object keys.
_DERIVED = {"original_key", "thumbnail_key", "preview_key"}
_KEYS = {keys.PK, keys.SK, keys.TIME_PK, keys.TIME_SK, keys.FAILED_PK}
_IN_KEYS = ("event_id", "received_at")  # read from the time sort key; items from before keep them too


def to_items(event: StoredEvent) -> list[dict[str, Any]]:
    """The event's item, and its detail item when the whole would not fit in ITEM_BUDGET bytes."""
    plain = _plain(event)
    item = _item(event, plain)
    if item_size(item) <= ITEM_BUDGET:
        return [item]
    detail = {name: plain.pop(name) for name in DETAIL_FIELDS if name in plain}
    plain["has_detail"] = True
    if item_size(_item(event, plain)) > ITEM_BUDGET:  # a long description or reason: a preview stays
        for name in ("description", "failure_reason"):
            if name in plain:
                detail[name] = plain[name]
                plain[name] = str(plain[name])[:PREVIEW_CHARS]
    return [_item(event, plain), _serialized(detail) | keys.detail_key(event.event_id)]


def from_items(items: list[dict[str, Any]]) -> StoredEvent:
    """The event from its item and, when there is one, its detail item (any order)."""
    fields: dict[str, Any] = {}
    for item in sorted(items, key=lambda i: text(i, keys.SK) == keys.EVENT_SK, reverse=True):
        fields |= _deserialized(item)
    fields.pop("has_detail", None)
    return StoredEvent.model_validate(fields | _object_keys(fields))


def summary(event: StoredEvent, whole_text: bool = False) -> dict[str, Any]:
    """The event as a LATEST item lists it: what a list shows, without the detail fields, and its
    description and reason cut to LISTED_CHARS unless `whole_text` (the newest stored event's)."""
    plain = {name: value for name, value in _plain(event).items() if name not in DETAIL_FIELDS}
    if not whole_text:
        for name in ("description", "failure_reason"):
            if name in plain:
                plain[name] = str(plain[name])[:LISTED_CHARS]
    return _serialized(plain)


def from_summary(fields: dict[str, Any]) -> StoredEvent:
    plain = _deserialized(fields)
    plain.pop("has_detail", None)
    return StoredEvent.model_validate(plain | _object_keys(plain))


def item_size(item: dict[str, Any]) -> int:
    """DynamoDB's size of an item: attribute names plus values (numbers about a byte per two digits)."""
    return sum(len(name.encode()) + _value_size(value) for name, value in item.items())


def _value_size(value: dict[str, Any]) -> int:
    (kind, data), = value.items()
    if kind == "S":
        return len(str(data).encode())
    if kind == "N":
        return len(str(data).lstrip("-").replace(".", "")) // 2 + 1
    if kind == "B":
        return len(data)
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "M":
        return 3 + sum(len(k.encode()) + _value_size(v) for k, v in data.items()) + len(data)
    if kind == "L":
        return 3 + sum(_value_size(v) for v in data) + len(data)
    return sum(_value_size({kind[0]: member}) for member in data)  # SS, NS, BS: each member as its kind


def _plain(event: StoredEvent) -> dict[str, Any]:
    dumped = event.model_dump(mode="json", exclude=_DERIVED)
    plain = {name: value for name, value in dumped.items() if value not in (None, {}, "")}
    if event.original_key:
        plain["extension"] = event.original_key.rsplit(".", 1)[-1]
    if event.preview_key:
        plain["has_preview"] = True
    return plain


def _item(event: StoredEvent, plain: dict[str, Any]) -> dict[str, Any]:
    plain = {name: value for name, value in plain.items() if name not in _IN_KEYS}
    index_keys = {keys.TIME_PK: keys.time_partition(event.received_at, event.event_id),
                  keys.TIME_SK: keys.time_sort_key(event.received_at, event.event_id)}
    if event.status is EventStatus.FAILED:
        index_keys[keys.FAILED_PK] = keys.failed_partition(event.received_at, event.event_id)
    return _serialized(plain | index_keys) | keys.event_key(event.event_id)


def _object_keys(fields: dict[str, Any]) -> dict[str, Any]:
    """The S3 keys of a stored event, from its content hash (what content-addressing is for)."""
    sha256, extension = fields.pop("sha256", None), fields.pop("extension", None)
    has_preview = fields.pop("has_preview", False)
    if not sha256:
        return {}
    found = {"sha256": sha256, "thumbnail_key": keys.thumbnail_key(sha256)}
    if extension:
        found["original_key"] = keys.original_key(sha256, extension)
    if has_preview:
        found["preview_key"] = keys.preview_key(sha256)
    return found


def _serialized(fields: dict[str, Any]) -> dict[str, Any]:
    return typed(fields)


def _deserialized(item: dict[str, Any]) -> dict[str, Any]:
    fields = plain(item, leaving_out=_KEYS)
    if keys.TIME_SK in item:
        received_at, event_id = keys.time_sort_parts(text(item, keys.TIME_SK))
        fields = {"event_id": event_id, "received_at": received_at} | fields
    return fields
