"""Send test event: put events on the stream, then follow every record to the consumer's result."""

from __future__ import annotations

import streamlit as st

from core.errors import ImageProcessorError, StoreError
from core.store.objects import list_keys
from core.stream.producer import Progress, SendFailed
from dashboard import send_view
from dashboard.presets import templates
from dashboard.resources import aws_clients
from dashboard.views import show_store_error

OTHER = "Other URL…"
POLL_SECONDS = 2

st.title("Send test event")
clients = aws_clients()
bucket = clients.settings.bucket_name
try:
    samples = [f"s3://{bucket}/{key}" for key in list_keys(clients, "samples/")
               if not key.endswith(".txt")]
except StoreError as exc:
    show_store_error(exc)
    st.stop()

# Outside the form, so the caption and the fields follow the template as soon as it is chosen.
options = templates(bucket)
name = st.selectbox("Template", list(options), key="send_template",
                    help="Each one shows a path through the consumer")
template = options[name]
st.caption(template.caption)
with st.form("send"):
    sample = other = ""
    if template.url is None:
        sample = st.selectbox("Sample image in the bucket", [*samples, OTHER])
        other = st.text_input("Other URL", placeholder="https://… or s3://bucket/key",
                              help=f"Sent when “{OTHER}” is chosen above")
    else:
        st.text_input("Image URL (set by the template)", template.url, disabled=True, key=f"url-{name}")
    if template.description is None:
        description = st.text_input("Description", "Test image event from the dashboard", max_chars=500)
    else:
        description = st.text_area("Description (set by the template)", template.description, disabled=True,
                                   key=f"description-{name}")
    partition_key = st.text_input("Partition key", "", placeholder="empty: a random key per record")
    count = st.number_input("How many (a burst)", min_value=1, max_value=500, value=1)
    sent = st.form_submit_button("Send", type="primary")

url = template.url or (other.strip() if sample == OTHER else sample)
if sent and not url:
    st.error(f"Nothing sent: “{OTHER}” is chosen but empty. Enter an https:// or s3:// address, "
             "or choose a sample image.")
elif sent:
    bar = st.progress(0.0, text="Sending…")
    seen = [Progress(0, int(count))]

    def sending(done: Progress) -> None:
        seen[0] = done
        bar.progress(done.done / done.total, text=send_view.progress_text(done))

    try:
        records = send_view.send(clients, [template.payload(url, description)] * int(count),
                                 partition_key.strip() or None, sending)
        bar.empty()
        if records is not None:
            st.session_state.sent = send_view.Followed(records)
            st.success(f"Sent {len(records)} record(s) to {clients.settings.stream_name}."
                       + send_view.throttling_note(seen[0]))
    except SendFailed as exc:  # follow what landed; the message names the rest and why
        st.session_state.sent = send_view.Followed([record for record in exc.sent if record is not None])
        st.error(f"Not all sent: {exc}")
    except ImageProcessorError as exc:
        st.error(f"Not sent: {exc}")


@st.fragment(run_every=POLL_SECONDS)
def results() -> None:
    """Reads only the records still waiting, a hundred to a call, until every one has its result."""
    followed: send_view.Followed | None = st.session_state.get("sent")
    if followed is None:
        st.caption("Sent events and their results appear here.")
        return
    try:
        followed.catch_up(clients)
    except StoreError as exc:
        show_store_error(exc, key="retry-results")
        return
    send_view.show(followed)


results()
