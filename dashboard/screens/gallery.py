"""Gallery: thumbnails of recent events, filtered and paged, with details, logs, retry and delete."""

from __future__ import annotations

import streamlit as st

from core.errors import StoreError
from core.store.browse import recent_events
from dashboard.gallery_view import SELECTED, details, filter_bar, pager, tile, tile_style
from dashboard.resources import aws_clients
from dashboard.views import show_store_error

COLUMNS = 4

st.title("Gallery")
filters, page_size = filter_bar()
cursors: list[str | None] = st.session_state.gallery_cursors
try:
    page = recent_events(aws_clients(), filters, limit=page_size, cursor=cursors[-1])
except StoreError as exc:
    show_store_error(exc)
    st.stop()

if SELECTED in st.session_state:
    details(st.session_state[SELECTED])  # a dialog over the page, where the visitor is looking
if not page.events:
    st.info("No events match. Widen the time range or clear the filters, or send an event.")
tile_style()
try:
    for start in range(0, len(page.events), COLUMNS):
        for column, event in zip(st.columns(COLUMNS), page.events[start:start + COLUMNS], strict=False):
            with column:
                tile(event)
except StoreError as exc:  # no image link that would die before the browser loads it (CredentialsEnding)
    show_store_error(exc, key="retry-links")

previous, following = pager(len(cursors), len(cursors) > 1, page.next_cursor is not None)
if previous:
    cursors.pop()
    st.rerun()
if following:
    cursors.append(page.next_cursor)
    st.rerun()
