"""The consumer's own CloudWatch metrics, written as Embedded Metric Format lines in its log (no API calls).

A batch's records run on several threads and Powertools' metric set is neither thread-safe nor per batch,
so each invocation gathers its figures in a `BatchFigures` (under a lock) and writes them once, from the
handler's thread, when the batch ends. The names here are the ones infra/template.yaml's alarms and
dashboard use; tests/integration/test_alarms.py checks them against a real handler run's output.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from dataclasses import dataclass, field

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.metrics.provider.cloudwatch_emf.cloudwatch import AmazonCloudWatchEMFProvider

from core import errors
from core.imaging.pixel_budget import DECODING
from core.models import EventStatus, StoredEvent

NAMESPACE = "ImageProcessor"
# Powertools' "service" dimension, set to the function's name: two stacks in one account never mix.
SERVICE_DIMENSION = "service"
FAILURE_KIND_DIMENSION = "FailureKind"

EVENTS_STORED = "EventsStored"  # new events stored (a redelivered record is not counted again)
EVENTS_FAILED = "EventsFailed"  # new events recorded as failed; also per FailureKind
RECORDS_RETRIED = "RecordsRetried"  # records reported back to Lambda (our store failed, or a crash)
RECORDS_REDELIVERED = "RecordsRedelivered"  # records whose event an earlier invocation had already kept
RECORD_DURATION = "RecordDuration"  # ms per record, whatever its outcome
IMAGE_BYTES = "ImageBytes"  # size of each newly stored original
THUMBNAIL_DURATION = "ThumbnailDuration"  # ms decoding and resizing one image (timed by its pixel budget)

# The failure kinds, most specific first: an error counts as the first of these it is an instance of.
FAILURE_KINDS: tuple[type[errors.ImageProcessorError], ...] = (
    errors.InvalidEvent, errors.FetchRefused, errors.SourceUnavailable, errors.FetchFailed, errors.NotAnImage,
    errors.ImageTooLarge, errors.UnsupportedImage, errors.ImageError, errors.EventRejected,
    errors.TransactionConflict, errors.StoreMisconfigured, errors.StoreUnavailable,
)
UNKNOWN_KIND = "Unexpected"  # an exception that is none of ours: a bug, or a library's own failure


def failure_kind(error: BaseException | None) -> str:
    """The FailureKind dimension for `error`: the name of the most specific of our exception types."""
    return next((kind.__name__ for kind in FAILURE_KINDS if isinstance(error, kind)), UNKNOWN_KIND)


@dataclass
class BatchFigures:
    """What one invocation did, gathered from every worker thread, written once at the batch's end."""

    stored: int = 0
    failed: Counter[str] = field(default_factory=Counter)  # by failure kind
    retried: Counter[str] = field(default_factory=Counter)  # by failure kind
    redelivered: int = 0
    record_ms: list[float] = field(default_factory=list)
    image_bytes: list[int] = field(default_factory=list)
    thumbnail_ms: list[float] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def record_outcome(self, event: StoredEvent | None, started: float, thumbnail_ms: float | None) -> None:
        """A record kept: its new event (stored or failed), or None when an earlier delivery had kept it;
        `started` is its time.perf_counter(), `thumbnail_ms` its decode (see thumbnail_ms)."""
        with self._lock:
            self.record_ms.append(_ms_since(started))
            if event is None:
                self.redelivered += 1
            elif event.status is EventStatus.STORED:
                self.stored += 1
                self.image_bytes.append(event.size_bytes or 0)
            else:
                self.failed[failure_kind(event.rejection)] += 1
            if thumbnail_ms is not None:
                self.thumbnail_ms.append(thumbnail_ms)

    def record_retry(self, error: BaseException, started: float) -> None:
        """A record reported back to Lambda, to be delivered again, because of `error`."""
        with self._lock:
            self.record_ms.append(_ms_since(started))
            self.retried[failure_kind(error)] += 1


def thumbnail_ms(started: float) -> float | None:
    """The decode this worker thread made since `started` (a record's start), in ms; called on that
    thread, since the pixel budget remembers each thread's last decode."""
    decode = DECODING.last_hold()
    return decode.held * 1000 if decode is not None and decode.asked >= started else None


def publish(figures: BatchFigures, function_name: str, request_id: str) -> None:
    """Write the batch's figures to stdout as EMF: one line for the batch, one per failure kind seen.

    Each line also names the invocation (not a dimension: metadata CloudWatch keeps in the log only),
    so the log viewer shows it with the invocation's other lines.
    """
    batch = _provider(function_name, request_id)
    counts = {EVENTS_STORED: figures.stored, EVENTS_FAILED: figures.failed.total(),
              RECORDS_RETRIED: figures.retried.total(), RECORDS_REDELIVERED: figures.redelivered}
    for name, count in counts.items():
        batch.add_metric(name=name, unit=MetricUnit.Count, value=count)
    _add_values(batch, RECORD_DURATION, MetricUnit.Milliseconds, figures.record_ms)
    _add_values(batch, IMAGE_BYTES, MetricUnit.Bytes, figures.image_bytes)
    _add_values(batch, THUMBNAIL_DURATION, MetricUnit.Milliseconds, figures.thumbnail_ms)
    if batch.metric_set:  # Powertools writes the set by itself when a metric reaches 100 values
        batch.flush_metrics()
    # The totals above carry only the service dimension (what the alarms watch); these add the kind.
    for name, counter in ((EVENTS_FAILED, figures.failed), (RECORDS_RETRIED, figures.retried)):
        for kind, count in sorted(counter.items()):
            by_kind = _provider(function_name, request_id)
            by_kind.add_dimension(name=FAILURE_KIND_DIMENSION, value=kind)
            by_kind.add_metric(name=name, unit=MetricUnit.Count, value=count)
            by_kind.flush_metrics()


def _provider(function_name: str, request_id: str) -> AmazonCloudWatchEMFProvider:
    provider = AmazonCloudWatchEMFProvider(namespace=NAMESPACE, service=function_name)
    provider.add_metadata(key="message", value="batch metrics")
    provider.add_metadata(key="function_request_id", value=request_id)
    return provider


def _add_values(
    provider: AmazonCloudWatchEMFProvider, name: str, unit: MetricUnit, values: list[float] | list[int]
) -> None:
    # One value per record: CloudWatch keeps the distribution (p50, p99), not only the batch's sum.
    for value in values:
        provider.add_metric(name=name, unit=unit, value=round(value, 3))


def _ms_since(started: float) -> float:
    return (time.perf_counter() - started) * 1000
