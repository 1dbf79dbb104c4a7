"""The consumer Lambda: Kinesis records -> core.ingest, answered with an exact partial batch response.

Thin on purpose: core.ingest validates, fetches, thumbnails and stores. A bad event is recorded as
failed and is not a batch item failure (it would block the shard for nothing); a transient failure
of our own store raises StoreUnavailable, which is reported so Lambda retries the record.
"""

from __future__ import annotations

import base64
import binascii
import functools
import time
from datetime import datetime
from functools import cache
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.kinesis_stream_event import KinesisStreamRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from core import clock
from core.aws import AwsClients
from core.errors import InvalidEvent, StoreUnavailable
from core.ingest import Origin, ingest_payload, record_failure
from core.models import StoredEvent
from core.settings import Settings
from lambda_consumer import metrics, tracing
from lambda_consumer.batch import ConcurrentBatchProcessor
from lambda_consumer.contract import origin_of

SERVICE = "image-processor"
RETRY = "retry"  # the per-record status of a record reported back to Lambda
logger = Logger(service=SERVICE)


@cache
def aws_clients() -> AwsClients:
    """Built on the first invocation, not at import, and kept while the container stays warm."""
    return AwsClients(Settings())


@logger.inject_lambda_context
@tracing.traced(lambda: aws_clients().settings)  # X-Ray, when POWERTOOLS_TRACE_DISABLED is false
def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    """Lambda's entry point: {"batchItemFailures": [{"itemIdentifier": <sequenceNumber>}, …]}."""
    processor = ConcurrentBatchProcessor(workers=aws_clients().settings.worker_count)
    started = time.perf_counter()
    figures = metrics.BatchFigures()  # metrics: gathered from every worker thread
    each_record = functools.partial(record_handler, batch_received=clock.now(), figures=figures)
    try:
        return process_partial_response(
            event=event, record_handler=each_record, processor=processor, context=context
        )
    finally:
        logger.info("batch processed", extra=batch_summary(processor.outcomes, started))
        metrics.publish(figures, context.function_name, context.aws_request_id)  # metrics: EMF lines


def record_handler(
    record: KinesisStreamRecord, lambda_context: LambdaContext, *, batch_received: datetime,
    figures: metrics.BatchFigures,
) -> StoredEvent:
    """One record, stored or recorded as failed; raises (so Lambda retries it) only if not safely kept."""
    origin = origin_of(record, lambda_context.aws_request_id, batch_received)
    started = time.perf_counter()
    try:
        stored = _ingest(record, origin)
    except StoreUnavailable as exc:
        figures.record_retry(exc, started)  # metrics
        logger.warning("record will be retried", extra=record_fields(origin, RETRY, str(exc), started))
        raise
    except Exception as exc:
        figures.record_retry(exc, started)  # metrics
        reason = f"unexpected {type(exc).__name__}: {exc}"
        logger.exception("record crashed", extra=record_fields(origin, RETRY, reason, started))
        raise
    figures.record_outcome(stored, origin, started)  # metrics
    fields = record_fields(origin, stored.status.value, stored.failure_reason or "", started)
    logger.info("record processed", extra=fields)
    return stored


def _ingest(record: KinesisStreamRecord, origin: Origin) -> StoredEvent:
    try:
        data = base64.b64decode(record.kinesis.data, validate=True)
    except (binascii.Error, ValueError):
        reason = "Record data is not base64; the event source did not deliver a Kinesis record"
        return record_failure(aws_clients(), origin, InvalidEvent(reason))
    return ingest_payload(aws_clients(), data, origin)


def record_fields(origin: Origin, status: str, reason: str, started: float) -> dict[str, Any]:
    """The per-record log line's fields; the dashboard's log viewer reads event_id, status, reason."""
    return {
        "event_id": origin.event_id, "shard": origin.shard_id, "sequence_number": origin.sequence_number,
        "status": status, "reason": reason, "duration_ms": _elapsed_ms(started),
    }


def batch_summary(outcomes: list[tuple[str, Any, Any]], started: float) -> dict[str, Any]:
    """Counts by status for the batch's summary line."""
    statuses = [
        getattr(result, "status", "") if kind == "success" else RETRY for kind, result, _ in outcomes
    ]
    counts = {status: statuses.count(status) for status in ("stored", "failed", RETRY)}
    return {"records": len(outcomes), **counts, "duration_ms": _elapsed_ms(started)}


def _elapsed_ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 1)
