"""Upload: several images at once, through core.ingest exactly like a stream event."""

from __future__ import annotations

import math

import streamlit as st
from streamlit.runtime.uploaded_file_manager import UploadedFile

from core.imaging import formats
from dashboard import upload_view
from dashboard.resources import aws_clients, live_snapshot
from dashboard.views import human_size

st.title("Upload")
settings = aws_clients().settings
limit = human_size(settings.max_image_bytes)
st.caption(f"{formats.names()}; up to {limit} and {settings.max_image_pixels / 1e6:.0f} MP each. "
           "Each file becomes one event.")

# Not clear_on_submit: a warning must keep the chosen files. A stored batch gets a fresh form (a new key).
batch = st.session_state.setdefault("upload_batch", 0)
with st.form("upload"):
    # The widget states and checks the same limit as the caption (in its units of 1,000 bytes on Linux and
    # macOS; of 1,024 on Windows, where a file just over MAX_IMAGE_BYTES may still arrive: it is refused
    # here with its size).
    files = st.file_uploader("Images", type=formats.file_extensions(), accept_multiple_files=True,
                             max_upload_size=max(1, math.ceil(settings.max_image_bytes / 10**6)),
                             key=f"upload-files-{batch}")
    description = st.text_input("Description", max_chars=500, placeholder="What is in these images?",
                                key=f"upload-description-{batch}")
    submitted = st.form_submit_button("Store images", type="primary")


def upload_all(chosen: list[UploadedFile], text: str) -> tuple[list[dict[str, str]], str]:
    progress = st.progress(0.0, text="Uploading…")
    try:
        return upload_view.upload_all(aws_clients(), chosen, text, lambda done, total: progress.progress(
            done / total, text=f"{done} of {total} processed"))
    finally:
        live_snapshot.clear()


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
    upload_view.show_summary(results)
    upload_view.result_rows(results)
