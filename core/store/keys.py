"""Every key of the store in one place: the table's schema and indexes, the items' keys, the objects' keys.

The layout keeps no partition and no item above half of DynamoDB's per-partition rate, counts exact and
reads at a cost independent of the table's size, at 10,000 events/s (10 Kinesis shards at full rate):
- an event is one item under its own partition key (`E#<id>`), so no event write shares a partition,
  and a redelivered record is recognised by one BatchGetItem of its batch's keys;
- the time index spreads each day over TIME_SHARDS partitions (`T#<day>#<nn>`, nn from the id): at the
  design rate each receives 10,000 / 32 ≈ 313 WCU/s, under half the 1,000 WCU/s a partition takes;
  pages read a day's shards in one round of parallel queries;
- failed events are in a sparse index of the same shape, so listing failures costs as many reads as
  there are failures;
- counters are not on the event's path: the aggregator counts the table's stream (core/store/counting.py)
  into one of COUNTER_SHARDS items per minute, and keeps the LATEST_SHARDS items listing the newest
  events (core/store/latest.py); its writes follow its invocations, not the event rate; the Live page
  reads the LATEST items in one call and at most 61 × 16 small counter items in one or two;
- the audit trail (core/ops/audit.py) is one item per person's action under its day's partition
  (`AUDIT#<day>`): actions come at a person's pace, never the event rate, and no event key, index or
  stream filter of the aggregator matches them.
Shared by the code, provisioning, the deploy template's test and the other tests.
"""

from __future__ import annotations

import zlib
from datetime import date, datetime
from typing import Any

from core.clock import iso, utc
from core.store.attributes import typed

PK = "pk"
SK = "sk"
TIME_INDEX = "by-time"
FAILED_INDEX = "failed-by-time"
TIME_PK = "tpk"
TIME_SK = "tsk"
FAILED_PK = "fpk"
TIME_SHARDS = 32
COUNTER_SHARDS = 16
EVENT_SK = "E"
DETAIL_SK = "D"
AFTER_EVERY_EVENT = "~"  # sorts after every time sort key (they start with a digit)
Key = dict[str, dict[str, str]]

TABLE_ATTRIBUTES = [
    {"AttributeName": name, "AttributeType": "S"} for name in (PK, SK, TIME_PK, TIME_SK, FAILED_PK)
]
TABLE_KEY_SCHEMA = [
    {"AttributeName": PK, "KeyType": "HASH"},
    {"AttributeName": SK, "KeyType": "RANGE"},
]
TABLE_INDEXES: list[dict[str, Any]] = [
    {
        "IndexName": name,
        "KeySchema": [
            {"AttributeName": hash_key, "KeyType": "HASH"},
            {"AttributeName": TIME_SK, "KeyType": "RANGE"},
        ],
        "Projection": {"ProjectionType": "ALL"},
    }
    for name, hash_key in ((TIME_INDEX, TIME_PK), (FAILED_INDEX, FAILED_PK))
]
# The aggregator reads every change from the table's stream (old and new images: deletes uncount).
STREAM_SPECIFICATION = {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}
# DynamoDB's time-to-live attribute (the template's TimeToLiveSpecification), epoch seconds. The
# aggregator's checkpoints carry it always (they are done with once the stream lets go of them); events,
# their detail items and the counters only when EVENT_RETENTION_DAYS is set.
TTL_ATTRIBUTE = "expires_at"
LATEST_SHARDS = 8
SAMPLES_PREFIX = "samples/"  # sample images the local stack puts in the bucket


def event_key(event_id: str) -> Key:
    return typed({PK: f"E#{event_id}", SK: EVENT_SK})


def detail_key(event_id: str) -> Key:
    """An event's rarely read, possibly long fields, beside it when they would push it past 1 KB."""
    return typed({PK: f"E#{event_id}", SK: DETAIL_SK})


def event_partition(event_id: str) -> str:
    return f"E#{event_id}"


def shard_of(event_id: str, shards: int) -> int:
    return zlib.crc32(event_id.encode()) % shards


def time_partition(moment: datetime, event_id: str) -> str:
    return f"T#{utc(moment):%Y-%m-%d}#{shard_of(event_id, TIME_SHARDS):02d}"


def failed_partition(moment: datetime, event_id: str) -> str:
    return f"F#{utc(moment):%Y-%m-%d}#{shard_of(event_id, TIME_SHARDS):02d}"


def day_partitions(day: date, prefix: str = "T") -> list[str]:
    """Every shard of a day in the time index (prefix T) or the failed index (prefix F)."""
    return [f"{prefix}#{day:%Y-%m-%d}#{shard:02d}" for shard in range(TIME_SHARDS)]


def time_sort_key(moment: datetime, event_id: str) -> str:
    return f"{iso(moment)}#{event_id}"


def time_sort_parts(sort_key: str) -> tuple[str, str]:
    """(received time as ISO text, event id) of a time sort key."""
    moment, _, event_id = sort_key.partition("#")
    return moment, event_id


def sort_key_ceiling(moment: datetime) -> str:
    """A time sort key bound above every event received at or before `moment`."""
    return iso(moment) + AFTER_EVERY_EVENT


def counter_key(moment: datetime, shard: int) -> Key:
    """One of COUNTER_SHARDS counters of the minute of `moment`."""
    moment = utc(moment)
    return typed({PK: counter_day(moment), SK: f"{moment:%H:%M}#{shard:02d}"})


def counter_day(moment: datetime) -> str:
    return "COUNT#" + utc(moment).strftime("%Y-%m-%d")


def counter_range(low: datetime, high: datetime) -> tuple[str, str]:
    """Sort keys spanning every counter of the minutes `low` to `high` (same day), shards included."""
    return f"{utc(low):%H:%M}", f"{utc(high):%H:%M}{AFTER_EVERY_EVENT}"


def counter_minute(sort_key: str) -> tuple[int, int]:
    """(hour, minute) of a counter's sort key."""
    hour, minute = sort_key.split("#", 1)[0].split(":")
    return int(hour), int(minute)


def latest_key(shard: int) -> Key:
    """One of LATEST_SHARDS items listing the newest events; each aggregator writes the one of its stream
    shard, so their writes spread, and a reader gets them all in one BatchGetItem."""
    return typed({PK: f"LATEST#{shard:02d}", SK: "LATEST"})


def audit_key(moment: datetime, entry_id: str) -> Key:
    """An entry of the audit trail: its day's partition, sorted by time (the id keeps two at one moment)."""
    return typed({PK: audit_day(utc(moment).date()), SK: f"{iso(moment)}#{entry_id}"})


def audit_day(day: date) -> str:
    return f"AUDIT#{day:%Y-%m-%d}"


def checkpoint_key(first_sequence: str) -> Key:
    """The aggregator's record of a stream batch it has applied, by the batch's first sequence number
    (where Lambda resumes after a failure, so a retried batch starts there too)."""
    return typed({PK: f"AGG#{first_sequence}", SK: "AGG"})


def original_key(sha256: str, extension: str) -> str:
    return f"originals/{sha256}.{extension}"


def thumbnail_key(sha256: str) -> str:
    return f"thumbnails/{sha256}.webp"


def preview_key(sha256: str) -> str:
    return f"previews/{sha256}.webp"
