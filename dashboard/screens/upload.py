"""Upload: several images at once, through core.ingest exactly like a stream event."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
import streamlit as st
from streamlit.runtime.uploaded_file_manager import UploadedFile

from core.errors import EventRejected, StoreUnavailable
from core.imaging import formats
from core.ingest.upload import ingest_upload
from dashboard.resources import aws_clients, live_snapshot
from dashboard.views import human_size

st.title("Upload")
settings = aws_clients().settings
limit = human_size(settings.max_image_bytes)
st.caption(f"{formats.NAMES}; up to {limit} and {settings.max_image_pixels / 1e6:.0f} MP each. "
           "Each file becomes one event.")

# Not clear_on_submit: a warning must keep the chosen files. A stored batch gets a fresh form (a new key).
batch = st.session_state.setdefault("upload_batch", 0)
with st.form("upload"):
    # The browser refuses files over server.maxUploadSize (.streamlit/config.toml), set above
    # MAX_IMAGE_BYTES so a file somewhat too large still arrives and is listed as refused, with its size.
    files = st.file_uploader("Images", type=formats.FILE_EXTENSIONS, accept_multiple_files=True,
                             key=f"upload-files-{batch}")
    description = st.text_input("Description", max_chars=500, placeholder="What is in these images?",
                                key=f"upload-description-{batch}")
    submitted = st.form_submit_button("Store images", type="primary")


def upload_one(file: UploadedFile, text: str) -> dict[str, str]:
    """One file through core.ingest; a refusal is reported, nothing is written for it."""
    if file.size > settings.max_image_bytes:
        return {"file": file.name, "result": "refused",
                "detail": f"{human_size(file.size)} is over the {limit} limit (MAX_IMAGE_BYTES)"}
    try:
        event = ingest_upload(aws_clients(), file.getvalue(), file.name, text, datetime.now(UTC))
    except EventRejected as exc:
        return {"file": file.name, "result": "refused", "detail": str(exc)}
    size = f"{event.width} × {event.height} px {event.format}, {human_size(event.size_bytes or 0)}"
    return {"file": file.name, "result": "stored", "detail": f"{size}, event {event.event_id}"}


def upload_all(chosen: list[UploadedFile], text: str) -> tuple[list[dict[str, str]], str]:
    """A result for every file, in order, and what stopped the batch early ("" if nothing did)."""
    progress, results = st.progress(0.0, text="Uploading…"), []
    try:
        for done, file in enumerate(chosen, start=1):
            results.append(upload_one(file, text))
            progress.progress(done / len(chosen), text=f"{done} of {len(chosen)} processed")
    except StoreUnavailable as exc:
        return results, f"Stopped: the store is unreachable ({exc}). Files not listed were not saved."
    finally:
        live_snapshot.clear()
    return results, ""


if submitted and not files:
    st.warning("Choose at least one image first.")
elif submitted and not description.strip():
    st.warning("Add a description: it is shown with the image. Your files are still chosen.")
elif submitted:
    st.session_state.upload_report = upload_all(files or [], description)
    st.session_state.upload_batch = batch + 1
    st.rerun()

if "upload_report" in st.session_state:
    results, stopped = st.session_state.upload_report
    if stopped:
        st.error(stopped)
    stored = sum(r["result"] == "stored" for r in results)
    st.success(f"{stored} stored, {len(results) - stored} refused.")
    st.dataframe(pd.DataFrame(results, columns=["file", "result", "detail"]), hide_index=True,
                 column_config={"detail": st.column_config.TextColumn("detail", width="large")})
