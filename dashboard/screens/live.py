"""Live: the latest event (its image, or why it failed), the last few, the last-hour counts; every 5 s."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pandas as pd
import streamlit as st

from core.errors import StoreError
from core.models import EventStatus
from dashboard.resources import LiveSnapshot, image_link, live_snapshot
from dashboard.views import ago, local_time, show_store_error, viewer_zone, whole_height

REFRESH_SECONDS = 5
STRIP_ROW_HEIGHT = 56  # px: a thumbnail a person can recognise
NO_DESCRIPTION = "(no description)"

st.title("Live")


def latest_event(snapshot: LiveSnapshot) -> None:
    """The newest event whatever its status: a stored one's preview, a failed one's reason."""
    event = snapshot.newest.event
    if event is None:
        st.info("No images yet. Send an event from **Send test event**, upload one, or run "
                "`python -m core send --url … --description …`; it appears here within seconds.")
        return
    with st.container(key="latest"):
        left, right = st.columns([1, 2])
        shown = event.preview_key or event.thumbnail_key  # events from before previews have only a thumbnail
        if shown and event.original_key:
            left.image(image_link(shown), link=image_link(event.original_key),
                       caption="Click the image for the original")
            left.link_button("Open original", image_link(event.original_key))
        elif event.status is EventStatus.FAILED:
            left.error("Failed", icon=":material/error:")
        right.subheader("Description")
        right.text(event.description or NO_DESCRIPTION)  # text, never markdown or HTML
        if event.status is EventStatus.FAILED:
            right.subheader("Why it failed")
            right.text(event.failure_reason or "No reason was recorded")
            if event.image_url:
                right.caption("Image URL")
                right.text(event.image_url)
        right.caption(f"Received {local_time(event.received_at)} ({ago(event.received_at)})")


def recent_strip(snapshot: LiveSnapshot) -> None:
    """The last few events, newest first, so a burst or a run of failures is seen at a glance."""
    recent = snapshot.newest.recent
    if len(recent) < 2:
        return
    st.subheader("Recent events")
    frame = pd.DataFrame({
        # A failed event has no image: an empty cell (a missing value would be drawn as "None").
        "image": [image_link(event.thumbnail_key) if event.thumbnail_key else "" for event in recent],
        "received": [ago(event.received_at) for event in recent],
        "status": [event.status.value for event in recent],
        "description": [event.description or NO_DESCRIPTION for event in recent],
        # LATEST keeps a reason's first 100 characters; the Gallery and the panel above show it whole.
        "reason": [event.failure_reason or "" for event in recent],
    })
    st.dataframe(frame, hide_index=True, width="stretch", height=whole_height(frame, STRIP_ROW_HEIGHT),
                 row_height=STRIP_ROW_HEIGHT,
                 key="recent",
                 column_config={"image": st.column_config.ImageColumn("image", width="small"),
                                "received": st.column_config.TextColumn("received", width="small"),
                                "status": st.column_config.TextColumn("status", width="small"),
                                # a failed row's reason is what a person reads it for: the wider column
                                "description": st.column_config.TextColumn("description", width="medium"),
                                "reason": st.column_config.TextColumn("reason", width="large")})


def per_minute_chart(snapshot: LiveSnapshot) -> None:
    st.subheader("Events per minute, last hour")
    counts = {m.minute: m for m in snapshot.minutes}
    minutes = [snapshot.loaded_at.replace(second=0, microsecond=0) - timedelta(minutes=n)
               for n in range(59, -1, -1)]
    zone = viewer_zone()
    frame = pd.DataFrame(
        {"minute": [f"{m.astimezone(zone):%H:%M}" for m in minutes],
         "stored": [counts[m].events - counts[m].failed if m in counts else 0 for m in minutes],
         "failed": [counts[m].failed if m in counts else 0 for m in minutes]}
    ).set_index("minute")
    st.bar_chart(frame, color=["#2e9e6b", "#d9534f"], height=220)


@st.fragment(run_every=REFRESH_SECONDS)
def live_panel() -> None:
    """The data: reruns alone every 5 s, reading through a cache every open browser shares."""
    try:
        snapshot = live_snapshot()
    except StoreError as exc:
        show_store_error(exc)
        return
    st.session_state.live_refreshed_at = datetime.now(UTC)
    count, stored, failed = st.columns(3)
    count.metric("Events in the last hour", snapshot.last_hour)
    stored.metric("Stored", snapshot.last_hour - snapshot.failed_last_hour)
    failed.metric("Failed", snapshot.failed_last_hour)
    try:
        latest_event(snapshot)
        recent_strip(snapshot)
    except StoreError as exc:  # no image link that would die before the browser loads it (CredentialsEnding)
        show_store_error(exc, key="retry-links")
    per_minute_chart(snapshot)
    st.button("Refresh now", on_click=live_snapshot.clear)  # the click itself reruns this fragment


@st.fragment(run_every=1)
def countdown() -> None:
    """Only this caption reruns every second, so the countdown costs no reads."""
    refreshed = st.session_state.get("live_refreshed_at", datetime.now(UTC))
    left = REFRESH_SECONDS - (datetime.now(UTC) - refreshed).total_seconds()
    st.caption(f"Next refresh in {max(0, round(left))} s")


live_panel()
countdown()
