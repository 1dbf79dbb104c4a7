"""Send test event: put events on the stream, then watch the consumer's result for each."""

from __future__ import annotations

import streamlit as st

from core.errors import ImageProcessorError, StoreUnavailable
from core.ingest import stream_event_id
from core.producer import send_events
from core.store.objects import list_keys
from core.store.reads import get_event
from dashboard.presets import TEMPLATES, payload
from dashboard.resources import aws_clients
from dashboard.views import show_store_error

st.title("Send test event")
clients = aws_clients()
bucket = clients.settings.bucket_name
try:
    samples = [f"s3://{bucket}/{key}" for key in list_keys(clients, "samples/")
               if not key.endswith(".txt")]
except StoreUnavailable as exc:
    show_store_error(exc)
    st.stop()

with st.form("send"):
    template = st.selectbox("Template", list(TEMPLATES), help="Each one shows a path through the consumer")
    st.caption(TEMPLATES[template])
    sample = st.selectbox("Sample image in the bucket", [*samples, "Other URL…"])
    other = st.text_input("Other URL", placeholder="https://… or s3://bucket/key")
    description = st.text_input("Description", "Test image event from the dashboard", max_chars=500)
    partition_key = st.text_input("Partition key", "", placeholder="empty: a random key per record")
    count = st.number_input("How many (a burst)", min_value=1, max_value=500, value=1)
    sent = st.form_submit_button("Send", type="primary")

if sent:
    url = other.strip() if sample == "Other URL…" else sample
    data = payload(template, url, description, bucket)
    progress = st.progress(0.0, text="Sending…")
    try:
        records = send_events(clients, [data] * int(count), partition_key.strip() or None,
                              on_progress=lambda done, total: progress.progress(done / total))
        st.session_state.sent_records = records
        progress.empty()
        st.success(f"Sent {len(records)} record(s) to {clients.settings.stream_name}.")
    except ImageProcessorError as exc:
        st.error(f"Not sent: {exc}")


@st.fragment(run_every=2)
def results() -> None:
    records = st.session_state.get("sent_records", [])
    if not records:
        st.caption("Sent events and their results appear here.")
        return
    rows, waiting = [], 0
    for record in records[:50]:
        event = get_event(clients, stream_event_id(record.shard_id, record.sequence_number))
        waiting += event is None
        rows.append({"sequence number": record.sequence_number, "shard": record.shard_id,
                     "status": event.status.value if event else "waiting for the consumer…",
                     "reason": (event.failure_reason or "") if event else ""})
    st.subheader(f"Sent {len(records)} · {len(records[:50]) - waiting} processed")
    st.dataframe(rows, hide_index=True)


results()
