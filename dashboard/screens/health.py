"""Health: which backend, whether each resource answers, stream shards, consumer lag, failures, and the
on-failure queue with its Replay."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core.aws import AwsClients
from core.errors import StoreError
from core.ops import health
from dashboard.replay_view import show_failure_queue
from dashboard.resources import aws_clients, live_snapshot
from dashboard.views import show_store_error


def show_resources(clients: AwsClients) -> None:
    """Whether each resource answers, as a table, and what to do when one does not."""
    checks = health.check_resources(clients)
    st.dataframe(
        pd.DataFrame([{"state": "ok" if c.ok else "FAILING", "resource": c.resource, "name": c.name,
                       "detail": c.detail} for c in checks]),
        hide_index=True,
    )
    if not all(c.ok for c in checks):
        st.warning("Some resources do not answer. Locally, restart `make run`; in AWS, check the stack "
                   "and run `python -m core provision` for anything missing.")


st.title("Health")
clients = aws_clients()

where = health.backend(clients)
st.subheader("Backend")
st.write(f"**{where.kind}** at `{where.endpoint}` in {where.region}"
         + (f", account {where.account}" if where.account else ""))

st.subheader("Resources")
resources = st.empty()
with resources.container():
    show_resources(clients)

lag_col, failed_col = st.columns(2)
lag = health.consumer_lag_seconds(clients)
lag_col.metric("Consumer lag (iterator age)", f"{lag:.1f} s" if lag is not None else "no data",
               help="Max over 5 min; from CloudWatch in AWS, published by the local runner locally")
try:
    failed_col.metric("Failed events, last hour", live_snapshot().failed_last_hour)
except StoreError as exc:
    show_store_error(exc)

st.subheader("On-failure queue")
if show_failure_queue(clients):
    with resources.container():  # the queue's row, read again: the table above said what was waiting before
        show_resources(clients)

if st.button("Check again"):
    st.rerun()
