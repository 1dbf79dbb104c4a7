"""`python -m core recount`: the minute counters of a time range rebuilt from the events themselves.

The aggregator keeps counts by adding each change to a counter; a change it had to pass by, or a counter
edited by hand, leaves a minute wrong for good. The events' time indexes hold the truth: every event under
its minute (by-time), every failed one again (failed-by-time). A recount tallies them per minute and writes
the minute's counters to match, in one transaction.

How it stays exact while the aggregator writes: every counter carries a revision the aggregator bumps with
each change it adds. A minute is rewritten only when, across one settling window, neither its tally in the
indexes nor its counters' revisions moved: nothing was arriving for it, and every change already visible had
been applied (the aggregator applies a change within a second or two; the window is SETTLE_SECONDS). The
write is conditioned on those revisions, so a change applied meanwhile cancels it, and that minute is
looked at again. A minute still moving after ATTEMPTS windows (a burst still arriving for it) is reported
as unsettled, and nothing of it is written: run the recount again once it is quiet.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from core import clock
from core.aws import AwsClients
from core.aws.errors import aws_call
from core.errors import ConditionFailed, TransactionConflict
from core.store import keys
from core.store.attributes import number, text, typed, values
from core.store.table import query_all
from core.store.writes import expiry

SETTLE_SECONDS = 5.0  # a change visible in the indexes is applied by the aggregator well within this
ATTEMPTS = 5
MAX_MINUTES = 7 * 24 * 60  # a week: the indexes are read in full for the range, and held per minute


@dataclass(frozen=True)
class Tally:
    events: int = 0
    failed: int = 0


@dataclass(frozen=True)
class Counters:
    """A minute's counters as read: their sum, and each shard's revision (0: none yet)."""

    tally: Tally
    revisions: dict[int, int]


NONE = Counters(Tally(), {})  # a minute no counter has been written for


@dataclass(frozen=True)
class Correction:
    minute: str  # ISO, UTC
    was: Tally
    now: Tally


@dataclass
class Recounted:
    minutes: int = 0  # in the range
    exact: int = 0  # already right
    corrected: list[Correction] = field(default_factory=list)
    unsettled: list[str] = field(default_factory=list)  # still changing: nothing written for them


Progress = Callable[[Recounted, int], object]  # told the result so far and the minutes left to settle


def recount(
    clients: AwsClients, start: datetime, end: datetime, progress: Progress | None = None,
    settle_seconds: float = SETTLE_SECONDS, attempts: int = ATTEMPTS,
) -> Recounted:
    """Every minute from `start` to `end` (inclusive) counted from its events and its counters set to it."""
    low, high = _minute(start), _minute(end)
    if high < low:
        raise ValueError(f"--to ({clock.iso(end)}) is before --from ({clock.iso(start)})")
    span = int((high - low).total_seconds() // 60) + 1
    if span > MAX_MINUTES:
        raise ValueError(f"{span:,} minutes is more than a recount takes at once ({MAX_MINUTES:,}, a week): "
                         "recount the range in parts")
    result = Recounted(minutes=span)
    waiting = [low + timedelta(minutes=n) for n in range(span)]
    for _ in range(attempts):
        before = _counters(clients, low, high)
        first = _tallies(clients, low, high)
        time.sleep(settle_seconds)
        second = _tallies(clients, low, high)
        after = _counters(clients, low, high)
        moving = []
        for minute in waiting:
            read, earlier = after.get(minute, NONE), before.get(minute, NONE)
            if first.get(minute) != second.get(minute) or earlier.revisions != read.revisions:
                moving.append(minute)
            elif read.tally == second.get(minute, Tally()):
                result.exact += 1
            elif _rewrite(clients, minute, truth := second.get(minute, Tally()), read.revisions):
                result.corrected.append(Correction(clock.iso(minute), read.tally, truth))
            else:  # the aggregator applied a change meanwhile
                moving.append(minute)
        waiting = moving
        if progress:
            progress(result, len(waiting))
        if not waiting:
            break
    result.unsettled = [clock.iso(minute) for minute in waiting]
    return result


def _minute(moment: datetime) -> datetime:
    return clock.utc(moment).replace(second=0, microsecond=0)


def _days(low: datetime, high: datetime) -> list[datetime]:
    day, days = low.replace(hour=0, minute=0), []
    while day <= high:
        days.append(day)
        day += timedelta(days=1)
    return days


def _tallies(clients: AwsClients, low: datetime, high: datetime) -> dict[datetime, Tally]:
    """Events and failed events per minute, from the time indexes (every shard of every day in range)."""
    events: dict[datetime, int] = {}
    failed: dict[datetime, int] = {}
    # Sort keys start with the time received (fixed-width ISO): the range is [low, the minute after high).
    bounds = values(low=clock.iso(low), high=clock.iso(high + timedelta(minutes=1)))
    for index, prefix, counts in ((keys.TIME_INDEX, "T", events), (keys.FAILED_INDEX, "F", failed)):
        hash_key = keys.TIME_PK if prefix == "T" else keys.FAILED_PK
        for day in _days(low, high):
            for partition in keys.day_partitions(day.date(), prefix):
                for item in query_all(
                    clients, IndexName=index, ProjectionExpression=keys.TIME_SK,
                    KeyConditionExpression=f"{hash_key} = :pk AND {keys.TIME_SK} BETWEEN :low AND :high",
                    ExpressionAttributeValues=values(pk=partition) | bounds,
                ):
                    received, _ = keys.time_sort_parts(text(item, keys.TIME_SK))
                    minute = _minute(datetime.fromisoformat(received))
                    if minute <= high:
                        counts[minute] = counts.get(minute, 0) + 1
    minutes = set(events) | set(failed)
    return {minute: Tally(events.get(minute, 0), failed.get(minute, 0)) for minute in minutes}


def _counters(clients: AwsClients, low: datetime, high: datetime) -> dict[datetime, Counters]:
    """Each minute's counters, read consistently: their sums and their shards' revisions."""
    sums: dict[datetime, list[int]] = {}
    revisions: dict[datetime, dict[int, int]] = {}
    for day in _days(low, high):
        last = day + timedelta(hours=23, minutes=59)
        low_key, high_key = keys.counter_range(max(low, day), min(high, last))
        for item in query_all(
            clients, ConsistentRead=True,
            KeyConditionExpression=f"{keys.PK} = :pk AND {keys.SK} BETWEEN :low AND :high",
            ExpressionAttributeValues=values(pk=keys.counter_day(day), low=low_key, high=high_key),
        ):
            sort_key = text(item, keys.SK)
            hour, minute_of_hour = keys.counter_minute(sort_key)
            minute = day.replace(hour=hour, minute=minute_of_hour)
            total = sums.setdefault(minute, [0, 0])
            total[0] += number(item, "events")
            total[1] += number(item, "failed")
            shard = int(sort_key.rsplit("#", 1)[1])
            revisions.setdefault(minute, {})[shard] = number(item, "revision") if "revision" in item else 0
    return {minute: Counters(Tally(*sums[minute]), revisions[minute]) for minute in sums}


def _rewrite(clients: AwsClients, minute: datetime, tally: Tally, revisions: dict[int, int]) -> bool:
    """The minute's counters set to `tally` (all on shard 0, the others zeroed), if no shard has moved from
    `revisions`; False when one has."""
    table = clients.settings.table_name
    kept = expiry(minute + timedelta(minutes=1), clients.settings.event_retention_days)
    items: list[Any] = []
    for shard in range(keys.COUNTER_SHARDS):
        key = keys.counter_key(minute, shard)
        if shard not in revisions and shard != 0:
            items.append({"ConditionCheck": {"TableName": table, "Key": key,
                                             "ConditionExpression": f"attribute_not_exists({keys.PK})"}})
            continue
        revision = revisions.get(shard)
        counts = tally if shard == 0 else Tally()
        put: dict[str, Any] = {"TableName": table, "Item": key | typed(
            {"events": counts.events, "failed": counts.failed, "revision": (revision or 0) + 1}) | kept}
        if revision is None:
            put["ConditionExpression"] = f"attribute_not_exists({keys.PK})"
        elif revision == 0:
            put["ConditionExpression"] = "attribute_not_exists(revision)"
        else:
            put["ConditionExpression"] = "revision = :revision"
            put["ExpressionAttributeValues"] = values(revision=revision)
        items.append({"Put": put})
    try:
        with aws_call(f"table {table}"):
            clients.dynamodb.transact_write_items(TransactItems=items)
    except (ConditionFailed, TransactionConflict):
        return False
    return True
