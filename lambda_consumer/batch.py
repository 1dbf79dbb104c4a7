"""Powertools' Kinesis BatchProcessor, running the records of one batch on a bounded thread pool."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType


class ConcurrentBatchProcessor(BatchProcessor):
    """BatchProcessor(EventType.KinesisDataStreams) that handles up to `workers` records at once.

    Powertools calls the record handler for one record after another. A record here spends its time
    waiting on S3 and DynamoDB or in Pillow's decoder, which releases the GIL, so a pool pays (see
    bench/RESULTS.md). Per-shard order does not matter: records are independent and idempotent (the
    event id comes from the record). Only `process` changes: Powertools' own `_process_record` still
    runs each record, and its success/failure handlers only append to lists (atomic under the GIL). The
    failures are put back in batch order afterwards, so the batchItemFailures are exact and the same on
    every run. `fail` turns a record that was handled into a failure after the fact: its event could
    not be written with the rest of the batch.
    """

    def __init__(self, workers: int) -> None:
        super().__init__(event_type=EventType.KinesisDataStreams)
        self.workers = max(1, workers)
        self.outcomes: list[tuple[str, Any, Any]] = []

    def process(self) -> list[tuple[str, Any, Any]]:
        """Each record's ("success", result, record) or ("fail", exception, record), in batch order."""
        self.outcomes = []
        workers = min(self.workers, len(self.records)) or 1
        with ThreadPoolExecutor(workers, thread_name_prefix="record") as pool:
            self.outcomes = list(pool.map(self._process_record, self.records))
        self._order_failures()
        return self.outcomes

    def failure_handler(self, record: Any, exception: Any) -> Any:
        """As Powertools', but the outcome keeps the exception itself, not its text."""
        kind, _, record = super().failure_handler(record, exception)
        return kind, exception[1], record

    def fail(self, position: int, error: BaseException) -> None:
        """Report the record at `position` as failed with `error`, though its handler returned."""
        kind, _, record = self.outcomes[position]
        if kind == "fail":
            return
        self.success_messages[:] = [message for message in self.success_messages if message is not record]
        data = self._to_batch_type(record=record, event_type=self.event_type, model=self.model)
        self.outcomes[position] = self.failure_handler(data, (type(error), error, error.__traceback__))
        self._order_failures()

    def _order_failures(self) -> None:
        self.fail_messages[:] = [record for kind, _, record in self.outcomes if kind == "fail"]
