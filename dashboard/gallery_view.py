"""The gallery's pieces: filters, the cursor stack, a tile and the details dialog."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pandas as pd
import streamlit as st

from core.errors import ImageProcessorError, StoreError
from core.ingest.retry import retry_event
from core.models import EventStatus, FailureKind, StoredEvent
from core.ops.audit import Action
from core.store.browse import EventFilter
from core.store.delete import delete_event
from core.store.reads import get_event
from dashboard import roles
from dashboard.resources import aws_clients, image_link, live_snapshot
from dashboard.views import ago, dimensions, human_size, show_store_error, trace_table, whole_height

RANGES = {"Last hour": timedelta(hours=1), "Last 24 hours": timedelta(days=1),
          "Last 7 days": timedelta(days=7), "Last 30 days": timedelta(days=30)}
STATUSES = {"All": None, "Stored": EventStatus.STORED, "Failed": EventStatus.FAILED}
# Every tile is this tall, whatever its image's shape or its text's length.
TILE_HEIGHT = 420
IMAGE_HEIGHT = 180
SELECTED = "gallery_selected"
RETRIED = "gallery_retried"  # (event id, the event after its retry or why the retry did not run)
RETRY_BUTTON = "gallery_retry"


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


# Every thumbnail fills the same box, cropped to it (the details show the whole image): tiles of one
# size whatever the image's shape. Keyed containers carry the class st-key-<key>.
TILE_STYLE = f"""<style>
[class*="st-key-tile-"] [data-testid="stImage"] img {{
    width: 100%; height: {IMAGE_HEIGHT}px; object-fit: cover; border-radius: 0.25rem;
}}
</style>"""
# Characters of text on a tile, so that it fits its box in a grid of four on a laptop's screen (the browser
# test checks nothing overflows): a failed event's reason under its "Failed", and a description.
REASON_SHOWN = 64
DESCRIPTION_SHOWN = 48


def tile_style() -> None:
    st.html(TILE_STYLE)


def tile(event: StoredEvent) -> None:
    with st.container(border=True, height=TILE_HEIGHT, key=f"tile-{event.event_id}"):
        with st.container(height=IMAGE_HEIGHT + 20, border=False, key=f"thumb-{event.event_id}"):
            if event.thumbnail_key:
                st.image(image_link(event.thumbnail_key), width="stretch")
            else:
                st.error("Failed", icon=":material/error:")
                # Text, never Markdown; cut short with a cue rather than scrolled inside the box.
                st.text(tile_reason(event.failure_reason or ""))
        st.text(_short(event.description, DESCRIPTION_SHOWN) or "(no description)")
        st.caption(" · ".join(filter(None, [ago(event.received_at), dimensions(event)])))
        st.button("Details", key=f"details-{event.event_id}", on_click=_select, args=(event,))


def pager(page_number: int, has_previous: bool, has_next: bool) -> tuple[bool, bool]:
    """← Previous at the grid's left edge, the page number centred, Next → at its right edge."""
    back, position, forward = st.columns(3, vertical_alignment="center")
    with back:
        previous = st.button("← Previous", disabled=not has_previous)
    with position, st.container(horizontal=True, horizontal_alignment="center"):
        st.caption(f"Page {page_number}", width="content")
    with forward, st.container(horizontal=True, horizontal_alignment="right"):
        following = st.button("Next →", disabled=not has_next)
    return previous, following


def tile_reason(reason: str) -> str:
    """A failed event's reason as its tile shows it: the start, and where to read the rest."""
    return _short(reason, REASON_SHOWN, "… (whole in Details)")


def _short(text: str, most: int, cue: str = "…") -> str:
    return text if len(text) <= most else text[:most].rstrip() + cue


def _select(event: StoredEvent) -> None:
    st.session_state[SELECTED] = event


def _close() -> None:
    st.session_state.pop(SELECTED, None)
    st.session_state.pop(RETRIED, None)


