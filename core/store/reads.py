"""Reads for the dashboard and the CLI. Each costs the same at 100 or 10 million events:
it touches one item, at most 61 minute counters, or the hour buckets of the window it is asked for."""

from __future__ import annotations

import random
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from core import clock
from core.aws import AwsClients
from core.aws_errors import aws_call
from core.errors import StoreUnavailable
from core.models import StoredEvent
from core.store import keys
from core.store.items import from_item


@dataclass(frozen=True)
class MinuteCount:
    minute: datetime
    events: int
    failed: int


def table_call(clients: AwsClients, operation: str, **kwargs: Any) -> dict[str, Any]:
    """One DynamoDB read on our table (get_item, query), its failures turned into our exceptions."""
    table = clients.settings.table_name
    with aws_call(f"table {table}"):
        return dict(getattr(clients.dynamodb, operation)(TableName=table, **kwargs))


def get_event(clients: AwsClients, event_id: str) -> StoredEvent | None:
    """One event by id (two reads: the id pointer, then the event)."""
    pointer = table_call(clients, "get_item", Key=keys.id_pointer_key(event_id)).get("Item")
    if not pointer:
        return None
    key = {keys.PK: pointer["event_pk"], keys.SK: pointer["event_sk"]}
    item = table_call(clients, "get_item", Key=key).get("Item")
    return from_item(item) if item else None


BATCH_GET_KEYS = 100  # the most keys BatchGetItem takes in one call
UNPROCESSED_ATTEMPTS = 8  # rounds for keys DynamoDB leaves unprocessed (throttled), with jittered pauses


def get_events(clients: AwsClients, event_ids: Iterable[str]) -> dict[str, StoredEvent]:
    """The stored events among `event_ids`, by id; ids not stored (yet) are left out.

    Two BatchGetItem calls per 100 ids (the id pointers, then the events), not two GetItems per id.
    """
    ids = list(dict.fromkeys(event_ids))  # BatchGetItem refuses a key named twice
    pointers = _batch_get(clients, [keys.id_pointer_key(event_id) for event_id in ids])
    event_keys = [{keys.PK: p["event_pk"], keys.SK: p["event_sk"]} for p in pointers]
    events = [from_item(item) for item in _batch_get(clients, event_keys)]
    return {event.event_id: event for event in events}


def _batch_get(clients: AwsClients, wanted: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every item of `wanted` that exists, in calls of at most 100 keys."""
    found: list[dict[str, Any]] = []
    for start in range(0, len(wanted), BATCH_GET_KEYS):
        found += _batch_get_call(clients, wanted[start:start + BATCH_GET_KEYS])
    return found


def _batch_get_call(clients: AwsClients, wanted: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One BatchGetItem, asked again for the keys DynamoDB leaves unprocessed (it does under load)."""
    table = clients.settings.table_name
    request: dict[str, Any] = {table: {"Keys": wanted}}
    found: list[dict[str, Any]] = []
    for attempt in range(UNPROCESSED_ATTEMPTS):
        if attempt:
            time.sleep(random.uniform(0, min(1.0, 0.05 * 2**attempt)))
        with aws_call(f"table {table}"):
            answer = clients.dynamodb.batch_get_item(RequestItems=request)
        found += answer.get("Responses", {}).get(table, [])
        request = dict(answer.get("UnprocessedKeys") or {})
        if not request:
            return found
    left = len(request[table]["Keys"])
    raise StoreUnavailable(f"table {table} left {left} key(s) unprocessed after {UNPROCESSED_ATTEMPTS} "
                           "attempts (throttled); try again in a moment")


def latest_event(clients: AwsClients) -> StoredEvent | None:
    """The most recent stored event (one read)."""
    item = table_call(clients, "get_item", Key=keys.LATEST_KEY).get("Item")
    return from_item(item) if item else None


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
        ExpressionAttributeValues={
            ":pk": {"S": keys.counter_day(day)}, ":low": {"S": low_key}, ":high": {"S": high_key}
        },
    )
    totals: dict[datetime, list[int]] = {}
    for item in items:
        hour, minute = keys.counter_minute(item[keys.SK]["S"])
        total = totals.setdefault(day.replace(hour=hour, minute=minute), [0, 0])
        total[0] += int(item.get("events", {"N": "0"})["N"])
        total[1] += int(item.get("failed", {"N": "0"})["N"])
    return [MinuteCount(minute, events, failed) for minute, (events, failed) in sorted(totals.items())]


def query_all(clients: AwsClients, **kwargs: Any) -> Iterator[dict[str, Any]]:
    """Every item a query matches, page after page."""
    while True:
        page = table_call(clients, "query", **kwargs)
        yield from page.get("Items", [])
        if "LastEvaluatedKey" not in page:
            return
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def last_hour_minutes(clients: AwsClients, now: datetime | None = None) -> list[MinuteCount]:
    """The 60 minute counters ending with the current minute."""
    minute = clock.utc(now or clock.now()).replace(second=0, microsecond=0)
    return minute_counts(clients, minute - timedelta(minutes=59), minute)


def last_hour_count(clients: AwsClients, now: datetime | None = None) -> int:
    """Events (stored and failed) received in the current minute and the 59 before it."""
    return sum(count.events for count in last_hour_minutes(clients, now))
