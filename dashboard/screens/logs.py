"""Logs: the consumer's CloudWatch Logs (any group), filtered, charted, tailed and downloadable."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import streamlit as st

from core.errors import StoreUnavailable
from core.logs import log_groups, read_logs
from dashboard.logs_view import LEVELS, durations, matches, table
from dashboard.resources import aws_clients
from dashboard.views import show_store_error

RANGES = {"Last 15 minutes": timedelta(minutes=15), "Last hour": timedelta(hours=1),
          "Last 24 hours": timedelta(days=1), "Last 7 days": timedelta(days=7)}

st.title("Logs")
clients = aws_clients()
default_group = clients.settings.consumer_log_group
try:
    groups = sorted(set(log_groups(clients)) | {default_group})
except StoreUnavailable as exc:
    show_store_error(exc)
    st.stop()

group_col, range_col, level_col = st.columns([3, 2, 1])
group = group_col.selectbox("Log group", groups, index=groups.index(default_group))
span = RANGES[range_col.selectbox("Time range", list(RANGES), index=1)]
level = level_col.selectbox("Level", LEVELS)
text_col, search_col, tail_col = st.columns([2, 2, 1])
text = text_col.text_input("Text contains")
search = search_col.text_input("Request id or event id", key="logs_search")
tail = tail_col.toggle("Live tail", help="Reload every 3 seconds")


@st.fragment(run_every=3 if tail else None)
def log_panel() -> None:
    end = datetime.now(UTC)
    try:
        entries = read_logs(clients, group, end - span, end, limit=2000,
                            level=None if level == "All" else level, contains=text or None)
    except StoreUnavailable as exc:
        show_store_error(exc, key="retry-logs")
        return
    entries = [e for e in entries if matches(e, search.strip())]
    if not entries:
        st.info(f"No log lines in {group} for these filters. The consumer writes here as it runs.")
        return
    frame = table(entries)
    st.dataframe(frame.iloc[::-1], hide_index=True, height=420)
    st.download_button("Download CSV", frame.to_csv(index=False), "logs.csv", "text/csv")
    chart = durations(entries)
    if not chart.empty:
        st.subheader("Invocation durations (REPORT lines)")
        st.line_chart(chart)


log_panel()