@st.dialog("Event details", width="large", on_dismiss=_close)
def details(event: StoredEvent) -> None:
    """The selected event over the page, wherever its tile was: image, text, trace, EXIF, logs, and for an
    operator retry and delete."""
    try:
        # A page lists each event's own item; its detail item (a long URL, EXIF, the trace) is read here.
        event = get_event(aws_clients(), event.event_id) or event
        shown = event.preview_key or event.thumbnail_key  # events from before previews have only a thumbnail
        if shown and event.original_key:
            original = image_link(event.original_key)
            st.image(image_link(shown), link=original)
            size = human_size(event.size_bytes) if event.size_bytes is not None else ""
            st.link_button(f"Open original ({size})" if size else "Open original", original)
    except StoreError as exc:  # what the tile knew is still worth reading below
        show_store_error(exc, key="retry-details")
    st.text(event.description)  # as sent: text, never Markdown or HTML
    operates = roles.visitor().operates
    retried(event)
    if event.failure_reason:
        st.error("This event failed. The reason, as recorded:", icon=":material/error:")
        st.text(event.failure_reason)
    if operates and event.status is EventStatus.FAILED and event.failure_kind is FailureKind.RETRYABLE:
        st.button("Retry", key=RETRY_BUTTON, icon=":material/refresh:", on_click=retry, args=(event,),
                  help="Its source failed for now; fetch and process it again under the same id")
    trace = trace_table(event)
    st.dataframe(trace, hide_index=True, width="stretch", height=whole_height(trace),
                 column_config={"field": st.column_config.TextColumn("field", width="small")})
    if event.exif:
        st.caption("EXIF")
        st.dataframe(pd.DataFrame(event.exif.items(), columns=["tag", "value"]), hide_index=True)
    if st.button("Show this event's logs", icon=":material/article:"):
        _close()
        st.session_state.logs_search = event.event_id
        st.session_state.logs_event_time = event.received_at  # so the Logs page's range reaches back to it
        st.switch_page("screens/logs.py")
    if operates:
        confirm_delete(event)
    if st.button("Close"):
        _close()
        st.rerun()


def retry(event: StoredEvent) -> None:
    """Retry the event, if an operator asks: recorded in the audit trail. Runs before the dialog draws
    again, so it shows the event as the retry left it; and for a click the browser sends whatever the page
    shows now (a callback), so it asks for the role itself."""
    if not roles.permit(Action.RETRY, [event.event_id]):
        return
    try:
        outcome: StoredEvent | str = retry_event(aws_clients(), event.event_id)
    except ImageProcessorError as exc:
        outcome = str(exc)
    st.session_state[RETRIED] = (event.event_id, outcome)
    live_snapshot.clear()
    detail = outcome if isinstance(outcome, str) else f"the event is {outcome.status.value} now"
    roles.record(Action.RETRY, [event.event_id], failed=isinstance(outcome, str), detail=detail)


def retried(event: StoredEvent) -> None:
    """What the last Retry of this event came to."""
    event_id, outcome = st.session_state.get(RETRIED, (None, None))
    if event_id != event.event_id:
        return
    if isinstance(outcome, str):
        st.error("Retry did not run:", icon=":material/error:")
        st.text(outcome)  # it may quote the reason, which may quote the URL: text, never Markdown
    elif outcome.status is EventStatus.STORED:
        st.success("Retried: the image is stored now.", icon=":material/check_circle:")
    else:
        st.warning("Retried, and it failed again (the new reason is below).", icon=":material/warning:")


def confirm_delete(event: StoredEvent) -> None:
    sure = st.checkbox("Yes, delete this event (its image files stay: other events may share them)")
    if st.button("Delete event", type="primary", disabled=not sure) and delete(event):
        _close()
        st.rerun()


def delete(event: StoredEvent) -> bool:
    """Delete the event, if an operator asks: recorded in the audit trail. Whether it was deleted."""
    if not roles.permit(Action.DELETE, [event.event_id]):
        return False
    delete_event(aws_clients(), event)
    roles.record(Action.DELETE, [event.event_id], detail=f"“{event.description[:200]}”")
    live_snapshot.clear()
    return True
