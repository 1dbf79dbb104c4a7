"""Live: the latest image, its description and time, the last-hour count, refreshed every 5 s."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
import streamlit as st

from core.errors import StoreUnavailable
from dashboard.resources import LIVE_TTL_SECONDS, LiveSnapshot, image_link, live_snapshot
from dashboard.views import ago, local_time, show_store_error

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
    if not snapshot.minutes:
        st.caption("Nothing received in the last hour.")
        return
    frame = pd.DataFrame(
        {"minute": [m.minute for m in snapshot.minutes],
         "stored": [m.events - m.failed for m in snapshot.minutes],
         "failed": [m.failed for m in snapshot.minutes]}
    ).set_index("minute")
    st.bar_chart(frame, color=["#2e9e6b", "#d9534f"])


@st.fragment(run_every=1)
def live_panel() -> None:
    try:
        snapshot = live_snapshot()
    except StoreUnavailable as exc:
        show_store_error(exc)
        return
    age = (datetime.now(UTC) - snapshot.loaded_at).total_seconds()
    count, stored, failed = st.columns(3)
    count.metric("Events in the last hour", snapshot.last_hour)
    stored.metric("Stored", snapshot.last_hour - snapshot.failed_last_hour)
    failed.metric("Failed", snapshot.failed_last_hour)
    latest_image(snapshot)
    per_minute_chart(snapshot)
    timer, button = st.columns([3, 1])
    timer.caption(f"Next refresh in {max(0, round(LIVE_TTL_SECONDS - age))} s")
    button.button("Refresh now", on_click=live_snapshot.clear)  # the click itself reruns the fragment


live_panel()
