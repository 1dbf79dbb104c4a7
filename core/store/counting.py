"""Counting events off their path: the aggregator turns the table's stream into minute counters and LATEST.

Each stored, failed, retried or deleted event shows up on the table's stream once (DynamoDB Streams keep
each change once per shard, in order). A batch of those changes is applied in one transaction with a
checkpoint keyed by the batch's first sequence number, which is where Lambda resumes after a failure
(the aggregator's event source neither bisects batches nor reports partial failures): a retried batch
finds what it already applied and applies only the rest, so every change counts once however often it
is delivered. A redelivered Kinesis record that the consumer writes again changes an event that exists
(MODIFY), so it is not counted again.

A change that cannot be applied is passed by, not retried: an item under an event's key that is no event
this version reads, or a change whose counter DynamoDB refuses (ValidationException: a counter someone
edited by hand). The checkpoint moves past it alone, the rest of the batch is counted exactly once, and it
comes back in `Applied.skipped` for the aggregator to report (`python -m core recount` puts its minute
right). A failure of our store itself (throttling, an outage, a refusal even of the checkpoint) is raised,
and the batch is delivered again.

Writes per batch, whatever its size: the checkpoint, one counter per minute it spans, one LATEST item.
The batch's first sequence number also picks which of the COUNTER_SHARDS counters of a minute and which
of the LATEST_SHARDS items it writes, so concurrent batches rarely meet on an item.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from core import clock
from core.aws import AwsClients
from core.aws.backoff import pause
from core.aws.errors import aws_call
from core.errors import ConditionFailed, RequestRefused, TransactionConflict
from core.models import EventStatus, StoredEvent
from core.store import keys, latest
from core.store.attributes import number, typed, values
from core.store.items import from_summary
from core.store.writes import expiry

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.type_defs import TransactWriteItemTypeDef, UpdateTypeDef

TTL_PRINCIPAL = "dynamodb.amazonaws.com"  # who deleted an item, in the stream record of a TTL deletion
CHECKPOINT_DAYS = 2  # DynamoDB Streams keep records 24 h; a checkpoint outlives any retry of them
CONFLICT_ATTEMPTS = 8
CONFLICT_FIRST_SECONDS = 0.04  # colliding deliveries spread out from 40 ms, doubling
MAX_MINUTES = 99  # counters per transaction: DynamoDB takes 100 items, one is the checkpoint


@dataclass(frozen=True)
class Skipped:
    """A change passed by because it cannot be applied: which item, where on the stream, and why."""

    key: str  # the item's partition and sort key
    sequence: int
    reason: str


@dataclass
class Applied:
    changes: int = 0  # event changes in the batch
    counted: int = 0  # of those, applied now (the rest were applied by an earlier delivery, or skipped)
    minutes: Counter[datetime] = field(default_factory=Counter)  # events added per minute
    skipped: list[Skipped] = field(default_factory=list)


@dataclass(frozen=True)
class _Change:
    key: str
    sequence: int
    kind: str  # INSERT, MODIFY, REMOVE
    before: StoredEvent | None
    after: StoredEvent | None


def apply(clients: AwsClients, records: list[dict[str, Any]]) -> Applied:
    """Count a batch of the table's stream records (Lambda's DynamoDB Streams event records)."""
    applied = Applied()
    changes = _changes(records, applied)
    if changes:
        first = str(records[0]["dynamodb"]["SequenceNumber"])
        refused = _count_all(clients, first, changes, applied)
        _refresh_latest(clients, first, [change for change in changes if change.sequence not in refused])
    return applied


def _changes(records: list[dict[str, Any]], applied: Applied) -> list[_Change]:
    """The batch's event changes; a record whose image is no event is skipped into `applied`."""
    changes = []
    for record in records:
        try:
            change = _change(record)
        except (ValueError, KeyError, TypeError) as exc:  # pydantic's ValidationError is a ValueError
            reason = f"its image is not an event this version reads: {_first_line(exc)}"
            applied.skipped.append(Skipped(_key(record), _sequence(record), reason))
            continue
        if change is not None:
            changes.append(change)
    applied.changes = len(changes) + len(applied.skipped)
    return changes


