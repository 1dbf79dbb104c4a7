"""The consumer Lambda: Kinesis records -> core.ingest, answered with an exact partial batch response.

Thin on purpose: core.ingest validates, fetches, thumbnails and puts images in S3. Per batch:
1. one consistent BatchGetItem finds the records whose events are stored already (a redelivery), which
   are left out before any fetch, decode or upload;
2. the rest are processed on a thread pool, each into a stored or a failed event;
3. their events are written together, 25 items per BatchWriteItem call.
A bad event is recorded as failed and is not a batch item failure (it would block the shard for
nothing); a transient failure of our own store (StoreUnavailable), or an event DynamoDB would not take,
is reported so Lambda retries the record.
"""

from __future__ import annotations

import base64
import binascii
import functools
import time
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.kinesis_stream_event import KinesisStreamRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from core import clock
from core.aws import AwsClients
from core.errors import InvalidEvent, StoreUnavailable
from core.ingest.batch import write_events
from core.ingest.events import failed_event, process_payload
from core.ingest.origin import Origin
from core.models import EventStatus, StoredEvent
from core.settings import Settings
from core.store.reads import existing
from lambda_consumer import metrics, tracing
from lambda_consumer.batch import ConcurrentBatchProcessor
from lambda_consumer.contract import origin_of

SERVICE = "image-processor"
RETRY = "retry"  # the per-record status of a record reported back to Lambda
REPEAT = "repeat"  # the per-record status of a record whose event was stored by an earlier delivery
logger = Logger(service=SERVICE)


@cache
def aws_clients() -> AwsClients:
    """Built on the first invocation, not at import, and kept while the container stays warm."""
    return AwsClients(Settings())


@dataclass(frozen=True)
class Handled:
    """What became of one record: its event to write (None: stored by an earlier delivery)."""

    origin: Origin
    event: StoredEvent | None
    started: float
    thumbnail_ms: float | None = None  # decoding and resizing its image, timed on its worker thread


@logger.inject_lambda_context
@tracing.traced(lambda: aws_clients().settings)  # X-Ray, when POWERTOOLS_TRACE_DISABLED is false
def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    """Lambda's entry point: {"batchItemFailures": [{"itemIdentifier": <sequenceNumber>}, …]}."""
    clients = aws_clients()
    processor = ConcurrentBatchProcessor(workers=clients.settings.worker_count)
    started = time.perf_counter()
    received = clock.now()
    records = [KinesisStreamRecord(raw) for raw in event["Records"]]
    origins = [origin_of(record, context.aws_request_id, received) for record in records]
    try:
        repeats = existing(clients, [origin.event_id for origin in origins])
    except StoreUnavailable as exc:
        logger.warning("batch will be retried: its events could not be looked up", extra={"reason": str(exc)})
        raise
    each_record = functools.partial(record_handler, batch_received=received, repeats=repeats)
    figures = metrics.BatchFigures()
    try:
        with processor(records=event["Records"], handler=each_record, lambda_context=context):
            processor.process()
            _write(clients, processor)
            _report(processor, origins, figures, started)
        return processor.response()
    finally:
        logger.info("batch processed", extra=batch_summary(processor.outcomes, started))
        metrics.publish(figures, context.function_name, context.aws_request_id)  # EMF lines, no API call


def record_handler(
    record: KinesisStreamRecord, lambda_context: LambdaContext, *, batch_received: datetime,
    repeats: set[str],
) -> Handled:
    """One record made into the event to write (stored or failed), or None for a redelivered record;
    raises (so Lambda retries it) only if it could not be made safely."""
    origin = origin_of(record, lambda_context.aws_request_id, batch_received)
    started = time.perf_counter()
    if origin.event_id in repeats:
        return Handled(origin, None, started)
    try:
        data = base64.b64decode(record.kinesis.data, validate=True)
    except (binascii.Error, ValueError):
        reason = "Record data is not base64; the event source did not deliver a Kinesis record"
        return Handled(origin, failed_event(origin, InvalidEvent(reason)), started)
    event = process_payload(aws_clients(), data, origin)
    return Handled(origin, event, started, metrics.thumbnail_ms(started))


def _write(clients: AwsClients, processor: ConcurrentBatchProcessor) -> None:
    """Write the batch's new events together; a record whose event was not written is a failure."""
    handled = [(position, result) for position, (kind, result, _) in enumerate(processor.outcomes)
               if kind == "success" and result.event is not None]
    unwritten, error = write_events(clients, [result.event for _, result in handled])
    for position, result in handled:
        if result.origin.event_id in unwritten:
            processor.fail(position, error)


def _report(
    processor: ConcurrentBatchProcessor, origins: list[Origin], figures: metrics.BatchFigures, started: float
) -> None:
    """Each record's log line and its part of the batch's metrics, once its event was written or not.

    INFO when kept, WARNING when kept as failed or to be retried, ERROR when the code itself broke (a
    bug, not the event). The dashboard's log viewer reads these fields.
    """
    for (kind, result, _), origin in zip(processor.outcomes, origins, strict=True):
        if kind == "fail":
            figures.record_retry(result, started)
            _log_retry(origin, result)
            continue
        figures.record_outcome(result.event, result.started, result.thumbnail_ms)
        event = result.event
        status = REPEAT if event is None else event.status.value
        fields = record_fields(origin, status, (event and event.failure_reason) or "", result.started)
        if event is not None and event.status is EventStatus.FAILED:
            logger.warning("record failed", extra=fields)
        else:
            logger.info("record processed", extra=fields)


def _log_retry(origin: Origin, error: BaseException) -> None:
    if isinstance(error, StoreUnavailable):
        logger.warning("record will be retried", extra=record_fields(origin, RETRY, str(error), None))
        return
    reason = f"unexpected {type(error).__name__}: {error}"
    logger.error("record crashed", extra=record_fields(origin, RETRY, reason, None), exc_info=error)


def record_fields(origin: Origin, status: str, reason: str, started: float | None) -> dict[str, Any]:
    """The per-record log line's fields; the dashboard's log viewer reads event_id, status, reason."""
    fields = {
        "event_id": origin.event_id, "shard": origin.shard_id, "sequence_number": origin.sequence_number,
        "status": status, "reason": reason,
    }
    return fields | ({"duration_ms": _elapsed_ms(started)} if started is not None else {})


def batch_summary(outcomes: list[tuple[str, Any, Any]], started: float) -> dict[str, Any]:
    """Counts by status for the batch's summary line."""
    statuses = [_status(result) if kind == "success" else RETRY for kind, result, _ in outcomes]
    counts = {status: statuses.count(status) for status in ("stored", "failed", REPEAT, RETRY)}
    return {"records": len(outcomes), **counts, "duration_ms": _elapsed_ms(started)}


def _status(result: Handled) -> str:
    return REPEAT if result.event is None else result.event.status.value


def _elapsed_ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 1)
