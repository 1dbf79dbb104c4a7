"""Deleting an event: its record, its id pointer and its count go; LATEST moves to the newest left."""

from __future__ import annotations

from core.aws import AwsClients
from core.models import EventStatus, StoredEvent
from core.store.browse import EventFilter, recent_events
from core.store.reads import latest_event
from core.store.writes import remove_event, replace_latest


def delete_event(clients: AwsClients, event: StoredEvent) -> bool:
    """Delete an event; if it was the latest, the newest stored event of the last week takes over.

    Its images stay: keys are content hashes, so other events may show the same files.
    """
    deleted = remove_event(clients, event)
    latest = latest_event(clients)
    if deleted and latest is not None and latest.event_id == event.event_id:
        newest = recent_events(clients, EventFilter(status=EventStatus.STORED), limit=1).events
        replace_latest(clients, newest[0] if newest else None)
    return deleted
