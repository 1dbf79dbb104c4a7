"""The consumer's metrics: failure kinds from our exception types, a batch's figures gathered from many
threads, and the EMF lines they become (what CloudWatch turns into metrics, with no API call)."""

from __future__ import annotations

import json
import time
import warnings
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from core import errors
from core.imaging.pixel_budget import DECODING
from core.models import EventStatus, StoredEvent
from lambda_consumer import metrics
from tests.factories import stream_origin

ORIGIN = replace(stream_origin("1"), request_id="this-invocation")


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
     (errors.AccessDenied("x"), "StoreMisconfigured"), (errors.StoreUnavailable("x"), "StoreUnavailable"),
     (KeyError("x"), "Unexpected"), (None, "Unexpected")],
)
def test_a_failure_kind_is_the_most_specific_of_our_exception_types(
    error: BaseException | None, kind: str
) -> None:
    assert metrics.failure_kind(error) == kind


def test_a_batch_counts_stored_failed_by_kind_retried_and_redelivered(
    capsys: pytest.CaptureFixture[str],
) -> None:
    figures = metrics.BatchFigures()
    started = time.perf_counter()
    figures.record_outcome(event(EventStatus.STORED, size_bytes=2048), started, None)
    failed = event(EventStatus.FAILED).rejected_by(errors.NotAnImage("text"))
    figures.record_outcome(failed, started, None)
    figures.record_outcome(None, started, None)  # stored by an earlier delivery
    figures.record_retry(errors.TransactionConflict("busy"), started)

    metrics.publish(figures, "the-function", "request-1")

    batch, *by_kind = emitted(capsys)
    assert batch["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "ImageProcessor"  # type: ignore[index]
    assert batch["_aws"]["CloudWatchMetrics"][0]["Dimensions"] == [["service"]]  # type: ignore[index]
    assert batch["service"] == "the-function"
    assert (batch["message"], batch["function_request_id"]) == ("batch metrics", "request-1")
    counts = {name: batch[name] for name in ("EventsStored", "EventsFailed", "RecordsRetried",
                                             "RecordsRedelivered", "ImageBytes")}
    assert counts == {"EventsStored": [1.0], "EventsFailed": [1.0], "RecordsRetried": [1.0],
                      "RecordsRedelivered": [1.0], "ImageBytes": [2048.0]}
    assert len(batch["RecordDuration"]) == 4  # type: ignore[arg-type]
    kinds = {(line["FailureKind"], name) for line in by_kind for name in ("EventsFailed", "RecordsRetried")
             if name in line}
    assert kinds == {("NotAnImage", "EventsFailed"), ("TransactionConflict", "RecordsRetried")}


def test_an_empty_batch_still_writes_zero_counts_so_alarms_see_data(
    capsys: pytest.CaptureFixture[str],
) -> None:
    metrics.publish(metrics.BatchFigures(), "the-function", "request-1")
    (batch,) = emitted(capsys)
    assert (batch["EventsStored"], batch["EventsFailed"]) == ([0.0], [0.0])


def test_thumbnail_time_is_the_decode_this_record_made_on_its_thread() -> None:
    with DECODING.hold(100, 1000):
        time.sleep(0.02)
    assert metrics.thumbnail_ms(time.perf_counter()) is None  # decoded before the record began
    started = time.perf_counter()
    with DECODING.hold(100, 1000):
        time.sleep(0.02)
    decode_ms = metrics.thumbnail_ms(started)
    assert decode_ms is not None and 15 < decode_ms < 1000


def test_figures_from_many_threads_lose_nothing() -> None:
    figures = metrics.BatchFigures()
    started = time.perf_counter()
    stored = event(EventStatus.STORED)
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda _: figures.record_outcome(stored, started, None), range(400)))
    assert (figures.stored, len(figures.record_ms)) == (400, 400)


def test_a_redelivered_batch_of_100_is_written_whole_without_an_empty_metrics_warning(
    capsys: pytest.CaptureFixture[str],
) -> None:
    figures = metrics.BatchFigures()
    started = time.perf_counter()
    for _ in range(100):  # Powertools writes a metric set by itself once a metric holds 100 values
        figures.record_outcome(None, started, None)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        metrics.publish(figures, "the-function", "request-1")
    (line,) = emitted(capsys)
    assert line[metrics.RECORDS_REDELIVERED] == [100.0]
    assert len(line[metrics.RECORD_DURATION]) == 100  # type: ignore[arg-type]
