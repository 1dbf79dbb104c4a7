"""Every key of the store in one place: the table's schema and index, the items' keys, the objects' keys.

Shared by the code, provisioning, the deploy template's test and the other tests.

Events live in hour buckets so every dashboard query reads a bounded number of small items,
whatever the table size (see DESIGN.md, "Data model").
"""

from __future__ import annotations

import zlib
from datetime import datetime

from core.clock import iso, utc

PK = "pk"
SK = "sk"
FAILED_INDEX = "failed-by-day"
FAILED_PK = "failed_pk"

TABLE_ATTRIBUTES = [
    {"AttributeName": PK, "AttributeType": "S"},
    {"AttributeName": SK, "AttributeType": "S"},
    {"AttributeName": FAILED_PK, "AttributeType": "S"},
]
TABLE_KEY_SCHEMA = [
    {"AttributeName": PK, "KeyType": "HASH"},
    {"AttributeName": SK, "KeyType": "RANGE"},
]
# Sparse: only failed events carry failed_pk, so "failed events" never scans the stored ones.
TABLE_INDEXES = [
    {
        "IndexName": FAILED_INDEX,
        "KeySchema": [
            {"AttributeName": FAILED_PK, "KeyType": "HASH"},
            {"AttributeName": SK, "KeyType": "RANGE"},
        ],
        "Projection": {"ProjectionType": "ALL"},
    }
]

LATEST_KEY = {PK: {"S": "LATEST"}, SK: {"S": "LATEST"}}
SAMPLES_PREFIX = "samples/"  # sample images the local stack puts in the bucket


EVENTS_PREFIX = "EVENTS#"
# Every event's transaction bumps its minute's counter; concurrent events spread over this many counter
# items per minute, so they rarely collide (DynamoDB cancels overlapping transactions). Reads sum them:
# an hour is at most 61 × 16 small items, one Query.
COUNTER_SHARDS = 16
AFTER_EVERY_EVENT = "~"  # sorts after every event sort key (they start with a digit)
Key = dict[str, dict[str, str]]


def hour_bucket(moment: datetime) -> str:
    return EVENTS_PREFIX + utc(moment).strftime("%Y-%m-%dT%H")


def bucket_of(sort_key: str) -> str:
    """The hour bucket an event sort key (or a bound built from one) falls in."""
    return EVENTS_PREFIX + sort_key[:13]


def sort_key_ceiling(moment: datetime) -> str:
    """A sort key bound above every event received at or before `moment`."""
    return iso(moment) + AFTER_EVERY_EVENT


def event_sort_key(moment: datetime, event_id: str) -> str:
    return f"{iso(moment)}#{event_id}"


def id_pointer_key(event_id: str) -> Key:
    return {PK: {"S": f"ID#{event_id}"}, SK: {"S": "ID"}}


def counter_key(moment: datetime, event_id: str) -> Key:
    """The minute counter an event is counted in: one of COUNTER_SHARDS for its minute, by its id."""
    moment = utc(moment)
    shard = zlib.crc32(event_id.encode()) % COUNTER_SHARDS
    return {PK: {"S": counter_day(moment)}, SK: {"S": f"{moment:%H:%M}#{shard:02d}"}}


def counter_range(low: datetime, high: datetime) -> tuple[str, str]:
    """Sort keys spanning every counter of the minutes `low` to `high` (same day), shards included."""
    return f"{utc(low):%H:%M}", f"{utc(high):%H:%M}{AFTER_EVERY_EVENT}"


def counter_minute(sort_key: str) -> tuple[int, int]:
    """(hour, minute) of a counter's sort key."""
    hour, minute = sort_key.split("#", 1)[0].split(":")
    return int(hour), int(minute)


def counter_day(moment: datetime) -> str:
    return "COUNT#" + utc(moment).strftime("%Y-%m-%d")


def failed_day(moment: datetime) -> str:
    return "FAILED#" + utc(moment).strftime("%Y-%m-%d")


def original_key(sha256: str, extension: str) -> str:
    return f"originals/{sha256}.{extension}"


def thumbnail_key(sha256: str) -> str:
    return f"thumbnails/{sha256}.webp"


def preview_key(sha256: str) -> str:
    return f"previews/{sha256}.webp"