def _count_all(clients: AwsClients, first: str, changes: list[_Change], applied: Applied) -> set[int]:
    """Count each change not counted yet, passing by those whose counters DynamoDB refuses: their
    sequence numbers."""
    refused: dict[int, str] = {}
    one_at_a_time = False  # while finding which change of a refused group it is
    conflicts = 0
    while True:
        seen = _checkpoint(clients, first)
        fresh = [change for change in changes if change.sequence > seen]
        if not fresh:
            return set(refused)
        group = fresh[:1] if one_at_a_time or fresh[0].sequence in refused else _group(fresh)
        passing = group[0].sequence in refused
        try:
            _commit(clients, first, seen, group, count=not passing)
        except RequestRefused as exc:
            if passing:  # not even the checkpoint alone: our store's fault, not the change's
                raise
            if len(group) == 1:
                refused[group[0].sequence] = _first_line(exc)
            one_at_a_time = True
            continue
        except (ConditionFailed, TransactionConflict):  # another delivery of this batch got there first
            conflicts += 1
            if conflicts == CONFLICT_ATTEMPTS:
                raise
            pause(conflicts, CONFLICT_FIRST_SECONDS)
            continue
        if passing:
            reason = f"DynamoDB refused its counter: {refused[group[0].sequence]}"
            applied.skipped.append(Skipped(group[0].key, group[0].sequence, reason))
            one_at_a_time = False
            continue
        applied.counted += len(group)
        applied.minutes += _deltas(group)[0]


def _key(record: dict[str, Any]) -> str:
    found = record.get("dynamodb", {}).get("Keys", {})
    return " ".join(str(found.get(name, {}).get("S", "?")) for name in (keys.PK, keys.SK))


def _sequence(record: dict[str, Any]) -> int:
    return int(record.get("dynamodb", {}).get("SequenceNumber", 0))


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0][:300] if str(exc).strip() else type(exc).__name__


def _group(changes: list[_Change]) -> list[_Change]:
    """The first changes that touch at most MAX_MINUTES minutes: what one transaction can count (a batch
    that spans more, such as a migration's backfill, is counted in several, each moving the checkpoint)."""
    minutes: set[datetime] = set()
    for index, change in enumerate(changes):
        event = change.after or change.before
        assert event is not None
        minutes.add(_minute(event.received_at))
        if len(minutes) > MAX_MINUTES:
            return changes[:index]
    return changes


def _change(record: dict[str, Any]) -> _Change | None:
    """The event change a stream record carries, or None for any other item (counters, checkpoints…)
    and for an event DynamoDB deleted because it expired (EVENT_RETENTION_DAYS): its minute's counter
    expires after it, so the count of that minute stays as it was."""
    stream = record.get("dynamodb", {})
    if stream.get("Keys", {}).get(keys.SK, {}).get("S") != keys.EVENT_SK:
        return None
    identity = record.get("userIdentity") or {}
    if identity.get("type") == "Service" and identity.get("principalId") == TTL_PRINCIPAL:
        return None
    return _Change(
        key=_key(record), sequence=int(stream["SequenceNumber"]), kind=str(record["eventName"]),
        before=_event(stream.get("OldImage")), after=_event(stream.get("NewImage")),
    )


def _event(image: dict[str, Any] | None) -> StoredEvent | None:
    return from_summary({k: v for k, v in image.items() if k not in (keys.PK, keys.SK)}) if image else None


