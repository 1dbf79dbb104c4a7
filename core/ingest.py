"""One event through fetch -> image -> store: the path stream records and uploads share.

Returns the stored or failed event. A bad event is recorded as failed with its reason; a transient
failure of our own store raises StoreUnavailable so the caller can retry (nothing is lost).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from core import clock, images
from core.aws import AwsClients
from core.errors import EventRejected, InvalidEvent
from core.fetch import fetch_image
from core.models import (
    MAX_DESCRIPTION_CHARS,
    MAX_FILENAME_CHARS,
    MAX_REASON_CHARS,
    MAX_URL_CHARS,
    EventSource,
    EventStatus,
    StoredEvent,
    WireEvent,
    check_description,
)
from core.store import keys, writes
from core.store.objects import put_once
from core.store.reads import get_event
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
    """A raw stream record: parse it, then ingest it; unparseable records are stored as failed."""
    try:
        event = parse_payload(data)
    except EventRejected as exc:
        return record_failure(clients, origin, exc, **salvage_fields(data))
    return ingest_event(clients, event, origin)


def ingest_event(clients: AwsClients, event: WireEvent, origin: Origin) -> StoredEvent:
    """Fetch the event's image, thumbnail it and store both; failures of the event are recorded."""
    try:
        fetched = fetch_image(event.image_url, clients)
        info, thumbnail = images.process_image(fetched.data, clients.settings)
    except EventRejected as exc:
        return record_failure(clients, origin, exc, event.image_url, event.description)
    return store_image(
        clients, origin, event.description, event.image_url, fetched.data, (info, thumbnail)
    )


def ingest_upload(
    clients: AwsClients, data: bytes, filename: str, description: str, received_at: datetime
) -> StoredEvent:
    """An uploaded file: refused (EventRejected, nothing written) unless it is a usable image."""
    try:
        check_description(description)
    except ValueError as exc:
        raise InvalidEvent(f"Description {exc}") from None
    info, thumbnail = images.process_image(data, clients.settings)
    event_id = upload_event_id(data, received_at)
    origin = Origin(event_id, received_at, EventSource.UPLOAD, filename=filename[:MAX_FILENAME_CHARS])
    return store_image(clients, origin, description, None, data, (info, thumbnail))


def store_image(
    clients: AwsClients, origin: Origin, description: str, image_url: str | None, data: bytes,
    processed: tuple[images.ImageInfo, images.Thumbnail],
) -> StoredEvent:
    """Put the original and its thumbnail under content keys, then record the event once."""
    info, thumbnail = processed
    sha256 = hashlib.sha256(data).hexdigest()
    original = keys.original_key(sha256, info.extension)
    small = keys.thumbnail_key(sha256)
    put_once(clients, original, data, info.content_type)
    put_once(clients, small, thumbnail.data, thumbnail.content_type)
    stored = _event(origin, EventStatus.STORED, description, image_url).model_copy(
        update={
            "original_key": original, "thumbnail_key": small, "sha256": sha256,
            "width": info.width, "height": info.height, "format": info.format,
            "size_bytes": len(data), "frame_count": info.frame_count, "exif": info.exif,
        }
    )
    return _save(clients, stored)


def record_failure(
    clients: AwsClients, origin: Origin, error: EventRejected,
    image_url: str | None = None, description: str | None = None,
) -> StoredEvent:
    """Keep a failed event with its reason, so nothing vanishes and the dashboard can show why.

    The returned event carries `error` (not stored), so the caller can count failures by kind.
    """
    failed = _event(origin, EventStatus.FAILED, description or "", image_url)
    reason = str(error)[:MAX_REASON_CHARS]
    return _save(clients, failed.model_copy(update={"failure_reason": reason})).rejected_by(error)


def _event(origin: Origin, status: EventStatus, description: str, url: str | None) -> StoredEvent:
    return StoredEvent(
        event_id=origin.event_id, received_at=origin.received_at, source=origin.source,
        status=status, description=description[:MAX_DESCRIPTION_CHARS],
        image_url=(url or "")[:MAX_URL_CHARS] or None,
        shard_id=origin.shard_id, sequence_number=origin.sequence_number,
        request_id=origin.request_id, filename=origin.filename,
    )


def _save(clients: AwsClients, event: StoredEvent) -> StoredEvent:
    """Write once; on a redelivery return the event as first stored, unchanged."""
    if not writes.save_event(clients, event):
        event = get_event(clients, event.event_id) or event
    writes.advance_latest(clients, event)
    return event
