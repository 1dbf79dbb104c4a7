"""Raw stream records as the consumer and replay take a batch: records already stored are left out after
one read, the rest processed on a pool and their events written together."""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

from core.aws import AwsClients
from core.errors import StoreUnavailable
from core.ingest.events import process_payload
from core.ingest.origin import Origin
from core.models import StoredEvent
from core.store.reads import existing, get_event
from core.store.writes import put_event, put_events


def ingest_payload(clients: AwsClients, data: bytes, origin: Origin) -> StoredEvent:
    """One raw stream record, start to end: the event as first stored if it already is, else processed
    and written (the consumer does the same for a whole batch with fewer calls)."""
    found = get_event(clients, origin.event_id)
    if found is not None:
        return found
    event = process_payload(clients, data, origin)
    put_event(clients, event)
    return event


def ingest_records(clients: AwsClients, records: Sequence[tuple[bytes, Origin]]) -> list[StoredEvent | None]:
    """Raw stream records as the consumer takes a batch: those whose events are kept already are left out
    after one consistent read (None), the rest processed on WORKER_COUNT threads and written together.

    Raises StoreUnavailable if our store failed or left some events unwritten (the rest are kept).
    """
    kept = existing(clients, [origin.event_id for _, origin in records])

    def one(record: tuple[bytes, Origin]) -> StoredEvent | None:
        data, origin = record
        return None if origin.event_id in kept else process_payload(clients, data, origin)

    with ThreadPoolExecutor(max(1, clients.settings.worker_count), thread_name_prefix="record") as pool:
        events = list(pool.map(one, records))
    unwritten, error = write_events(clients, [event for event in events if event is not None])
    if unwritten:
        raise error
    return events


def write_events(clients: AwsClients, events: list[StoredEvent]) -> tuple[set[str], StoreUnavailable]:
    """Write a batch's events together: the ids left unwritten (all of them if the call failed), and why."""
    try:
        unwritten = put_events(clients, events)
    except StoreUnavailable as exc:
        return {event.event_id for event in events}, exc
    return unwritten, StoreUnavailable(f"table {clients.settings.table_name}: DynamoDB is throttling writes; "
                                       "try again in a moment")