def _deltas(changes: list[_Change]) -> tuple[Counter[datetime], Counter[datetime]]:
    """Events and failures added per minute (negative for deletes and failures that were retried)."""
    events: Counter[datetime] = Counter()
    failed: Counter[datetime] = Counter()
    for change in changes:
        was, now = change.before, change.after
        if (was is not None and now is None) or (was is None and now is not None):
            sign, event = (1, now) if now is not None else (-1, was)
            assert event is not None
            minute = _minute(event.received_at)
            events[minute] += sign
            failed[minute] += sign * (event.status is EventStatus.FAILED)
        elif was is not None and now is not None and was.status is not now.status:
            failed[_minute(now.received_at)] += 1 if now.status is EventStatus.FAILED else -1
    return events, failed


def _minute(moment: datetime) -> datetime:
    return clock.utc(moment).replace(second=0, microsecond=0)


def _checkpoint(clients: AwsClients, first: str) -> int:
    """The last sequence number already applied from the batch starting at `first` (0: none)."""
    table = clients.settings.table_name
    with aws_call(f"table {table}"):
        item = clients.dynamodb.get_item(TableName=table, Key=keys.checkpoint_key(first),
                                         ConsistentRead=True).get("Item")
    return number(item, "last_sequence") if item else 0


def _commit(clients: AwsClients, first: str, seen: int, fresh: list[_Change], count: bool = True) -> None:
    """Count `fresh` (unless not `count`: pass it by) and move the checkpoint to its last change, if it is
    still at `seen`: one transaction."""
    table = clients.settings.table_name
    expires = int((clock.now() + timedelta(days=CHECKPOINT_DAYS)).timestamp())
    checkpoint: TransactWriteItemTypeDef = {"Put": {
        "TableName": table,
        "Item": keys.checkpoint_key(first) | typed({"last_sequence": fresh[-1].sequence,
                                                     keys.TTL_ATTRIBUTE: expires}),
        "ConditionExpression": "attribute_not_exists(last_sequence) OR last_sequence = :seen",
        "ExpressionAttributeValues": values(seen=seen),
    }}
    events, failed = _deltas(fresh)
    shard = keys.shard_of(first, keys.COUNTER_SHARDS)
    days = clients.settings.event_retention_days
    counters: list[TransactWriteItemTypeDef] = [
        {"Update": _count(table, minute, shard, events[minute], failed[minute], days)}
        for minute in sorted(set(events) | set(failed)) if count and (events[minute] or failed[minute])
    ]
    with aws_call(f"table {table}"):
        clients.dynamodb.transact_write_items(TransactItems=[checkpoint, *counters])


def _count(table: str, minute: datetime, shard: int, events: int, failed: int, days: int) -> UpdateTypeDef:
    """One counter of `minute`: events and failures added (negative for deletes). With a retention, it
    expires at the end of its minute plus the retention, never before the events it counts."""
    # The revision tells a recount (core/ops/recount.py) that a change was added while it counted.
    update = "ADD events :events, failed :failed, revision :one"
    given: dict[str, Any] = values(events=events, failed=failed, one=1)
    if days:
        update += f" SET {keys.TTL_ATTRIBUTE} = if_not_exists({keys.TTL_ATTRIBUTE}, :expires)"
        given[":expires"] = expiry(minute + timedelta(minutes=1), days)[keys.TTL_ATTRIBUTE]
    return {"TableName": table, "Key": keys.counter_key(minute, shard), "UpdateExpression": update,
            "ExpressionAttributeValues": given}


def _refresh_latest(clients: AwsClients, first: str, changes: list[_Change]) -> None:
    """Merge the batch's newest images into one LATEST item, and drop deleted events from all of them."""
    after: dict[str, latest.Listing] = {}
    gone: set[str] = set()
    for change in changes:
        if change.after is not None:
            after[change.after.event_id] = (change.after, change.sequence)
            gone.discard(change.after.event_id)
        elif change.before is not None:
            after.pop(change.before.event_id, None)
            gone.add(change.before.event_id)
    latest.merge(clients, keys.shard_of(first, keys.LATEST_SHARDS), list(after.values()), gone)
