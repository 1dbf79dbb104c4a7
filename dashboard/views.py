"""Small view helpers shared by pages: times, store errors."""

from __future__ import annotations

from datetime import UTC, datetime

import streamlit as st

from core.errors import StoreMisconfigured, StoreUnavailable


def ago(moment: datetime, now: datetime | None = None) -> str:
    """'12 s ago', '3 min ago', '2 h ago', '4 d ago'."""
    seconds = max(0, int(((now or datetime.now(UTC)) - moment).total_seconds()))
    for unit, size in (("d", 86_400), ("h", 3_600), ("min", 60)):
        if seconds >= size:
            return f"{seconds // size} {unit} ago"
    return f"{seconds} s ago"


def show_store_error(exc: StoreUnavailable) -> None:
    """What went wrong and what to check, never a stack trace, and a way to try again."""
    if isinstance(exc, StoreMisconfigured):
        st.error(f"The event store is not set up: {exc}", icon="🛠️")
    else:
        st.error(
            f"The event store is unreachable: {exc}. Check that `make run` (or `make stack`) is "
            "still running, or that AWS_ENDPOINT_URL, AWS_REGION and your credentials are right.",
            icon="🔌",
        )
    st.button("Retry", key="retry-store")
