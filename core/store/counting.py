"""Counting events off their path: the aggregator turns the table's stream into minute counters and LATEST.

Each stored, failed, retried or deleted event shows up on the table's stream once (DynamoDB Streams keep
each change once per shard, in order). A batch of those changes is applied in one transaction with a
checkpoint keyed by the batch's first sequence number, which is where Lambda resumes after a failure
(the aggregator's event source neither bisects batches nor reports partial failures): a retried batch
finds what it already applied and applies only the rest, so every change counts once however often it
is delivered. A redelivered Kinesis record that the consumer writes again changes an event that exists
(MODIFY), so it is not counted again.

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
from core.errors import ConditionFailed, TransactionConflict
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


@dataclass
class Applied:
    changes: int = 0  # event changes in the batch
    counted: int = 0  # of those, applied now (the rest were applied by an earlier delivery)
    minutes: Counter[datetime] = field(default_factory=Counter)  # events added per minute


@dataclass(frozen=True)
class _Change:
    sequence: int
    kind: str  # INSERT, MODIFY, REMOVE
    before: StoredEvent | None
    after: StoredEvent | None


def apply(clients: AwsClients, records: list[dict[str, Any]]) -> Applied:
    """Count a batch of the table's stream records (Lambda's DynamoDB Streams event records)."""
    changes = [change for record in records if (change := _change(record)) is not None]
    applied = Applied(changes=len(changes))
    if not changes:
        return applied
    first = str(records[0]["dynamodb"]["SequenceNumber"])
    conflicts = 0
    while True:
        seen = _checkpoint(clients, first)
        fresh = [change for change in changes if change.sequence > seen]
        if not fresh:
            break
        group = _group(fresh)
        try:
            _commit(clients, first, seen, group)
        except (ConditionFailed, TransactionConflict):  # another delivery of this batch got there first
            conflicts += 1
            if conflicts == CONFLICT_ATTEMPTS:
                raise
            pause(conflicts, CONFLICT_FIRST_SECONDS)
            continue
        applied.counted += len(group)
        applied.minutes += _deltas(group)[0]
    _refresh_latest(clients, first, changes)
    return applied



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
        sequence=int(stream["SequenceNumber"]), kind=str(record["eventName"]),
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


def _commit(clients: AwsClients, first: str, seen: int, fresh: list[_Change]) -> None:
    """Count `fresh` and move the checkpoint to its last change, if it is still at `seen`: one transaction."""
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
        for minute in sorted(set(events) | set(failed)) if events[minute] or failed[minute]
    ]
    with aws_call(f"table {table}"):
        clients.dynamodb.transact_write_items(TransactItems=[checkpoint, *counters])


def _count(table: str, minute: datetime, shard: int, events: int, failed: int, days: int) -> UpdateTypeDef:
    """One counter of `minute`: events and failures added (negative for deletes). With a retention, it
    expires at the end of its minute plus the retention, never before the events it counts."""
    update = "ADD events :events, failed :failed"
    given: dict[str, Any] = values(events=events, failed=failed)
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
