"""Log entries as a table, a durations chart and CSV, for the Logs page."""

from __future__ import annotations

import pandas as pd

from core.logs import LogEntry

LEVELS = ["All", "DEBUG", "INFO", "WARNING", "ERROR"]


def matches(entry: LogEntry, search: str) -> bool:
    """A request id or event id matches exactly; anything else is a case-insensitive substring."""
    if not search:
        return True
    return search in (entry.request_id, entry.event_id) or search.casefold() in entry.message.casefold()


def table(entries: list[LogEntry]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "time": [e.timestamp for e in entries],
            "level": [e.level or e.kind.upper() for e in entries],
            "message": [str(e.fields.get("message", e.message)) for e in entries],
            "event id": [e.event_id or "" for e in entries],
            "status": [str(e.fields.get("status", "")) for e in entries],
            "request id": [e.request_id or "" for e in entries],
        }
    )


def durations(entries: list[LogEntry]) -> pd.DataFrame:
    """Invocation durations from Lambda's REPORT lines."""
    reports = [e for e in entries if e.kind == "report" and "duration_ms" in e.fields]
    return pd.DataFrame(
        {"time": [e.timestamp for e in reports],
         "duration (ms)": [float(e.fields["duration_ms"]) for e in reports]}
    ).set_index("time")
