"""Pages of recent events for the gallery, and the failed events, newest first.

Pages walk only the hour buckets that the minute counters say hold events, so an empty week
costs seven small reads, not 168.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
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
    found: list[StoredEvent] = []
    for hour in _active_hours(clients, since, until):
        if keys.hour_bucket(hour) > keys.bucket_of(high):
            continue  # newer than the cursor: the pages before this one covered it
        found += _bucket(clients, hour, clock.iso(since), high, filters, limit + 1 - len(found))
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
    kwargs = _bucket_query(hour, low, high, filters)
    found: list[StoredEvent] = []
    while len(found) < wanted:
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


def failed_events(clients: AwsClients, limit: int = 50, days: int = 7) -> list[StoredEvent]:
    """The newest failed events of the last `days` days, from the sparse failed-by-day index."""
    today = clock.now()
    found: list[StoredEvent] = []
    for back in range(days):
        if len(found) >= limit:
            break
        page = table_call(
            clients, "query", IndexName=keys.FAILED_INDEX, ScanIndexForward=False,
            Limit=limit - len(found),
            KeyConditionExpression=f"{keys.FAILED_PK} = :day",
            ExpressionAttributeValues={":day": {"S": keys.failed_day(today - timedelta(days=back))}},
        )
        found += [from_item(item) for item in page.get("Items", [])]
    return found
