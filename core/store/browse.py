"""Pages of events for the gallery, and the failed events, newest first.

A day's events are spread over TIME_SHARDS partitions of the time index (failed ones also over as many of
the sparse failed index). A page asks every shard of a day at once for its newest `limit` matches and
merges them, so it costs one round of parallel queries per day it needs, at any table size. Days before
the newest are first checked against the minute counters (one small query each, all at once), so an
empty week costs seven reads, not 168.
"""

from __future__ import annotations

import heapq
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from core import clock
from core.aws import AwsClients
from core.models import EventStatus, StoredEvent
from core.store import keys
from core.store.attributes import text, values
from core.store.items import from_items
from core.store.table import table_call

DEFAULT_WINDOW = timedelta(days=7)


@dataclass(frozen=True)
class EventFilter:
    since: datetime | None = None  # default: a week before `until`
    until: datetime | None = None  # default: now
    status: EventStatus | None = None
    contains: str = ""  # case-insensitive, in the description (the first 200 characters of a long one)


@dataclass(frozen=True)
class EventPage:
    events: list[StoredEvent]
    next_cursor: str | None  # pass back to get the following page; None on the last page


def sort_key(event: StoredEvent) -> str:
    return keys.time_sort_key(event.received_at, event.event_id)


def recent_events(
    clients: AwsClients, filters: EventFilter | None = None, limit: int = 24, cursor: str | None = None,
) -> EventPage:
    """Up to `limit` events matching `filters`, older than `cursor` (an event's sort key)."""
    filters = filters or EventFilter()
    until = clock.utc(filters.until or clock.now())
    since = clock.utc(filters.since or until - DEFAULT_WINDOW)
    high = min(cursor or keys.AFTER_EVERY_EVENT, keys.sort_key_ceiling(until))
    newest_day = min(until.date(), date.fromisoformat(high[:10])) if high[0].isdigit() else until.date()
    found: list[StoredEvent] = []
    with ThreadPoolExecutor(keys.TIME_SHARDS, thread_name_prefix="browse") as pool:
        for day in _days_with_events(clients, pool, since.date(), newest_day):
            found += _day(clients, pool, day, clock.iso(since), high, filters, limit + 1 - len(found))
            if len(found) > limit:
                return EventPage(found[:limit], sort_key(found[limit - 1]))
    return EventPage(found, None)


def failed_events(
    clients: AwsClients, limit: int = 50, days: int = 7, *,
    since: datetime | None = None, cursor: str | None = None, contains: str = "",
) -> list[StoredEvent]:
    """The newest failed events, from the sparse failed index: its cost grows with the failures, not with
    the events. From `since` (default: the start of the day `days` - 1 days ago) to now, or to just
    before `cursor` (an event's sort key, for the next page); `contains` as in EventFilter."""
    today = clock.now().replace(hour=0, minute=0, second=0, microsecond=0)
    since = clock.utc(since) if since else today - timedelta(days=days - 1)
    filters = EventFilter(since=since, status=EventStatus.FAILED, contains=contains)
    return recent_events(clients, filters, limit, cursor).events


def _days_with_events(
    clients: AwsClients, pool: ThreadPoolExecutor, oldest: date, newest: date
) -> list[date]:
    """`newest`, then the days before it back to `oldest` that have a minute counter, newest first."""
    earlier = [newest - timedelta(days=back) for back in range(1, (newest - oldest).days + 1)]
    counted = pool.map(lambda day: _has_counter(clients, day), earlier)
    return [newest, *(day for day, has in zip(earlier, counted, strict=True) if has)]


def _has_counter(clients: AwsClients, day: date) -> bool:
    moment = datetime(day.year, day.month, day.day, tzinfo=UTC)
    page = table_call(clients, "query", Limit=1, ProjectionExpression=keys.PK,
                      KeyConditionExpression=f"{keys.PK} = :pk",
                      ExpressionAttributeValues=values(pk=keys.counter_day(moment)))
    return bool(page.get("Items"))


def _day(clients: AwsClients, pool: ThreadPoolExecutor, day: date, low: str, high: str,
         filters: EventFilter, wanted: int) -> list[StoredEvent]:
    """The day's newest `wanted` matches with low <= sort key < high: every shard at once, merged."""
    failed = filters.status is EventStatus.FAILED
    partitions = keys.day_partitions(day, prefix="F" if failed else "T")
    shards = pool.map(lambda partition: _shard(clients, partition, low, high, filters, wanted), partitions)
    merged = heapq.merge(*shards, key=lambda item: text(item, keys.TIME_SK), reverse=True)
    return [from_items([item]) for _, item in zip(range(wanted), merged, strict=False)]


def _shard(clients: AwsClients, partition: str, low: str, high: str, filters: EventFilter,
           wanted: int) -> list[dict[str, Any]]:
    """One shard's newest `wanted` matching items, newest first (filters applied here: a filter in the
    query would read the same items and cost the same)."""
    failed = filters.status is EventStatus.FAILED
    hash_key = keys.FAILED_PK if failed else keys.TIME_PK
    kwargs: dict[str, Any] = {
        "IndexName": keys.FAILED_INDEX if failed else keys.TIME_INDEX, "ScanIndexForward": False,
        "KeyConditionExpression": f"{hash_key} = :pk AND {keys.TIME_SK} BETWEEN :low AND :high",
        "ExpressionAttributeValues": values(pk=partition, low=low, high=high),
    }
    found: list[dict[str, Any]] = []
    while len(found) < wanted:
        page = table_call(clients, "query", Limit=wanted, **kwargs)
        found += [item for item in page.get("Items", []) if _matches(item, high, filters)]
        if "LastEvaluatedKey" not in page:
            break
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
    return found[:wanted]


def _matches(item: dict[str, Any], high: str, filters: EventFilter) -> bool:
    if text(item, keys.TIME_SK) == high:
        return False  # the cursor's own event, on the page before
    if filters.status and text(item, "status") != filters.status.value:
        return False
    wanted = filters.contains.strip().casefold()
    return not wanted or ("description" in item and wanted in text(item, "description").casefold())
