"""The gallery's pieces: filters, the cursor stack, a tile and the detail dialog."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pandas as pd
import streamlit as st

from core.delete import delete_event
from core.models import EventStatus, StoredEvent
from core.store.browse import EventFilter
from core.store.reads import get_event
from dashboard.resources import aws_clients, image_link, live_snapshot
from dashboard.views import ago, trace_table

RANGES = {"Last hour": timedelta(hours=1), "Last 24 hours": timedelta(days=1),
          "Last 7 days": timedelta(days=7), "Last 30 days": timedelta(days=30)}
STATUSES = {"All": None, "Stored": EventStatus.STORED, "Failed": EventStatus.FAILED}


def filter_bar() -> tuple[EventFilter, int]:
    """The filters and page size the visitor chose; a change starts again at the first page."""
    when, status, text, size = st.columns([2, 2, 3, 1])
    span = RANGES[when.selectbox("Time range", list(RANGES), index=2)]
    chosen = STATUSES[status.selectbox("Status", list(STATUSES))]
    contains = text.text_input("Description contains", placeholder="e.g. sunset")
    page_size = int(size.selectbox("Per page", [12, 24, 48], index=0))
    filters = EventFilter(since=datetime.now(UTC) - span, status=chosen, contains=contains)
    signature = (span, chosen, contains, page_size)
    if st.session_state.get("gallery_signature") != signature:
        st.session_state.gallery_signature = signature
        st.session_state.gallery_cursors = [None]
    return filters, page_size


def tile(event: StoredEvent) -> None:
    with st.container(border=True):
        if event.thumbnail_key:
            st.image(image_link(event.thumbnail_key), width="stretch")
        else:
            st.error("Failed", icon="⚠️")
        st.text(event.description[:80] or "(no description)")
        st.caption(ago(event.received_at))
        if st.button("Details", key=f"details-{event.event_id}"):
            st.session_state.gallery_selected = event
            st.rerun()


def details(event: StoredEvent) -> None:
    """The selected event: image, text, trace, EXIF, its logs, and delete."""
    # A page lists each event's own item; its detail item (a long URL, EXIF, the trace) is read here.
    event = get_event(aws_clients(), event.event_id) or event
    title, close = st.columns([5, 1])
    title.subheader("Event details")
    if close.button("Close details"):
        del st.session_state.gallery_selected
        st.rerun()
    if event.thumbnail_key and event.original_key:
        st.image(image_link(event.thumbnail_key), link=image_link(event.original_key))
        st.link_button("Open original", image_link(event.original_key))
    st.text(event.description)
    if event.failure_reason:
        st.error(event.failure_reason)
    st.dataframe(trace_table(event), hide_index=True)
    if event.exif:
        st.caption("EXIF")
        st.dataframe(pd.DataFrame(event.exif.items(), columns=["tag", "value"]), hide_index=True)
    if st.button("Show this event's logs"):
        st.session_state.logs_search = event.event_id
        st.switch_page("screens/logs.py")
    confirm_delete(event)


def confirm_delete(event: StoredEvent) -> None:
    sure = st.checkbox("Yes, delete this event (its image files stay: other events may share them)")
    if st.button("Delete event", type="primary", disabled=not sure):
        delete_event(aws_clients(), event)
        live_snapshot.clear()
        del st.session_state.gallery_selected
        st.rerun()
