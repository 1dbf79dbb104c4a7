"""One event made from its source: parsed, its image fetched, its renditions and original put in S3 under
content keys, or a failed event with a reason a person can act on.

Writes no event item: the batch service and the upload write them. A bad event becomes a failed event with
its reason; a transient failure of our own store raises StoreUnavailable so the caller can retry.
"""

from __future__ import annotations

import hashlib

from core.aws import AwsClients
from core.errors import EventRejected
from core.imaging.renditions import Renditions, renditions
from core.ingest.origin import Origin
from core.models import (
    MAX_DESCRIPTION_CHARS,
    MAX_REASON_CHARS,
    MAX_URL_CHARS,
    EventStatus,
    FailureKind,
    StoredEvent,
)
from core.store import keys
from core.store.objects import names_object, put_once


def make_event(
    clients: AwsClients, origin: Origin, description: str, image_url: str | None, data: bytes
) -> StoredEvent:
    """The stored event for an image's bytes: renditions made and everything put in S3. EventRejected when
    the bytes are no usable image; StoreUnavailable when S3 failed."""
    made = renditions(data, clients.settings)
    return store_image(clients, origin, description, image_url, data, made)


def store_image(
    clients: AwsClients, origin: Origin, description: str, image_url: str | None, data: bytes,
    made: Renditions,
) -> StoredEvent:
    """Put the original (unless `image_url` is its key in our bucket already), its thumbnail and its preview
    under content keys; the stored event that will list them. An image no larger than the thumbnail gets
    no preview: it would be the thumbnail again."""
    info = made.info
    sha256 = hashlib.sha256(data).hexdigest()
    original = keys.original_key(sha256, info.extension)
    small = keys.thumbnail_key(sha256)
    if not names_object(clients, image_url, original):  # else it is there: the bytes are the key's
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

    Retryable when its source failed for now (error.retryable), and then its reason says how to retry it.
    It carries `error` (not stored), so the consumer can count failures by kind.
    """
    failed = _event(origin, EventStatus.FAILED, description or "", image_url)
    if error.retryable:
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
        request_id=origin.request_id, filename=origin.filename, read_as=origin.read_as,
    )
