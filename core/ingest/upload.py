"""An uploaded file through the same path as a stream event: refused, writing nothing, unless it is a
usable image."""

from __future__ import annotations

from datetime import datetime

from core.aws import AwsClients
from core.errors import InvalidEvent
from core.imaging import renditions as images
from core.ingest.events import store_image
from core.ingest.origin import Origin, upload_event_id
from core.models import MAX_FILENAME_CHARS, EventSource, StoredEvent, check_description
from core.store.writes import put_event


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
