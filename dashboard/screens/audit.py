"""Audit: who uploaded, sent, retried, deleted or replayed what, and every refused try; newest first."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pandas as pd
import streamlit as st

from core.errors import StoreError
from core.ops import audit
from core.ops.audit import Action
from dashboard.resources import aws_clients
from dashboard.views import show_store_error, viewer_zone

RANGES = {"Last hour": timedelta(hours=1), "Last 24 hours": timedelta(days=1),
          "Last 7 days": timedelta(days=7), "Last 30 days": timedelta(days=30)}
ACTIONS: dict[str, Action | None] = {"All": None, **{action.value: action for action in Action}}
SHOWN = 500
COLUMNS = {"event ids": st.column_config.TextColumn("event ids", width="medium"),
           "detail": st.column_config.TextColumn("detail", width="large")}


def table(entries: list[audit.Entry]) -> pd.DataFrame:
    zone = viewer_zone()
    return pd.DataFrame([{
        "when": f"{entry.at.astimezone(zone):%Y-%m-%d %H:%M:%S}", "who": entry.who, "role": entry.role,
        "action": entry.action.value, "outcome": entry.outcome.value, "events": entry.touched,
        "event ids": " ".join(entry.event_ids), "detail": entry.detail, "via": entry.via,
    } for entry in entries])


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
st.dataframe(table(found), hide_index=True, column_config=COLUMNS, key="audit_table")
