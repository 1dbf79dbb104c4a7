"""Powertools' Kinesis BatchProcessor whose batch runs through core's batch service, as a whole.

Powertools hands a processor one record after another; core's service wants the whole batch at once (one
read for the records kept already, concurrent fetches, one write). So the batch runs in `_prepare`, the hook
Powertools calls when the processor's block begins, and each record's handler only looks its outcome up:
a record whose event was written (stored or failed) or kept by an earlier delivery succeeds; one whose work
must be delivered again raises its error, which Powertools reports in batchItemFailures, in batch order.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Sequence
from datetime import datetime

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType
from aws_lambda_powertools.utilities.data_classes.kinesis_stream_event import KinesisStreamRecord

from core import clock
from core.errors import InvalidEvent
from core.ingest.batch import Job, Outcome, stream_job
from lambda_consumer.contract import origin_of

RunBatch = Callable[[Sequence[Job]], list[Outcome]]


class StreamBatchProcessor(BatchProcessor):
    """BatchProcessor(EventType.KinesisDataStreams) whose records are made together by `run_batch`."""

    def __init__(self, run_batch: RunBatch) -> None:
        super().__init__(event_type=EventType.KinesisDataStreams)
        self._run_batch = run_batch
        self.outcomes: list[Outcome] = []
        self._by_sequence: dict[str, Outcome] = {}

    def _prepare(self) -> None:
        super()._prepare()  # type: ignore[no-untyped-call]
        received = clock.now()
        request_id = self.lambda_context.aws_request_id
        jobs = [job_of(KinesisStreamRecord(raw), request_id, received) for raw in self.records]
        self.outcomes = self._run_batch(jobs)
        self._by_sequence = {o.job.origin.sequence_number or "": o for o in self.outcomes}

    def outcome_of(self, record: KinesisStreamRecord) -> Outcome:
        """The record's outcome; raises the error that means Lambda must deliver it again."""
        outcome = self._by_sequence[record.kinesis.sequence_number]
        if outcome.error is not None:
            raise outcome.error
        return outcome


def job_of(record: KinesisStreamRecord, request_id: str, received: datetime) -> Job:
    """The record as a job: its payload parsed, or a failed event's reason when it is not even base64."""
    origin = origin_of(record, request_id, received)
    try:
        data = base64.b64decode(record.kinesis.data, validate=True)
    except (binascii.Error, ValueError):
        reason = "Record data is not base64; the event source did not deliver a Kinesis record"
        return Job(origin, rejected=InvalidEvent(reason))
    return stream_job(data, origin)
