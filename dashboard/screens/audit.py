"""Audit: who uploaded, sent, retried, deleted or replayed what, and every refused try; newest first."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pandas as pd
import streamlit as st

from core.errors import StoreError
from core.ops import audit
from core.ops.audit import Action
from dashboard.resources import aws_clients
from dashboard.views import local_time, show_store_error, whole_height

RANGES = {"Last hour": timedelta(hours=1), "Last 24 hours": timedelta(days=1),
          "Last 7 days": timedelta(days=7), "Last 30 days": timedelta(days=30)}
ACTIONS: dict[str, Action | None] = {"All": None, **{action.value: action for action in Action}}
SHOWN = 500
# An action's ids and detail can be longer than any column: the table shows their start, "Read whole"
# the rest.
COLUMNS = {"event ids": st.column_config.TextColumn("event ids", width="small"),
           "detail": st.column_config.TextColumn("detail", width="large")}


def table(entries: list[audit.Entry]) -> pd.DataFrame:
    return pd.DataFrame([{
        "when": local_time(entry.at), "who": entry.who, "role": entry.role,
        "action": entry.action.value, "outcome": entry.outcome.value, "events": entry.touched,
        "event ids": " ".join(entry.event_ids), "detail": entry.detail, "via": entry.via,
    } for entry in entries])


def label(entry: audit.Entry) -> str:
    """An action in one line, for choosing it."""
    return f"{local_time(entry.at)}  {entry.action.value} by {entry.who}"


def show_whole(entry: audit.Entry) -> None:
    """One action with nothing cut: every event id it touched and its whole detail, wrapping."""
    with st.container(border=True, key="audit-whole"):
        st.text(f"{local_time(entry.at)}  {entry.action.value} {entry.outcome.value}, by {entry.who} "
                f"({entry.role}, via {entry.via})")
        st.text(entry.detail or "(no detail)")
        ids = ", ".join(entry.event_ids)
        kept = ("" if len(entry.event_ids) == entry.touched
                else f" (the trail keeps the first {len(entry.event_ids)})")
        st.text(f"{entry.touched} event(s){kept}: {ids}" if ids else f"{entry.touched} event(s), no ids")


st.title("Audit")
who_col, action_col, range_col = st.columns([3, 1, 2])
who = who_col.text_input("Who", placeholder="any part of an e-mail address or an ARN", key="audit_who")
action = ACTIONS[action_col.selectbox("Action", list(ACTIONS), key="audit_action")]
span = RANGES[range_col.selectbox("Time range", list(RANGES), index=2, key="audit_range")]
try:
    found = audit.entries(aws_clients(), datetime.now(UTC) - span, who=who.strip(), action=action,
                          limit=SHOWN)
except StoreError as exc:
    show_store_error(exc)
    st.stop()
if not found:
    st.info("No actions match. Uploads, sends, retries, deletes and replays appear here, from the dashboard "
            "and from `python -m core`, as do the ones refused to viewers.")
    st.stop()
st.caption(f"{'The newest ' if len(found) == SHOWN else ''}{len(found)} action(s), newest first.")
by_id = {entry.entry_id: entry for entry in found}
chosen = st.selectbox("Read whole", list(by_id), index=None, key="audit_whole",
                      format_func=lambda i: label(by_id[i]),
                      placeholder="an action from the table, with all its event ids and detail")
if chosen is not None:
    show_whole(by_id[chosen])
shown = table(found)
st.dataframe(shown, hide_index=True, column_config=COLUMNS, key="audit_table", height=whole_height(shown))
