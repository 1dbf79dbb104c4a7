"""Reads for the consumer, the dashboard and the CLI. Each costs the same at 100 or 10 million events:
it touches the items it names, the LATEST items, or at most 61 × COUNTER_SHARDS minute counters."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import groupby
from typing import Any

from core import clock
from core.aws import AwsClients
from core.models import StoredEvent
from core.store import keys, latest
from core.store.attributes import number, text, values
from core.store.items import from_items
from core.store.table import batch_get, query_all


@dataclass(frozen=True)
class MinuteCount:
    minute: datetime
    events: int
    failed: int


def get_event(clients: AwsClients, event_id: str) -> StoredEvent | None:
    """One event by id: one query of its partition (the event's item and its detail item, if any)."""
    items = list(query_all(
        clients, ConsistentRead=True, KeyConditionExpression=f"{keys.PK} = :pk",
        ExpressionAttributeValues=values(pk=keys.event_partition(event_id)),
    ))
    return from_items(items) if any(text(item, keys.SK) == keys.EVENT_SK for item in items) else None


def get_events(clients: AwsClients, event_ids: Iterable[str]) -> dict[str, StoredEvent]:
    """The stored events among `event_ids`, by id (ids not stored yet are left out): one BatchGetItem per
    100 ids, and one more for the detail items of those that have one."""
    found = batch_get(clients, [keys.event_key(event_id) for event_id in dict.fromkeys(event_ids)])
    detailed = [keys.detail_key(_id(item)) for item in found if item.get("has_detail", {}).get("BOOL")]
    items = found + (batch_get(clients, detailed) if detailed else [])
    by_id = groupby(sorted(items, key=_id), key=_id)
    return {event_id: from_items(list(group)) for event_id, group in by_id}


def existing(clients: AwsClients, event_ids: Iterable[str]) -> set[str]:
    """Which of these events are stored already (any status): one consistent BatchGetItem per 100,
    reading keys only, so a redelivered batch is recognised before any work is done for it."""
    item_keys = [keys.event_key(event_id) for event_id in dict.fromkeys(event_ids)]
    return {_id(item) for item in batch_get(clients, item_keys, consistent=True, projection=keys.PK)}


def _id(item: dict[str, Any]) -> str:
    return text(item, keys.PK).removeprefix("E#")


def latest_event(clients: AwsClients) -> StoredEvent | None:
    """The most recent stored event (one read of the LATEST items)."""
    return latest.newest(clients)[1]


@dataclass(frozen=True)
class Newest:
    """What just happened: the newest event whatever its status, and the few before it."""

    event: StoredEvent | None  # its description and reason whole
    recent: list[StoredEvent]  # newest first, the newest included; texts cut to a preview
    stored: StoredEvent | None  # the newest stored one (its image), which may be older than `event`


def newest_events(clients: AwsClients) -> Newest:
    """One read of the LATEST items, and one query more when the newest event is not the newest stored
    one (LATEST lists it with its texts cut; a failed event's reason is shown whole)."""
    recent, stored = latest.newest(clients)
    event = recent[0] if recent else stored
    if event is None or (stored is not None and event.event_id == stored.event_id):
        return Newest(stored, recent, stored)  # LATEST keeps the newest stored event's texts whole
    return Newest(get_event(clients, event.event_id) or event, recent, stored)


def minute_counts(clients: AwsClients, start: datetime, end: datetime) -> list[MinuteCount]:
    """Counters for the minutes from `start` to `end` inclusive, oldest first, gaps left out."""
    start, end = clock.utc(start), clock.utc(end)
    counts: list[MinuteCount] = []
    day = start.replace(hour=0, minute=0, second=0, microsecond=0)
    while day <= end:
        counts += _day_counts(clients, day, max(start, day), min(end, day + timedelta(hours=23, minutes=59)))
        day += timedelta(days=1)
    return counts


def _day_counts(clients: AwsClients, day: datetime, low: datetime, high: datetime) -> list[MinuteCount]:
    """One day's minutes from `low` to `high`, their counter shards summed."""
    low_key, high_key = keys.counter_range(low, high)
    items = query_all(
        clients,
        KeyConditionExpression=f"{keys.PK} = :pk AND {keys.SK} BETWEEN :low AND :high",
        ExpressionAttributeValues=values(pk=keys.counter_day(day), low=low_key, high=high_key),
    )
    totals: dict[datetime, list[int]] = {}
    for item in items:
        hour, minute = keys.counter_minute(text(item, keys.SK))
        total = totals.setdefault(day.replace(hour=hour, minute=minute), [0, 0])
        total[0] += number(item, "events")
        total[1] += number(item, "failed")
    return [MinuteCount(minute, events, failed) for minute, (events, failed) in sorted(totals.items())]


def last_hour_minutes(clients: AwsClients, now: datetime | None = None) -> list[MinuteCount]:
    """The 60 minute counters ending with the current minute."""
    minute = clock.utc(now or clock.now()).replace(second=0, microsecond=0)
    return minute_counts(clients, minute - timedelta(minutes=59), minute)


def last_hour_count(clients: AwsClients, now: datetime | None = None) -> int:
    """Events (stored and failed) received in the current minute and the 59 before it."""
    return sum(count.events for count in last_hour_minutes(clients, now))
