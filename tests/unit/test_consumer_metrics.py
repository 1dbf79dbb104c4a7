"""The consumer's metrics: failure kinds from our exception types, a batch's figures from its records'
outcomes, and the EMF lines they become (what CloudWatch turns into metrics, with no API call)."""

from __future__ import annotations

import json
import warnings
from dataclasses import replace
from datetime import UTC, datetime
from typing import cast

import pytest

from core import errors
from core.ingest.batch import Job, Outcome
from core.models import EventStatus, StoredEvent
from lambda_consumer import metrics
from tests.factories import stream_origin

ORIGIN = replace(stream_origin("1"), request_id="this-invocation")
JOB = Job(ORIGIN)


def event(status: EventStatus, request_id: str = "this-invocation", **fields: object) -> StoredEvent:
    return StoredEvent(event_id=ORIGIN.event_id, received_at=datetime.now(UTC), source=ORIGIN.source,
                       status=status, request_id=request_id, **fields)


def emitted(capsys: pytest.CaptureFixture[str]) -> list[dict[str, object]]:
    return [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith('{"_aws"')]


@pytest.mark.parametrize(
    ("error", "kind"),
    [(errors.InvalidEvent("x"), "InvalidEvent"), (errors.FetchRefused("x"), "FetchRefused"),
     (errors.FetchFailed("x"), "FetchFailed"), (errors.SourceUnavailable("x"), "SourceUnavailable"),
     (errors.NotAnImage("x"), "NotAnImage"),
     (errors.ImageTooLarge("x"), "ImageTooLarge"), (errors.UnsupportedImage("x"), "UnsupportedImage"),
     (errors.ImageError("x"), "ImageError"), (errors.TransactionConflict("x"), "TransactionConflict"),
     (errors.AccessDenied("x"), "AccessDenied"), (errors.StoreUnavailable("x"), "StoreUnavailable"),
     (KeyError("x"), "Unexpected"), (None, "Unexpected")],
)
def test_a_failure_kind_is_the_name_of_our_exception_type(
    error: BaseException | None, kind: str
) -> None:
    assert metrics.failure_kind(error) == kind


def test_a_batch_counts_stored_failed_by_kind_retried_and_redelivered(
    capsys: pytest.CaptureFixture[str],
) -> None:
    failed = event(EventStatus.FAILED).rejected_by(errors.NotAnImage("text"))
    outcomes = [Outcome(JOB, event(EventStatus.STORED, size_bytes=2048), seconds=0.5, decode_seconds=0.02),
                Outcome(JOB, failed, seconds=0.1),
                Outcome(JOB),  # stored by an earlier delivery
                Outcome(JOB, error=errors.TransactionConflict("busy"), seconds=0.3)]

    metrics.publish(metrics.figures(outcomes), "the-function", "request-1")

    batch, *by_kind = emitted(capsys)
    assert batch["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "ImageProcessor"  # type: ignore[index]
    assert batch["_aws"]["CloudWatchMetrics"][0]["Dimensions"] == [["service"]]  # type: ignore[index]
    assert batch["service"] == "the-function"
    assert (batch["message"], batch["function_request_id"]) == ("batch metrics", "request-1")
    counts = {name: batch[name] for name in ("EventsStored", "EventsFailed", "RecordsRetried",
                                             "RecordsRedelivered", "ImageBytes")}
    assert counts == {"EventsStored": [1.0], "EventsFailed": [1.0], "RecordsRetried": [1.0],
                      "RecordsRedelivered": [1.0], "ImageBytes": [2048.0]}
    assert sorted(cast(list[float], batch["RecordDuration"])) == [0.0, 100.0, 300.0, 500.0]
    assert batch["ThumbnailDuration"] == [20.0]
    kinds = {(line["FailureKind"], name) for line in by_kind for name in ("EventsFailed", "RecordsRetried")
             if name in line}
    assert kinds == {("NotAnImage", "EventsFailed"), ("TransactionConflict", "RecordsRetried")}


def test_an_empty_batch_still_writes_zero_counts_so_alarms_see_data(
    capsys: pytest.CaptureFixture[str],
) -> None:
    metrics.publish(metrics.BatchFigures(), "the-function", "request-1")
    (batch,) = emitted(capsys)
    assert (batch["EventsStored"], batch["EventsFailed"]) == ([0.0], [0.0])


def test_a_redelivered_batch_of_100_is_written_whole_without_an_empty_metrics_warning(
    capsys: pytest.CaptureFixture[str],
) -> None:
    figures = metrics.figures([Outcome(JOB)] * 100)  # Powertools writes a set itself at 100 values a metric
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        metrics.publish(figures, "the-function", "request-1")
    (line,) = emitted(capsys)
    assert line[metrics.RECORDS_REDELIVERED] == [100.0]
    assert len(line[metrics.RECORD_DURATION]) == 100  # type: ignore[arg-type]
