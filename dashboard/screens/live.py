"""Live: the latest image, its description and time, the last-hour count, refreshed every 5 s."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pandas as pd
import streamlit as st

from core.errors import StoreUnavailable
from dashboard.resources import LiveSnapshot, image_link, live_snapshot
from dashboard.views import ago, local_time, show_store_error, viewer_zone

REFRESH_SECONDS = 5

st.title("Live")


def latest_image(snapshot: LiveSnapshot) -> None:
    event = snapshot.latest
    if event is None:
        st.info("No images yet. Send an event from **Send test event**, upload one, or run "
                "`python -m core send --url … --description …`; it appears here within seconds.")
        return
    left, right = st.columns([1, 2])
    if event.thumbnail_key and event.original_key:
        left.image(image_link(event.thumbnail_key), link=image_link(event.original_key),
                   caption="Click the image for the original")
        left.link_button("Open original", image_link(event.original_key))
    right.subheader("Description")
    right.text(event.description)  # text, never markdown or HTML
    right.caption(f"Received {local_time(event.received_at)} ({ago(event.received_at)})")


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
    except StoreUnavailable as exc:
        show_store_error(exc)
        return
    st.session_state.live_refreshed_at = datetime.now(UTC)
    count, stored, failed = st.columns(3)
    count.metric("Events in the last hour", snapshot.last_hour)
    stored.metric("Stored", snapshot.last_hour - snapshot.failed_last_hour)
    failed.metric("Failed", snapshot.failed_last_hour)
    latest_image(snapshot)
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
