"""The Upload page's work: the chosen files through core's batch service together, a result for each."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import streamlit as st
from streamlit.runtime.uploaded_file_manager import UploadedFile

from core.aws import AwsClients
from core.errors import EventRejected, StoreError
from core.ingest.batch import UPLOAD, Outcome, run
from core.ingest.upload import upload_job
from core.ops.audit import Action
from dashboard import roles
from dashboard.views import human_size

Result = dict[str, str]  # file, result (stored, refused or not saved), detail; and event (its id) if stored
NOT_SAVED = "not saved"  # the file was fine, our store failed


def upload_all(
    clients: AwsClients, chosen: list[UploadedFile], text: str, progress: Callable[[int, int], object]
) -> tuple[list[Result], str]:
    """A result for every file, in order, and what stopped some from being saved ("" if nothing did). A
    refused file writes nothing; `progress(done, total)` is told as each file is made. Operators only; the
    upload is recorded in the audit trail."""
    if not roles.permit(Action.UPLOAD):
        return [_refused(file, "only operators may upload") for file in chosen], ""
    results, stopped = _upload(clients, chosen, text, progress)
    stored = [result["event"] for result in results if "event" in result]
    roles.record(Action.UPLOAD, stored, failed=bool(stopped), detail=stopped or summary(results))
    return results, stopped


def _upload(
    clients: AwsClients, chosen: list[UploadedFile], text: str, progress: Callable[[int, int], object]
) -> tuple[list[Result], str]:
    limit = clients.settings.max_image_bytes
    fitting = [file for file in chosen if file.size <= limit]
    received = datetime.now(UTC)
    try:
        jobs = [upload_job(file.getvalue(), file.name, text, received) for file in fitting]
        outcomes = iter(run(clients, jobs, UPLOAD, done=lambda count: progress(count, len(jobs))))
    except EventRejected as exc:  # the description, which every file shares
        return [_refused(file, str(exc)) for file in chosen], ""
    except StoreError as exc:
        return [], f"Stopped: the store is unreachable ({exc}). Nothing was saved; try again."
    results = [_too_large(file, limit) if file.size > limit else _result(file, next(outcomes))
               for file in chosen]
    unsaved = sum(result["result"] == NOT_SAVED for result in results)
    return results, f"The store failed for {unsaved} file(s), not saved: try them again." if unsaved else ""


def summary(results: list[Result]) -> str:
    """'3 stored, 1 refused.', and how many the store failed for, if any."""
    stored, refused, unsaved = (sum(result["result"] == kind for result in results)
                                for kind in ("stored", "refused", NOT_SAVED))
    return f"{stored} stored, {refused} refused" + (f", {unsaved} not saved." if unsaved else ".")


def _result(file: UploadedFile, outcome: Outcome) -> Result:
    event = outcome.event
    if event is not None:
        size = f"{event.width} × {event.height} px {event.format}, {human_size(event.size_bytes or 0)}"
        return {"file": file.name, "result": "stored", "detail": f"{size}, event {event.event_id}",
                "event": event.event_id}
    if isinstance(outcome.error, EventRejected):
        return _refused(file, str(outcome.error))
    return {"file": file.name, "result": NOT_SAVED, "detail": f"the store failed ({outcome.error})"}


def _refused(file: UploadedFile, detail: str) -> Result:
    return {"file": file.name, "result": "refused", "detail": detail}


def _too_large(file: UploadedFile, limit: int) -> Result:
    return _refused(file, f"{human_size(file.size)} is over the {human_size(limit)} limit (MAX_IMAGE_BYTES)")


def show_summary(results: list[Result]) -> None:
    """The summary, coloured by how it went: all stored, some refused, or none stored."""
    stored = sum(result["result"] == "stored" for result in results)
    line = summary(results)
    if stored == len(results):
        st.success(line, icon=":material/check_circle:")
    elif stored:
        st.warning(line, icon=":material/warning:")
    else:
        st.error(line, icon=":material/error:")


def result_rows(results: list[Result]) -> None:
    """A row per file. As text, not a table's cells: a reason wraps and is read whole, and a file's name
    is shown as named, never as Markdown."""
    widths = [2, 1, 5]
    with st.container(border=True):  # framed like the rows, so the headings stand over their columns
        for column, heading in zip(st.columns(widths), ("file", "result", "detail"), strict=True):
            column.caption(heading)
    for number, result in enumerate(results):
        with st.container(border=True, key=f"upload-result-{number}"):
            for column, name in zip(st.columns(widths), ("file", "result", "detail"), strict=True):
                column.text(result[name])
