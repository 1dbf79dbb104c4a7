"""The consumer's log lines: one per record and one per batch, with the fields the dashboard's log viewer
reads (event_id, status, reason, duration_ms).

INFO when a record's event is kept, WARNING when kept as failed or to be delivered again because our store
failed, ERROR when our own code broke (a bug, not the event).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from aws_lambda_powertools import Logger

from core.errors import StoreError
from core.ingest.batch import Outcome
from core.ingest.origin import Origin
from core.models import EventStatus

SERVICE = "image-processor"
STATUSES = ("stored", "failed", "repeat", "retry")  # a record's status in its log line, and the summary's


def write(logger: Logger, outcomes: Sequence[Outcome], started: float) -> None:
    """A line for each record, then the batch's summary."""
    for outcome in outcomes:
        _line(logger, outcome)
    logger.info("batch processed", extra=batch_summary(outcomes, started))


def _line(logger: Logger, outcome: Outcome) -> None:
    origin, error, event = outcome.job.origin, outcome.error, outcome.event
    if error is not None and not isinstance(error, StoreError):
        reason = f"unexpected {type(error).__name__}: {error}"
        logger.error("record crashed", extra=record_fields(origin, "retry", reason, outcome.seconds),
                     exc_info=error)
    elif error is not None:
        fields = record_fields(origin, "retry", str(error), outcome.seconds)
        logger.warning("record will be retried", extra=fields)
    elif event is not None and event.status is EventStatus.FAILED:
        fields = record_fields(origin, outcome.status, event.failure_reason or "", outcome.seconds)
        logger.warning("record failed", extra=fields)
    else:
        logger.info("record processed", extra=record_fields(origin, outcome.status, "", outcome.seconds))


def record_fields(origin: Origin, status: str, reason: str, seconds: float) -> dict[str, Any]:
    """The per-record log line's fields; the dashboard's log viewer reads event_id, status, reason."""
    return {"event_id": origin.event_id, "shard": origin.shard_id, "sequence_number": origin.sequence_number,
            "status": status, "reason": reason, "duration_ms": round(seconds * 1000, 1)}


def batch_summary(outcomes: Sequence[Outcome], started: float) -> dict[str, Any]:
    """Counts by status for the batch's summary line."""
    statuses = [outcome.status for outcome in outcomes]
    counts = {status: statuses.count(status) for status in STATUSES}
    elapsed_ms = round((time.perf_counter() - started) * 1000, 1)
    return {"records": len(outcomes), **counts, "duration_ms": elapsed_ms}
