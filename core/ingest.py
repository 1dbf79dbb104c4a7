"""One event through fetch -> image -> store: the path stream records and uploads share.

Processing (fetch, decode, renditions, S3) is apart from writing the event's item, so the consumer
and replay (ingest_records) can leave out records already stored before any work and write a batch's
events in a few calls. A bad event becomes a failed event with its reason; a transient failure of our
own store raises StoreUnavailable so the caller can retry (nothing is lost).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime

from core import clock, images
from core.aws import AwsClients
from core.errors import EventRejected, InvalidEvent, SourceUnavailable, StoreUnavailable
from core.fetch import fetch_image
from core.models import (
    MAX_DESCRIPTION_CHARS,
    MAX_FILENAME_CHARS,
    MAX_REASON_CHARS,
    MAX_URL_CHARS,
    EventSource,
    EventStatus,
    FailureKind,
    StoredEvent,
    WireEvent,
    check_description,
)
from core.store import keys
from core.store.objects import put_once
from core.store.reads import existing, get_event
from core.store.writes import put_event, put_events
from core.wire import parse_payload, salvage_fields


@dataclass(frozen=True)
class Origin:
    """Where an event came from; its id makes a redelivery change nothing."""

    event_id: str
    received_at: datetime
    source: EventSource
    shard_id: str | None = None
    sequence_number: str | None = None
    request_id: str | None = None
    filename: str | None = None


def stream_event_id(shard_id: str, sequence_number: str) -> str:
    return hashlib.sha256(f"{shard_id}:{sequence_number}".encode()).hexdigest()[:32]


def upload_event_id(data: bytes, received_at: datetime) -> str:
    digest = hashlib.sha256(data)
    digest.update(clock.iso(received_at).encode())
    return digest.hexdigest()[:32]


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


def process_payload(clients: AwsClients, data: bytes, origin: Origin) -> StoredEvent:
    """A raw stream record as an event to write: parsed, its image fetched and put in S3, or failed
    with its reason (an unparseable record too). Writes no event item: the caller does, in batches."""
    try:
        event = parse_payload(data)
    except EventRejected as exc:
        return failed_event(origin, exc, **salvage_fields(data))
    return process_event(clients, event, origin)


def process_event(clients: AwsClients, event: WireEvent, origin: Origin) -> StoredEvent:
    """Fetch the event's image, make its renditions and put them in S3; failures of the event are kept."""
    try:
        fetched = fetch_image(event.image_url, clients)
        made = images.renditions(fetched.data, clients.settings)
    except EventRejected as exc:
        return failed_event(origin, exc, event.image_url, event.description)
    return store_image(clients, origin, event.description, event.image_url, fetched.data, made)


def ingest_upload(
    clients: AwsClients, data: bytes, filename: str, description: str, received_at: datetime
) -> StoredEvent:
    """An uploaded file: refused (EventRejected, nothing written) unless it is a usable image."""
    try:
        check_description(description)
    except ValueError as exc:
        raise InvalidEvent(f"Description {exc}") from None
    made = images.renditions(data, clients.settings)
    event_id = upload_event_id(data, received_at)
    origin = Origin(event_id, received_at, EventSource.UPLOAD, filename=filename[:MAX_FILENAME_CHARS])
    event = store_image(clients, origin, description, None, data, made)
    put_event(clients, event)
    return event


def store_image(
    clients: AwsClients, origin: Origin, description: str, image_url: str | None, data: bytes,
    made: images.Renditions,
) -> StoredEvent:
    """Put the original, its thumbnail and its preview under content keys; the stored event that will
    list them. An image no larger than the thumbnail gets no preview: it would be the thumbnail again."""
    info = made.info
    sha256 = hashlib.sha256(data).hexdigest()
    original = keys.original_key(sha256, info.extension)
    small = keys.thumbnail_key(sha256)
    put_once(clients, original, data, info.content_type)
    put_once(clients, small, made.thumbnail.data, made.thumbnail.content_type)
    preview = None
    if (made.preview.width, made.preview.height) != (made.thumbnail.width, made.thumbnail.height):
        preview = keys.preview_key(sha256)
        put_once(clients, preview, made.preview.data, made.preview.content_type)
    return _event(origin, EventStatus.STORED, description, image_url).model_copy(
        update={
            "original_key": original, "thumbnail_key": small, "preview_key": preview, "sha256": sha256,
            "width": info.width, "height": info.height, "format": info.format,
            "size_bytes": len(data), "frame_count": info.frame_count, "exif": info.exif,
        }
    )


def failed_event(
    origin: Origin, error: EventRejected, image_url: str | None = None, description: str | None = None,
) -> StoredEvent:
    """A failed event with its reason, to keep, so nothing vanishes and the dashboard can show why.

    Retryable when its source failed for now (SourceUnavailable), and then its reason says how to retry
    it. It carries `error` (not stored), so the consumer can count failures by kind.
    """
    failed = _event(origin, EventStatus.FAILED, description or "", image_url)
    if isinstance(error, SourceUnavailable):
        hint = f": retry with `python -m core retry {origin.event_id}` or the Gallery's Retry button"
        reason, kind = str(error)[: MAX_REASON_CHARS - len(hint)] + hint, FailureKind.RETRYABLE
    else:
        reason, kind = str(error)[:MAX_REASON_CHARS], FailureKind.PERMANENT
    return failed.model_copy(update={"failure_reason": reason, "failure_kind": kind}).rejected_by(error)


def _event(origin: Origin, status: EventStatus, description: str, url: str | None) -> StoredEvent:
    return StoredEvent(
        event_id=origin.event_id, received_at=origin.received_at, source=origin.source,
        status=status, description=description[:MAX_DESCRIPTION_CHARS],
        image_url=(url or "")[:MAX_URL_CHARS] or None,
        shard_id=origin.shard_id, sequence_number=origin.sequence_number,
        request_id=origin.request_id, filename=origin.filename,
    )
