"""Trying a failed event again (`python -m core retry EVENT_ID`, the Gallery's Retry button).

Only an event whose source failed for now can succeed a second time (FailureKind.RETRYABLE: the image
host's 5xx, 429 or 408, a timeout, a refused or broken connection, a DNS lookup that got no answer). It
is processed again under its own id and received time and written over its failed self, so it stays one
event in the same minute: the aggregator sees a MODIFY, moves it from the failed count to the stored one
and counts nothing twice.
"""

from __future__ import annotations

from core.aws import AwsClients
from core.errors import EventRejected
from core.ingest.events import process_event
from core.ingest.origin import Origin
from core.models import EventStatus, FailureKind, StoredEvent, WireEvent
from core.store.reads import get_event
from core.store.writes import replace_failed

RETRY_REQUEST = "retry"  # the request id a retried event records, in place of Lambda's


class NotRetryable(EventRejected):
    """The event is not one a retry can help: stored already, missing, or failed for good."""


def retry_event(clients: AwsClients, event_id: str) -> StoredEvent:
    """Process a retryable failed event again; the event as it is now (stored, or failed again)."""
    event = retryable(clients, event_id)
    origin = Origin(event.event_id, event.received_at, event.source, event.shard_id,
                    event.sequence_number, RETRY_REQUEST, event.filename)
    # It passed this validation when it was first processed (else it would have failed for good).
    wire = WireEvent.model_validate({"ImageUrl": event.image_url, "Description": event.description})
    again = process_event(clients, wire, origin)
    if not replace_failed(clients, again):  # a concurrent retry stored it first: keep that one
        return get_event(clients, event_id) or again
    return again


def retryable(clients: AwsClients, event_id: str) -> StoredEvent:
    """The event, if a retry could help it; NotRetryable saying why not, otherwise."""
    event = get_event(clients, event_id)
    if event is None:
        raise NotRetryable(f"There is no event {event_id}: check the id (`python -m core failed` lists "
                           "failed events with their ids)")
    if event.status is EventStatus.STORED:
        raise NotRetryable(f"Event {event_id} is stored already; there is nothing to retry")
    reason = event.failure_reason or "no reason was recorded"
    if event.failure_kind is None:
        raise NotRetryable(f"Event {event_id} failed before failures were told apart, so it cannot be "
                           "retried here; send it again if its reason says its source failed for now: "
                           f"{reason}")
    if event.failure_kind is not FailureKind.RETRYABLE or not event.image_url:
        raise NotRetryable(f"Event {event_id} failed for good, so trying again cannot help: {reason}")
    return event
