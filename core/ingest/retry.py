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
from core.ingest.batch import Job, Mode, run
from core.ingest.origin import Origin
from core.models import EventStatus, FailureKind, StoredEvent
from core.store.reads import get_event
from core.store.writes import replace_failed

RETRY_REQUEST = "retry"  # the request id a retried event records, in place of Lambda's
# The fetcher once closed its own socket mid-body and recorded the EBADF as the source failing for good; only
# the reason's text tells those events apart, so they are taken as retryable by it.
_OWN_FAULT_REASONS = ("[Errno 9] Bad file descriptor",)


class NotRetryable(EventRejected):
    """The event is not one a retry can help: stored already, missing, or failed for good."""


class _StoredMeanwhile(Exception):
    """Another retry stored the event first; it is kept as that one stored it."""


def _over_failed(clients: AwsClients, events: list[StoredEvent]) -> tuple[set[str], Exception]:
    """Each event written over its failed self; the ids another retry had stored meanwhile."""
    return {event.event_id for event in events if not replace_failed(clients, event)}, _StoredMeanwhile()


# The event exists (failed), so nothing is left out as kept; its outcome is written over it.
RETRY = Mode(skip_kept=False, write=_over_failed)


def retry_event(clients: AwsClients, event_id: str) -> StoredEvent:
    """Process a retryable failed event again; the event as it is now (stored, or failed again)."""
    event = retryable(clients, event_id)
    origin = Origin(event.event_id, event.received_at, event.source, event.shard_id,
                    event.sequence_number, RETRY_REQUEST, event.filename)
    (outcome,) = run(clients, [Job(origin, event.description, event.image_url)], RETRY)
    if isinstance(outcome.error, _StoredMeanwhile):
        return get_event(clients, event_id) or event
    if outcome.error is not None:
        raise outcome.error
    assert outcome.event is not None, "a retry is never a repeat"
    return outcome.event


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
    ours = any(fault in reason for fault in _OWN_FAULT_REASONS)
    if (event.failure_kind is not FailureKind.RETRYABLE and not ours) or not event.image_url:
        raise NotRetryable(f"Event {event_id} failed for good, so trying again cannot help: {reason}")
    return event
