"""Logs: a CloudWatch Logs group (the consumer's by default), newest first, filtered, tailed, downloadable."""

from __future__ import annotations

from datetime import timedelta

import streamlit as st

from core.errors import StoreError
from core.logs.reader import log_groups
from dashboard import logs_view
from dashboard.resources import LOG_LINES_SHOWN, aws_clients, recent_logs
from dashboard.views import show_store_error, viewer_zone

RANGES = {"Last 15 minutes": timedelta(minutes=15), "Last hour": timedelta(hours=1),
          "Last 24 hours": timedelta(days=1), "Last 7 days": timedelta(days=7)}
TAIL_SECONDS = 3
TABLE = "logs_table"
NO_VALUE = "–"  # a line without a duration (Streamlit draws a missing value as "None" otherwise)

st.title("Logs")
clients = aws_clients()
default_group = clients.settings.consumer_log_group
try:
    groups = sorted(set(log_groups(clients)) | {default_group})
except StoreError as exc:
    show_store_error(exc)
    st.stop()

group_col, range_col, level_col = st.columns([3, 2, 1])
group = group_col.selectbox("Log group", groups, index=groups.index(default_group))
event_time = st.session_state.pop("logs_event_time", None)  # from the Gallery: "Show this event's logs"
if event_time is not None:
    st.session_state.logs_range = logs_view.range_reaching(event_time, RANGES)
st.session_state.setdefault("logs_range", "Last hour")
span = RANGES[range_col.selectbox("Time range", list(RANGES), key="logs_range")]
level = level_col.selectbox("Level", logs_view.LEVELS, help="Exactly this level (WARN counts as WARNING)")
text_col, search_col, tail_col = st.columns([2, 2, 1])
text = text_col.text_input("Text contains", help="Any case, in what a line says (not its field names)")
search = search_col.text_input("Request id or event id", key="logs_search",
                               help="Exact text; CloudWatch finds the lines, however busy the window")
tail = tail_col.toggle("Live tail", help=f"Reload every {TAIL_SECONDS} seconds; paused while a line is open")
selected = st.session_state.get(TABLE, {}).get("selection", {}).get("rows", [])


@st.fragment(run_every=TAIL_SECONDS if tail and not selected else None)
def log_panel() -> None:
    try:
        entries = recent_logs(group, span, None if level == "All" else level, text.strip(), search.strip())
    except StoreError as exc:
        show_store_error(exc, key="retry-logs")
        return
    if not entries:
        st.info(f"No log lines in {group} for these filters. The consumer writes here as it runs.")
        return
    zone = viewer_zone()
    newest = f"the newest {LOG_LINES_SHOWN:,}" if len(entries) == LOG_LINES_SHOWN else f"{len(entries):,}"
    st.caption(f"{newest} line(s), newest first; times in {logs_view.zone_name(zone)}. "
               "Select a line to read it in full.")
    frame = logs_view.table(entries, zone)
    shown = st.dataframe(frame, hide_index=True, height="auto" if len(entries) <= 10 else 420,
                         column_config=logs_view.COLUMNS, on_select="rerun", selection_mode="single-row",
                         placeholder=NO_VALUE, key=TABLE)
    rows = shown.selection.rows
    if rows != selected:  # a line opened or closed: the whole page reruns, so the tail pauses or resumes
        st.rerun()
    if rows or len(entries) == 1:  # e.g. an event's one line: in full, its reason and ids unabridged
        logs_view.show_line(entries[rows[0] if rows else 0], zone)
    st.download_button("Download CSV", frame.to_csv(index=False), "logs.csv", "text/csv")
    chart = logs_view.durations_chart(entries, zone)
    if chart is not None:
        st.subheader("Invocation durations (REPORT lines)")
        st.altair_chart(chart, width="stretch")


log_panel()
