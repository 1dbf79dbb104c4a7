"""The consumer's own CloudWatch metrics, written as Embedded Metric Format lines in its log (no API calls).

Powertools' metric set is not per batch, so each invocation gathers its figures from the batch's outcomes
in a `BatchFigures` and writes them once, from the handler's thread, when the batch ends. The names here
are the ones infra/template.yaml's alarms and dashboard use; tests/integration/test_alarms.py checks them
against a real handler run's output.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.metrics.provider.cloudwatch_emf.cloudwatch import AmazonCloudWatchEMFProvider

from core import errors
from core.ingest.batch import Outcome
from core.models import EventStatus
from lambda_consumer.emf import provider

FAILURE_KIND_DIMENSION = "FailureKind"

EVENTS_STORED = "EventsStored"  # new events stored (a redelivered record is not counted again)
EVENTS_FAILED = "EventsFailed"  # new events recorded as failed; also per FailureKind
RECORDS_RETRIED = "RecordsRetried"  # records reported back to Lambda (our store failed, or a crash)
RECORDS_REDELIVERED = "RecordsRedelivered"  # records whose event an earlier invocation had already kept
RECORD_DURATION = "RecordDuration"  # ms from the batch's start until the record's outcome, whatever it is
IMAGE_BYTES = "ImageBytes"  # size of each newly stored original
THUMBNAIL_DURATION = "ThumbnailDuration"  # ms decoding and resizing one image (timed by its pixel budget)

UNKNOWN_KIND = "Unexpected"  # an exception that is none of ours: a bug, or a library's own failure


def failure_kind(error: BaseException | None) -> str:
    """The FailureKind dimension for `error`: its type's name when it is one of ours, else Unexpected."""
    return type(error).__name__ if isinstance(error, errors.ImageProcessorError) else UNKNOWN_KIND


@dataclass
class BatchFigures:
    """What one invocation did, written once at the batch's end."""

    stored: int = 0
    failed: Counter[str] = field(default_factory=Counter)  # by failure kind
    retried: Counter[str] = field(default_factory=Counter)  # by failure kind
    redelivered: int = 0
    record_ms: list[float] = field(default_factory=list)
    image_bytes: list[int] = field(default_factory=list)
    thumbnail_ms: list[float] = field(default_factory=list)


def figures(outcomes: Sequence[Outcome]) -> BatchFigures:
    """A batch's figures from its records' outcomes (see core.ingest.batch.Outcome)."""
    found = BatchFigures()
    for outcome in outcomes:
        found.record_ms.append(outcome.seconds * 1000)
        event = outcome.event
        if outcome.error is not None:
            found.retried[failure_kind(outcome.error)] += 1
        elif event is None:
            found.redelivered += 1
        elif event.status is EventStatus.STORED:
            found.stored += 1
            found.image_bytes.append(event.size_bytes or 0)
        else:
            found.failed[failure_kind(event.rejection)] += 1
        if outcome.decode_seconds is not None:
            found.thumbnail_ms.append(outcome.decode_seconds * 1000)
    return found


def publish(figures: BatchFigures, function_name: str, request_id: str) -> None:
    """Write the batch's figures to stdout as EMF: one line for the batch, one per failure kind seen."""
    batch = provider(function_name, request_id, "batch metrics")
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
            by_kind = provider(function_name, request_id, "batch metrics")
            by_kind.add_dimension(name=FAILURE_KIND_DIMENSION, value=kind)
            by_kind.add_metric(name=name, unit=MetricUnit.Count, value=count)
            by_kind.flush_metrics()


def _add_values(
    provider: AmazonCloudWatchEMFProvider, name: str, unit: MetricUnit, values: list[float] | list[int]
) -> None:
    # One value per record: CloudWatch keeps the distribution (p50, p99), not only the batch's sum.
    for value in values:
        provider.add_metric(name=name, unit=unit, value=round(value, 3))

