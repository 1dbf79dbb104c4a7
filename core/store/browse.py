"""Pages of recent events for the gallery, and the failed events, newest first.

Pages walk only the hour buckets that the minute counters say hold events, so an empty week
costs seven small reads, not 168. Failed events come from the sparse failed-by-day index instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from core import clock
from core.aws import AwsClients
from core.models import EventStatus, StoredEvent
from core.store import keys
from core.store.items import from_item
from core.store.reads import minute_counts, table_call

DEFAULT_WINDOW = timedelta(days=7)


@dataclass(frozen=True)
class EventFilter:
    since: datetime | None = None  # default: a week before `until`
    until: datetime | None = None  # default: now
    status: EventStatus | None = None
    contains: str = ""  # case-insensitive, in the description


@dataclass(frozen=True)
class EventPage:
    events: list[StoredEvent]
    next_cursor: str | None  # pass back to get the following page; None on the last page


def sort_key(event: StoredEvent) -> str:
    return keys.event_sort_key(event.received_at, event.event_id)


def recent_events(
    clients: AwsClients, filters: EventFilter | None = None, limit: int = 24, cursor: str | None = None,
) -> EventPage:
    """Up to `limit` events matching `filters`, older than `cursor` (an event's sort key)."""
    filters = filters or EventFilter()
    until = clock.utc(filters.until or clock.now())
    since = clock.utc(filters.since or until - DEFAULT_WINDOW)
    high = min(cursor or keys.AFTER_EVERY_EVENT, keys.sort_key_ceiling(until))
    if filters.status is EventStatus.FAILED:  # the sparse index: no walk over the stored events
        failed = failed_events(clients, limit + 1, since=since, cursor=high, contains=filters.contains)
        return _page(failed, limit)
    found: list[StoredEvent] = []
    for hour in _active_hours(clients, since, until):
        if keys.hour_bucket(hour) > keys.bucket_of(high):
            continue  # newer than the cursor: the pages before this one covered it
        found += _bucket(clients, hour, clock.iso(since), high, filters, limit + 1 - len(found))
        if len(found) > limit:
            break
    return _page(found, limit)


def _page(found: list[StoredEvent], limit: int) -> EventPage:
    """`limit` events and, if one more was found, the cursor to the next page."""
    if len(found) > limit:
        return EventPage(found[:limit], sort_key(found[limit - 1]))
    return EventPage(found, None)


def _active_hours(clients: AwsClients, since: datetime, until: datetime) -> list[datetime]:
    hours = {c.minute.replace(minute=0) for c in minute_counts(clients, since, until)}
    return sorted(hours, reverse=True)


def _bucket(
    clients: AwsClients, hour: datetime, low: str, high: str, filters: EventFilter, wanted: int
) -> list[StoredEvent]:
    """Matching events of one hour bucket with low <= sort key < high, newest first."""
    return _matching(clients, _bucket_query(hour, low, high, filters), high, wanted)


def _matching(clients: AwsClients, kwargs: dict[str, Any], high: str, wanted: int) -> list[StoredEvent]:
    """Up to `wanted` items of a newest-first query, the one at `high` left out (the cursor's own)."""
    found: list[StoredEvent] = []
    while len(found) < wanted:
        # A filter applies after Limit, so ask for a few more than wanted.
        page = table_call(clients, "query", Limit=max(wanted, 25), **kwargs)
        found += [from_item(i) for i in page.get("Items", []) if i[keys.SK]["S"] != high]
        if "LastEvaluatedKey" not in page:
            break
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
    return found[:wanted]


def _bucket_query(hour: datetime, low: str, high: str, filters: EventFilter) -> dict[str, Any]:
    values: dict[str, Any] = {
        ":pk": {"S": keys.hour_bucket(hour)}, ":low": {"S": low}, ":high": {"S": high}
    }
    conditions, names = [], {}
    if filters.status:
        conditions.append("#status = :status")
        names["#status"] = "status"
        values[":status"] = {"S": filters.status.value}
    if filters.contains.strip():
        conditions.append("contains(description_lc, :text)")
        values[":text"] = {"S": filters.contains.strip().casefold()}
    kwargs: dict[str, Any] = {
        "KeyConditionExpression": f"{keys.PK} = :pk AND {keys.SK} BETWEEN :low AND :high",
        "ExpressionAttributeValues": values,
        "ScanIndexForward": False,
    }
    if conditions:
        kwargs["FilterExpression"] = " AND ".join(conditions)
    if names:
        kwargs["ExpressionAttributeNames"] = names
    return kwargs


def failed_events(
    clients: AwsClients, limit: int = 50, days: int = 7, *,
    since: datetime | None = None, cursor: str | None = None, contains: str = "",
) -> list[StoredEvent]:
    """The newest failed events, from the sparse failed-by-day index: its cost grows with the failures,
    not with the events. From `since` (default: the start of the day `days` - 1 days ago) to now, or
    to just before `cursor` (an event's sort key, for the next page); `contains` as in EventFilter."""
    today = clock.now().replace(hour=0, minute=0, second=0, microsecond=0)
    since = clock.utc(since) if since else today - timedelta(days=days - 1)
    high = cursor or keys.AFTER_EVERY_EVENT
    day = min(today, _day_of(high) or today)
    found: list[StoredEvent] = []
    while day >= since.replace(hour=0, minute=0, second=0, microsecond=0) and len(found) < limit:
        kwargs = _failed_day_query(day, clock.iso(since), high, contains)
        found += _matching(clients, kwargs, high, limit - len(found))
        day -= timedelta(days=1)
    return found


def _failed_day_query(day: datetime, low: str, high: str, contains: str) -> dict[str, Any]:
    values = {":day": {"S": keys.failed_day(day)}, ":low": {"S": low}, ":high": {"S": high}}
    kwargs: dict[str, Any] = {
        "IndexName": keys.FAILED_INDEX, "ScanIndexForward": False,
        "KeyConditionExpression": f"{keys.FAILED_PK} = :day AND {keys.SK} BETWEEN :low AND :high",
        "ExpressionAttributeValues": values,
    }
    if contains.strip():
        kwargs["FilterExpression"] = "contains(description_lc, :text)"
        values[":text"] = {"S": contains.strip().casefold()}
    return kwargs


def _day_of(sort_key: str) -> datetime | None:
    """The UTC day an event sort key (or a bound built from one) falls on; None for AFTER_EVERY_EVENT."""
    try:
        return datetime.strptime(sort_key[:10], "%Y-%m-%d").replace(tzinfo=UTC)
    except ValueError:
        return None
