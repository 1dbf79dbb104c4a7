"""The newest events, for the Live page: LATEST_SHARDS small items, read together in one call.

Each item lists up to RECENT_KEPT events (any status, newest first, texts cut to a preview) and the
newest stored event it has seen (whole). The aggregator merges each batch of the table's stream into
the item of its stream shard, so writers spread over the items whatever the event rate; a reader merges
the items. A write is a read-modify-write conditioned on the item's version: a merge that lost a race
merges again from what the winner wrote, and merging the same events twice changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from core import clock
from core.aws import AwsClients
from core.aws.backoff import pause
from core.aws.errors import aws_call
from core.errors import ConditionFailed
from core.models import EventStatus, StoredEvent
from core.store import keys
from core.store.attributes import number, text, typed, values
from core.store.items import from_summary, item_size, summary
from core.store.table import batch_get

RECENT_KEPT = 8  # events each item lists at most: the Live page's strip
# Bytes a LATEST item may take: 3 WCU a write (DynamoDB bills per started KB). Its entries are written at
# every merge; past this, the oldest entries are left out (the other items' entries fill the strip).
LATEST_BUDGET = 3 * 1024
MERGE_ATTEMPTS = 8
MERGE_FIRST_SECONDS = 0.02  # writers that raced spread out from 20 ms, doubling
SEQUENCE = "seq"  # an entry's stream sequence number: of two versions of one event, the later wins
Listing = tuple[StoredEvent, int]  # an event as a change left it, and that change's sequence number


@dataclass
class Shard:
    """One LATEST item as read: its entries (DynamoDB maps, as stored), and its version."""

    index: int
    recent: list[dict[str, Any]] = field(default_factory=list)
    stored: dict[str, Any] | None = None
    version: int = 0

    def ids(self) -> set[str]:
        return {_id(entry) for entry in [*self.recent, *([self.stored] if self.stored else [])]}


def newest(clients: AwsClients) -> tuple[list[StoredEvent], StoredEvent | None]:
    """The newest RECENT_KEPT events of any status, newest first, and the newest stored event.

    An event changed twice (failed, then retried) may be listed by two items: its later version counts.
    """
    shards = read_all(clients)
    versions: dict[str, dict[str, Any]] = {}
    for entry in (entry for shard in shards for entry in shard.recent):
        known = versions.get(_id(entry))
        if known is None or _sequence(entry) > _sequence(known):
            versions[_id(entry)] = entry
    recent = sorted(versions.values(), key=_arrival, reverse=True)
    stored = [shard.stored for shard in shards if shard.stored is not None
              and _sequence(shard.stored) >= _sequence(versions.get(_id(shard.stored), shard.stored))]
    last = max(stored, key=_arrival, default=None)
    return [_event(entry) for entry in recent[:RECENT_KEPT]], _event(last) if last else None


def listed(event: StoredEvent) -> StoredEvent:
    """The event as a LATEST item keeps it as the newest stored one: without its detail fields."""
    return _event(summary(event, whole_text=True))


def read_all(clients: AwsClients, consistent: bool = False) -> list[Shard]:
    """Every LATEST item, in one BatchGetItem."""
    items = batch_get(clients, [keys.latest_key(index) for index in range(keys.LATEST_SHARDS)], consistent)
    found = {_index(item): _shard(item) for item in items}
    return [found.get(index, Shard(index)) for index in range(keys.LATEST_SHARDS)]


def merge(clients: AwsClients, index: int | None, added: list[Listing], gone: set[str]) -> None:
    """Add `added` to LATEST item `index`, and drop the `gone` ids from every item that lists them."""
    shards = read_all(clients, consistent=True)
    for shard in shards:
        if shard.index == index or gone & shard.ids():
            _merge_one(clients, shard, added if shard.index == index else [], gone)


def forget(clients: AwsClients, event_ids: set[str]) -> None:
    """Drop deleted events from the LATEST items now (the aggregator will too, when the deletes reach it)."""
    merge(clients, None, [], event_ids)


def _merge_one(clients: AwsClients, shard: Shard, added: list[Listing], gone: set[str]) -> None:
    for attempt in range(1, MERGE_ATTEMPTS + 1):
        merged = _merged(shard, added, gone)
        if (merged.recent, merged.stored) == (shard.recent, shard.stored):
            return
        try:
            _put(clients, merged)
            return
        except ConditionFailed:  # another writer moved the item meanwhile: merge into what it wrote
            if attempt == MERGE_ATTEMPTS:
                raise
            pause(attempt, MERGE_FIRST_SECONDS)
            shard = _read(clients, shard.index)


def _merged(shard: Shard, added: list[Listing], gone: set[str]) -> Shard:
    entries = {_id(entry): entry for entry in shard.recent}
    stored = [shard.stored] if shard.stored is not None else []
    for event, sequence in added:
        known = entries.get(event.event_id)
        if known is None or sequence >= _sequence(known):  # a change merged again, or a later one
            entries[event.event_id] = _entry(event, sequence)
            stored = [entry for entry in stored if _id(entry) != event.event_id]
            if event.status is EventStatus.STORED:
                stored.append(_entry(event, sequence, whole_text=True))
    kept = sorted((e for event_id, e in entries.items() if event_id not in gone), key=_arrival, reverse=True)
    # A stored event that is gone is replaced by the newest stored one the item still lists, if any.
    candidates = [entry for entry in stored if _id(entry) not in gone]
    candidates += [entry for entry in kept if text(entry, "status") == EventStatus.STORED]
    newest_stored = max(candidates, key=_arrival, default=None)
    return _within_budget(Shard(shard.index, kept[:RECENT_KEPT], newest_stored, shard.version))


def _within_budget(shard: Shard) -> Shard:
    """`shard` with its oldest entries left out while its item is over LATEST_BUDGET (the newest stays)."""
    while len(shard.recent) > 1 and item_size(_item(shard)) > LATEST_BUDGET:
        shard = Shard(shard.index, shard.recent[:-1], shard.stored, shard.version)
    return shard


def _entry(event: StoredEvent, sequence: int, whole_text: bool = False) -> dict[str, Any]:
    return summary(event, whole_text) | typed({SEQUENCE: sequence})


def _event(entry: dict[str, Any]) -> StoredEvent:
    return from_summary({name: value for name, value in entry.items() if name != SEQUENCE})


def _id(entry: dict[str, Any]) -> str:
    return text(entry, "event_id")


def _sequence(entry: dict[str, Any]) -> int:
    return number(entry, SEQUENCE)


def _arrival(entry: dict[str, Any]) -> tuple[str, str]:
    """Order of arrival: received time (fixed-width ISO sorts as time), then id, so ties have one order."""
    return clock.iso(_event(entry).received_at), _id(entry)


def _read(clients: AwsClients, index: int) -> Shard:
    """One LATEST item again, after a lost race (BatchGetItem, so a writer needs no other read action)."""
    items = batch_get(clients, [keys.latest_key(index)], consistent=True)
    return _shard(items[0]) if items else Shard(index)


def _item(shard: Shard) -> dict[str, Any]:
    """The item a merge writes: its entries are typed items already (summary()), so they go in as maps."""
    item: dict[str, Any] = keys.latest_key(shard.index) | typed({"version": shard.version + 1}) | {
        "recent": {"L": [{"M": entry} for entry in shard.recent]}}
    if shard.stored is not None:
        item["stored"] = {"M": shard.stored}
    return item


def _put(clients: AwsClients, shard: Shard) -> None:
    table = clients.settings.table_name
    with aws_call(f"table {table}"):
        clients.dynamodb.put_item(
            TableName=table, Item=_item(shard),
            ConditionExpression="attribute_not_exists(version) OR version = :version",
            ExpressionAttributeValues=values(version=shard.version),
        )


def _shard(item: dict[str, Any]) -> Shard:
    recent = [entry["M"] for entry in item.get("recent", {}).get("L", [])]
    stored = item.get("stored", {}).get("M")
    return Shard(_index(item), recent, stored, number(item, "version"))


def _index(item: dict[str, Any]) -> int:
    return int(text(item, keys.PK).split("#", 1)[1])
