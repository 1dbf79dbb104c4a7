"""Log entries for the Logs page: a table in the viewer's time zone, one line in full, a durations chart."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, tzinfo

import altair as alt
import pandas as pd
import streamlit as st

from core.logs.entries import LogEntry

LEVELS = ["All", "DEBUG", "INFO", "WARNING", "ERROR"]
# Ids are 32 and 36 characters: wide enough to read whole. Cells are text, never Markdown or links.
COLUMNS = {
    "time": st.column_config.TextColumn("time", width=175),
    "level": st.column_config.TextColumn("level", width=75),
    "message": st.column_config.TextColumn("message", width=150),
    "reason": st.column_config.TextColumn("reason", width="large"),
    "duration (ms)": st.column_config.NumberColumn("duration (ms)", format="%.1f", width=105),
    "status": st.column_config.TextColumn("status", width=70),
    "event id": st.column_config.TextColumn("event id", width=290),
    "request id": st.column_config.TextColumn("request id", width=320),
}


def table(entries: list[LogEntry], zone: tzinfo | None) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "time": [shown_time(e.timestamp, zone) for e in entries],
            "level": [e.level or e.kind.upper() for e in entries],
            "message": [e.summary for e in entries],
            "reason": [e.reason for e in entries],
            "duration (ms)": [e.duration_ms for e in entries],
            "status": [e.status for e in entries],
            "event id": [e.event_id or "" for e in entries],
            "request id": [e.request_id or "" for e in entries],
        },
        columns=list(COLUMNS),
    )


def range_reaching(moment: datetime, ranges: dict[str, timedelta]) -> str:
    """The shortest of `ranges` that reaches back to `moment` (with a minute to spare), else the longest."""
    age = datetime.now(UTC) - moment + timedelta(minutes=1)
    return next((name for name, span in ranges.items() if span >= age), list(ranges)[-1])


def shown_time(moment: datetime, zone: tzinfo | None) -> str:
    """Wall-clock time in the viewer's zone, to the millisecond (lines of one batch share a second)."""
    local = moment.astimezone(zone)
    return f"{local:%Y-%m-%d %H:%M:%S}.{local.microsecond // 1000:03d}"


def zone_name(zone: tzinfo | None) -> str:
    return str(getattr(zone, "key", None) or datetime.now().astimezone().tzname())


def show_line(entry: LogEntry, zone: tzinfo | None) -> None:
    """One line in full: where it came from, and the line itself as text (a JSON line laid out)."""
    st.caption(f"{shown_time(entry.timestamp, zone)} · log stream {entry.log_stream}")
    if entry.kind == "json":
        st.code(json.dumps(entry.fields, indent=2, ensure_ascii=False), language="json", wrap_lines=True)
    else:
        st.code(entry.message, language=None, wrap_lines=True)


def durations(entries: list[LogEntry], zone: tzinfo | None) -> pd.DataFrame:
    """Invocation durations from Lambda's REPORT lines, oldest first, as wall-clock times in the viewer's
    zone (without the zone: the chart draws them as they are)."""
    reports = [e for e in reversed(entries) if e.kind == "report" and e.duration_ms is not None]
    return pd.DataFrame(
        {"time": [e.timestamp.astimezone(zone).replace(tzinfo=None) for e in reports],
         "at": [shown_time(e.timestamp, zone) for e in reports],
         "duration (ms)": [e.duration_ms for e in reports]}
    )


def durations_chart(entries: list[LogEntry], zone: tzinfo | None) -> alt.Chart | None:
    """The durations over time, its axis on the 24-hour clock the table uses; None without REPORT lines.
    The chart reads the zone-less times as the browser's local time, which is the viewer's zone."""
    frame = durations(entries, zone)
    if frame.empty:
        return None
    chart: alt.Chart = alt.Chart(frame).mark_line(point=True).encode(
        x=alt.X("time:T", title=f"time ({zone_name(zone)})",
                axis=alt.Axis(format="%H:%M:%S", labelOverlap=True)),
        y=alt.Y("duration (ms):Q", title="duration (ms)"),
        tooltip=[alt.Tooltip("at:N", title="time"), alt.Tooltip("duration (ms):Q", format=".1f")],
    )
    return chart
