"""Names and shapes of the table and the object keys, shared by the code, provisioning and tests.

Events live in hour buckets so every dashboard query reads a bounded number of small items,
whatever the table size (see DESIGN.md, "Data model").
"""

from __future__ import annotations

from datetime import UTC, datetime

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


def utc(moment: datetime) -> datetime:
    """Aware UTC; naive datetimes are taken to be UTC already."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def iso(moment: datetime) -> str:
    """Fixed-width ISO text (microseconds, Z) so string order is time order."""
    return utc(moment).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def hour_bucket(moment: datetime) -> str:
    return "EVENTS#" + utc(moment).strftime("%Y-%m-%dT%H")


def event_sort_key(moment: datetime, event_id: str) -> str:
    return f"{iso(moment)}#{event_id}"


def id_pointer_key(event_id: str) -> dict[str, dict[str, str]]:
    return {PK: {"S": f"ID#{event_id}"}, SK: {"S": "ID"}}


def counter_key(moment: datetime) -> dict[str, dict[str, str]]:
    moment = utc(moment)
    return {PK: {"S": "COUNT#" + moment.strftime("%Y-%m-%d")}, SK: {"S": moment.strftime("%H:%M")}}


def failed_day(moment: datetime) -> str:
    return "FAILED#" + utc(moment).strftime("%Y-%m-%d")


def original_key(sha256: str, extension: str) -> str:
    return f"originals/{sha256}.{extension}"


def thumbnail_key(sha256: str) -> str:
    return f"thumbnails/{sha256}.webp"
