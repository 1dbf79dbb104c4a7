"""Deleting an event: its items go, the Live page stops listing it, and the aggregator uncounts it."""

from __future__ import annotations

from core.aws import AwsClients
from core.models import EventStatus, StoredEvent
from core.store import latest
from core.store.browse import EventFilter, recent_events
from core.store.writes import remove_event


def delete_event(clients: AwsClients, event: StoredEvent) -> bool:
    """Delete an event; False if it was already gone. If no LATEST item keeps a stored event after it,
    the newest stored event of the last week takes its place, so the Live page still shows one.

    Its images stay: keys are content hashes, so other events may show the same files.
    """
    if remove_event(clients, event.event_id) is None:
        return False
    latest.forget(clients, {event.event_id})
    if event.status is EventStatus.STORED and latest.newest(clients)[1] is None:
        newest = recent_events(clients, EventFilter(status=EventStatus.STORED), limit=1).events
        if newest:
            latest.merge(clients, 0, [(newest[0], 0)], set())  # 0: any later change of it wins
    return True
