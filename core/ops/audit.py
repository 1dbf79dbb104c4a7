"""The audit trail: who did which operator action (upload, send, retry, delete, replay), when, to which
events, and whether it was done, failed or refused; written by the dashboard and the CLI alike.

Each entry is one item under its day's partition (core/store/keys.py, `AUDIT#<day>`), put once: it takes
nothing from the event path's write budget (no event key, no index attribute, and the aggregator's stream
filter passes only events' own items), and it expires with EVENT_RETENTION_DAYS as events do.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any

from core import clock
from core.aws import AwsClients
from core.aws.errors import aws_call
from core.store import keys
from core.store.attributes import plain, text, typed, values
from core.store.table import query_all, table_call
from core.store.writes import expiry

# Ids kept per entry (a burst of 500 sends is 500); an entry counts them all, and stays far under
# DynamoDB's 400 KB item limit (an id is under 80 bytes).
MOST_EVENT_IDS = 1000
MOST_DETAIL_CHARS = 2000
_IN_RANGE = f"{keys.PK} = :pk AND {keys.SK} BETWEEN :low AND :high"


class Action(StrEnum):
    UPLOAD = "upload"
    SEND = "send"
    RETRY = "retry"
    DELETE = "delete"
    REPLAY = "replay"


class Outcome(StrEnum):
    DONE = "done"
    FAILED = "failed"  # tried, and our store or the stream failed it
    REFUSED = "refused"  # the person may not do it (a viewer)


@dataclass(frozen=True)
class Entry:
    """One action as the trail keeps it."""

    who: str  # the dashboard's logged-in e-mail (or name), or the CLI's caller's ARN (STS)
    action: Action
    outcome: Outcome
    event_ids: tuple[str, ...] = ()
    detail: str = ""  # what came of it, or why it was refused, for a person to read
    role: str = ""  # the dashboard's role for the person ("operator", "viewer"); empty from the CLI
    via: str = "dashboard"  # or "cli"
    at: datetime = field(default_factory=clock.now)
    event_count: int = -1  # how many events it touched; -1: as many as event_ids holds
    entry_id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])

    @property
    def touched(self) -> int:
        return len(self.event_ids) if self.event_count < 0 else self.event_count


def record(clients: AwsClients, entry: Entry) -> None:
    """Put the entry in the table (StoreError if the table refuses it)."""
    fields: dict[str, Any] = {
        "who": entry.who, "action": entry.action.value, "outcome": entry.outcome.value, "via": entry.via,
        "event_ids": list(entry.event_ids[:MOST_EVENT_IDS]), "event_count": entry.touched,
    }
    if entry.detail:
        fields["detail"] = entry.detail[:MOST_DETAIL_CHARS]
    if entry.role:
        fields["role"] = entry.role
    item = typed(fields) | keys.audit_key(entry.at, entry.entry_id)
    table_call(clients, "put_item", Item=item | expiry(entry.at, clients.settings.event_retention_days))


def entries(
    clients: AwsClients, since: datetime, until: datetime | None = None, who: str = "",
    action: Action | None = None, limit: int = 500,
) -> list[Entry]:
    """The entries from `since` to `until` (now), newest first, at most `limit`; `who` is any part of the
    person's name, in any case. One query per day of the range."""
    until = until or clock.now()
    found: list[Entry] = []
    for day in _days(since, until):
        low, high = clock.iso(max(since, _start(day))), clock.iso(until) + keys.AFTER_EVERY_EVENT
        items = query_all(clients, KeyConditionExpression=_IN_RANGE, ScanIndexForward=False,
                          ExpressionAttributeValues=values(pk=keys.audit_day(day), low=low, high=high))
        for item in items:
            entry = _entry(item)
            if (action is None or entry.action is action) and who.lower() in entry.who.lower():
                found.append(entry)
                if len(found) == limit:
                    return found
    return found


def caller(clients: AwsClients) -> str:
    """Who the CLI acts as: the ARN STS reports for its credentials (needs no permission)."""
    with aws_call("STS"):
        return str(clients.sts.get_caller_identity()["Arn"])


def _days(since: datetime, until: datetime) -> list[date]:
    first, last = clock.utc(since).date(), clock.utc(until).date()
    return [last - timedelta(days=n) for n in range((last - first).days + 1)]


def _start(day: date) -> datetime:
    return clock.utc(datetime(day.year, day.month, day.day))


def _entry(item: dict[str, Any]) -> Entry:
    fields = plain(item, leaving_out=(keys.PK, keys.SK, keys.TTL_ATTRIBUTE))
    moment, _, entry_id = text(item, keys.SK).partition("#")
    return Entry(who=str(fields["who"]), action=Action(fields["action"]), outcome=Outcome(fields["outcome"]),
                 event_ids=tuple(str(i) for i in fields.get("event_ids", [])),
                 detail=str(fields.get("detail", "")), role=str(fields.get("role", "")),
                 via=str(fields.get("via", "")), at=clock.utc(datetime.fromisoformat(moment)),
                 event_count=int(fields.get("event_count", -1)), entry_id=entry_id)
