"""Upload: several images at once, through core.ingest exactly like a stream event."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
import streamlit as st

from core import formats
from core.errors import EventRejected, StoreUnavailable
from core.ingest import ingest_upload
from dashboard.resources import aws_clients, live_snapshot

st.title("Upload")
settings = aws_clients().settings
limit_mb = settings.max_image_bytes / 1024 / 1024
st.caption(f"{formats.NAMES}; up to {limit_mb:.0f} MB and "
           f"{settings.max_image_pixels / 1e6:.0f} MP each. Each file becomes one event.")

with st.form("upload", clear_on_submit=True):
    files = st.file_uploader("Images", type=formats.FILE_EXTENSIONS, accept_multiple_files=True,
                             max_upload_size=max(1, round(limit_mb)))
    description = st.text_input("Description", max_chars=500, placeholder="What is in these images?")
    submitted = st.form_submit_button("Store images", type="primary")


def upload_one(file: st.runtime.uploaded_file_manager.UploadedFile, text: str) -> dict[str, str]:
    """One file through core.ingest; a refusal is reported, nothing is written for it."""
    if file.size > settings.max_image_bytes:
        return {"file": file.name, "result": "refused",
                "detail": f"{file.size / 1e6:.1f} MB is over the {limit_mb:.0f} MB limit (MAX_IMAGE_BYTES)"}
    try:
        event = ingest_upload(aws_clients(), file.getvalue(), file.name, text, datetime.now(UTC))
    except EventRejected as exc:
        return {"file": file.name, "result": "refused", "detail": str(exc)}
    size = f"{event.width} × {event.height} {event.format}"
    return {"file": file.name, "result": "stored", "detail": f"{size}, event {event.event_id}"}


if submitted:
    if not files:
        st.warning("Choose at least one image first.")
    elif not description.strip():
        st.warning("Add a description: it is shown with the image.")
    else:
        progress, results = st.progress(0.0, text="Uploading…"), []
        try:
            for done, file in enumerate(files, start=1):
                results.append(upload_one(file, description))
                progress.progress(done / len(files), text=f"{done} of {len(files)} processed")
        except StoreUnavailable as exc:
            st.error(f"Stopped: the store is unreachable ({exc}). Files not listed were not saved.")
        live_snapshot.clear()
        stored = sum(r["result"] == "stored" for r in results)
        st.success(f"{stored} stored, {len(results) - stored} refused.")
        st.dataframe(pd.DataFrame(results), hide_index=True)
