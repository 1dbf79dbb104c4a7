"""Small view helpers shared by the screens: times, store errors, event details."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pandas as pd
import streamlit as st

from core.errors import StoreError, StoreMisconfigured
from core.models import FailureKind, StoredEvent


def ago(moment: datetime, now: datetime | None = None) -> str:
    """'12 s ago', '3 min ago', '2 h ago', '4 d ago'."""
    seconds = max(0, int(((now or datetime.now(UTC)) - moment).total_seconds()))
    for unit, size in (("d", 86_400), ("h", 3_600), ("min", 60)):
        if seconds >= size:
            return f"{seconds // size} {unit} ago"
    return f"{seconds} s ago"


def local_time(moment: datetime) -> str:
    """The moment in the viewer's time zone (from the browser), else the server's."""
    return f"{moment.astimezone(viewer_zone()):%Y-%m-%d %H:%M:%S %Z}"


def viewer_zone() -> ZoneInfo | None:
    try:
        return ZoneInfo(st.context.timezone) if st.context.timezone else None
    except (ZoneInfoNotFoundError, ValueError):
        return None


def human_size(size: int) -> str:
    """Bytes for a person: '870 B', '42.1 KB', '20 MB', in units of 1,000 as the upload widget counts
    them on Linux and macOS (and core's reasons), so a file reads the same on its chip and in its result."""
    for unit, scale in (("GB", 10**9), ("MB", 10**6), ("KB", 10**3)):
        if size >= scale:
            return f"{size / scale:.1f}".removesuffix(".0") + f" {unit}"
    return f"{size} B"


def dimensions(event: StoredEvent) -> str | None:
    """'4000 × 3000 px', or None before the image was read."""
    return f"{event.width} × {event.height} px" if event.width and event.height else None


def show_store_error(exc: StoreError, key: str = "retry-store") -> None:
    """What went wrong and what to check, never a stack trace, and a way to try again."""
    if isinstance(exc, StoreMisconfigured):
        st.error(f"The event store is not set up: {exc}", icon=":material/build:")
    else:
        st.error(
            f"The event store is unreachable: {exc}. Check that `make run` (or `make stack`) is "
            "still running, or that AWS_ENDPOINT_URL, AWS_REGION and your credentials are right.",
            icon=":material/cloud_off:",
        )
    st.button("Retry", key=key)


RETRY_COULD_HELP = {FailureKind.RETRYABLE: "yes: its source failed for now",
                    FailureKind.PERMANENT: "no: the event itself cannot succeed as sent"}


def trace_table(event: StoredEvent) -> pd.DataFrame:
    """What the image is, then where the event came from and where it is stored, as rows of text (cells are
    never Markdown). The image's facts come first: they are what a person opens the details for."""
    rows = {
        "Dimensions": dimensions(event), "Format": event.format,
        "File size": human_size(event.size_bytes) if event.size_bytes is not None else None,
        "Frames": event.frame_count,
        "SHA-256": event.sha256,
        "Event id": event.event_id, "Status": event.status.value, "Source": event.source.value,
        "Received": local_time(event.received_at), "Image URL": event.image_url,
        "File name": event.filename, "Shard": event.shard_id, "Sequence number": event.sequence_number,
        "Lambda request id": event.request_id, "Record read as": event.read_as,
        "Original key": event.original_key,
        "Thumbnail key": event.thumbnail_key, "Preview key": event.preview_key,
        "Failure reason": event.failure_reason,
        "Retry could help": RETRY_COULD_HELP.get(event.failure_kind) if event.failure_kind else None,
    }
    shown = {name: str(value) for name, value in rows.items() if value not in (None, "")}
    return pd.DataFrame({"field": list(shown), "value": list(shown.values())})


TABLE_ROW_PX = 35  # Streamlit's row height by default; its header's always, whatever row_height says
TABLE_FRAME_PX = 3


def whole_height(frame: pd.DataFrame, row_px: int = TABLE_ROW_PX) -> int:
    """A table's height with every row in view, so nothing hides behind its own scroll bar, and nothing
    more (`row_px`: the row_height it is drawn with)."""
    return TABLE_ROW_PX + row_px * len(frame) + TABLE_FRAME_PX
