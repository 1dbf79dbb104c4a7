"""Live: the latest image with its description and time, and the last-hour count, every 5 s."""

from __future__ import annotations

from datetime import UTC, datetime

import streamlit as st

from core.errors import StoreUnavailable
from core.objects import presigned_url
from core.queries import last_hour_count, latest_event
from dashboard.resources import aws_clients
from dashboard.views import ago, show_store_error

REFRESH_SECONDS = 5

st.title("Live")


@st.fragment(run_every=REFRESH_SECONDS)
def live_panel() -> None:
    clients = aws_clients()
    try:
        event = latest_event(clients)
        count = last_hour_count(clients)
    except StoreUnavailable as exc:
        show_store_error(exc)
        return
    st.metric("Events in the last hour", count)
    if event is None:
        st.info("No events yet. Send one with `python -m core send --url … --description …` "
                "or the AWS CLI, and it appears here within seconds.")
        return
    left, right = st.columns([1, 2])
    if event.thumbnail_key:
        left.image(presigned_url(clients, event.thumbnail_key))
    right.text(event.description)  # text, never markdown or HTML
    local = event.received_at.astimezone()
    right.caption(f"Received {local:%Y-%m-%d %H:%M:%S %Z} ({ago(event.received_at)})")
    st.caption(f"Refreshes every {REFRESH_SECONDS} s · last at "
               f"{datetime.now(UTC).astimezone():%H:%M:%S}")
    st.button("Refresh now", key="refresh-now")


live_panel()
