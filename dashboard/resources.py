"""The dashboard's connections and cached reads. Clients once per server process; reads with short TTLs
so a refresh (or many open browsers) does not reload what has not changed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import streamlit as st

from core.aws import AwsClients
from core.logs.entries import LogEntry
from core.logs.rate_limit import RateLimiter
from core.logs.reader import LogFilter, read_logs
from core.settings import Settings
from core.store import objects, reads

# Just under the Live page's 5 s refresh, so each refresh finds fresh data, and browsers share it.
LIVE_TTL_SECONDS = 4


@st.cache_resource(show_spinner=False)
def aws_clients() -> AwsClients:
    return AwsClients(Settings())


@dataclass(frozen=True)
class LiveSnapshot:
    newest: reads.Newest
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
    """The Live page's data: two to four small reads, shared by every open browser for 4 s."""
    clients = aws_clients()
    return LiveSnapshot(
        newest=reads.newest_events(clients),
        minutes=reads.last_hour_minutes(clients),
        loaded_at=datetime.now(UTC),
    )


# Image links are kept 5 minutes so the browser's cached image stays valid between refreshes; a link handed
# out at the end of those minutes must still load, and the page may take a while to ask for it.
LINK_TTL_SECONDS = 300
LINK_USABLE_SECONDS = LINK_TTL_SECONDS + 120


@st.cache_data(ttl=LINK_TTL_SECONDS, show_spinner=False)
def image_link(key: str) -> str:
    """A presigned link that works for as long as it is kept, and a while after (CredentialsEnding if the
    credentials that would sign it end sooner)."""
    return objects.presigned_url(aws_clients(), key, usable_for=LINK_USABLE_SECONDS)


# CloudWatch Logs allows FilterLogEvents 5 times a second per account and region (an adjustable quota).
FILTER_LOG_EVENTS_PER_SECOND = 5
LOGS_TTL_SECONDS = 2  # tabs showing the same filters within 2 s share one read
LOG_LINES_SHOWN = 1000


@st.cache_resource(show_spinner=False)
def logs_limiter() -> RateLimiter:
    """One for every tab this server process serves, so together they stay within the account's rate."""
    return RateLimiter(FILTER_LOG_EVENTS_PER_SECOND, 1.0)


@st.cache_data(ttl=LOGS_TTL_SECONDS, show_spinner=False, max_entries=64)
def recent_logs(group: str, span: timedelta, level: str | None, contains: str, search: str) -> list[LogEntry]:
    """The newest lines of the last `span` that match, newest first, read at the shared rate."""
    end = datetime.now(UTC)
    filters = LogFilter(level=level, contains=contains, search=search)
    return read_logs(aws_clients(), group, end - span, end, limit=LOG_LINES_SHOWN, filters=filters,
                     before_call=logs_limiter().wait)
