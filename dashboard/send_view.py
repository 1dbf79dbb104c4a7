"""The Send page's work: a burst sent (by an operator, recorded in the audit trail), then every record of it
followed to what the consumer made of it."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

import pandas as pd
import streamlit as st

from core.aws import AwsClients
from core.errors import ImageProcessorError
from core.ingest.origin import stream_event_id
from core.models import EventStatus, StoredEvent
from core.ops.audit import Action
from core.store.reads import get_events
from core.stream.producer import Progress, SendFailed, SentRecord, send_events
from dashboard import roles

WAITING = "waiting for the consumer…"
# Widths in pixels that hold their text whole: "waiting for the consumer…", a shard id
# ("shardId-000000000000") and a sequence number (56 digits). The reason comes last and takes what is left:
# each distinct reason is shown in full above the table.
COLUMNS = {
    "status": st.column_config.TextColumn("status", width=190),
    "shard": st.column_config.TextColumn("shard", width=170),
    "sequence number": st.column_config.TextColumn("sequence number", width=440),
    "reason": st.column_config.TextColumn("reason", width="large"),
}


def progress_text(progress: Progress) -> str:
    """The bar's words: how far the burst is, and what the shard's write rate has refused so far."""
    text = f"Sending… {progress.done} of {progress.total} on the stream"
    if progress.throttled:
        text += f"; {progress.throttled} refused for the shard's write rate, resent with backoff"
    return text


def throttling_note(progress: Progress) -> str:
    if not progress.throttled:
        return ""
    return (f" The shard's write rate (1,000 records or 1 MiB a second) refused {progress.throttled} on the "
            f"way; they were resent with backoff ({progress.resent} resends).")


def send(clients: AwsClients, payloads: list[bytes], partition_key: str | None,
         on_progress: Callable[[Progress], None]) -> list[SentRecord] | None:
    """Put the payloads on the stream if an operator asks (None if not), recorded in the audit trail with
    the ids their events get. SendFailed, recorded with the records that landed, when not all did."""
    if not roles.permit(Action.SEND):
        return None
    try:
        records = send_events(clients, payloads, partition_key, on_progress=on_progress)
    except SendFailed as exc:
        roles.record(Action.SEND, _event_ids([r for r in exc.sent if r is not None]), failed=True,
                     detail=str(exc), event_count=len(payloads))
        raise
    except ImageProcessorError as exc:
        roles.record(Action.SEND, failed=True, detail=str(exc), event_count=0)
        raise
    roles.record(Action.SEND, _event_ids(records),
                 detail=f"{len(records)} record(s) to {clients.settings.stream_name}")
    return records


def _event_ids(records: list[SentRecord]) -> list[str]:
    return [stream_event_id(record.shard_id, record.sequence_number) for record in records]


@dataclass
class Followed:
    """Sent records and, once the consumer has handled them, their events (kept in the session)."""

    records: list[SentRecord]
    events: dict[str, StoredEvent] = field(default_factory=dict)

    @property
    def pending(self) -> list[str]:
        ids = (stream_event_id(r.shard_id, r.sequence_number) for r in self.records)
        return [event_id for event_id in ids if event_id not in self.events]

    def catch_up(self, clients: AwsClients) -> None:
        """Read the records still waiting, in batches; the ones already handled are not read again."""
        if self.pending:
            self.events |= get_events(clients, self.pending)

    def count(self, status: EventStatus) -> int:
        return sum(event.status is status for event in self.events.values())


def show(followed: Followed) -> None:
    """How many are done, each distinct failure reason in full as text, then one row per record."""
    done, sent = len(followed.events), len(followed.records)
    st.subheader(f"Sent {sent} · {done} processed: {followed.count(EventStatus.STORED)} stored, "
                 f"{followed.count(EventStatus.FAILED)} failed")
    reasons = Counter(e.failure_reason or "" for e in followed.events.values() if e.failure_reason)
    for reason, times in reasons.most_common():
        st.caption(f"Failed {times} time(s) with this reason:")
        st.text(reason)  # as the consumer wrote it: text, never Markdown
    st.dataframe(table(followed), hide_index=True, column_config=COLUMNS)


def table(followed: Followed) -> pd.DataFrame:
    rows = []
    for record in followed.records:
        event = followed.events.get(stream_event_id(record.shard_id, record.sequence_number))
        rows.append({"status": event.status.value if event else WAITING,
                     "reason": (event.failure_reason or "") if event else "",
                     "sequence number": record.sequence_number, "shard": record.shard_id})
    return pd.DataFrame(rows, columns=list(COLUMNS))
