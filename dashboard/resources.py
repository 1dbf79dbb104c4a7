"""The dashboard's connections and cached reads. Clients once per server process; reads with short TTLs
so a refresh (or many open browsers) does not reload what has not changed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import streamlit as st

from core.aws import AwsClients
from core.models import StoredEvent
from core.settings import Settings
from core.store import objects, reads

# Just under the Live page's 5 s refresh, so each refresh finds fresh data, and browsers share it.
LIVE_TTL_SECONDS = 4


@st.cache_resource(show_spinner=False)
def aws_clients() -> AwsClients:
    return AwsClients(Settings())


@dataclass(frozen=True)
class LiveSnapshot:
    latest: StoredEvent | None
    minutes: list[reads.MinuteCount]
    loaded_at: datetime

    @property
    def last_hour(self) -> int:
        return sum(m.events for m in self.minutes)

    @property
    def failed_last_hour(self) -> int:
        return sum(m.failed for m in self.minutes)


@st.cache_data(ttl=LIVE_TTL_SECONDS, show_spinner=False)
def live_snapshot() -> LiveSnapshot:
    """The Live page's data: two or three small reads, shared by every open browser for 4 s."""
    clients = aws_clients()
    return LiveSnapshot(
        latest=reads.latest_event(clients),
        minutes=reads.last_hour_minutes(clients),
        loaded_at=datetime.now(UTC),
    )


@st.cache_data(ttl=300, show_spinner=False)
def image_link(key: str) -> str:
    """A presigned link, kept for 5 minutes so the browser's cached image stays valid between refreshes."""
    return objects.presigned_url(aws_clients(), key)
