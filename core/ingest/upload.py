"""An uploaded file through the same path as a stream event: refused, writing nothing, unless it is a
usable image."""

from __future__ import annotations

from datetime import datetime

from core.aws import AwsClients
from core.errors import InvalidEvent
from core.ingest.batch import UPLOAD, Job, run
from core.ingest.origin import Origin, upload_event_id
from core.models import MAX_FILENAME_CHARS, EventSource, StoredEvent, check_description


def upload_job(data: bytes, filename: str, description: str, received_at: datetime) -> Job:
    """An uploaded file as a job for the batch service; InvalidEvent for a description we would not keep."""
    try:
        check_description(description)
    except ValueError as exc:
        raise InvalidEvent(f"Description {exc}") from None
    origin = Origin(upload_event_id(data, received_at), received_at, EventSource.UPLOAD,
                    filename=filename[:MAX_FILENAME_CHARS])
    return Job(origin, description, data=data)


def ingest_upload(
    clients: AwsClients, data: bytes, filename: str, description: str, received_at: datetime
) -> StoredEvent:
    """One uploaded file stored, or refused with EventRejected (nothing written); StoreError if the store
    failed."""
    (outcome,) = run(clients, [upload_job(data, filename, description, received_at)], UPLOAD)
    if outcome.error is not None:
        raise outcome.error
    assert outcome.event is not None, "an upload is never a repeat"
    return outcome.event
