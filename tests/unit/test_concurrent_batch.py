"""The batch processor runs records concurrently and still answers the exact batchItemFailures."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools.utilities.batch import process_partial_response
from aws_lambda_powertools.utilities.data_classes.kinesis_stream_event import KinesisStreamRecord

from lambda_consumer.batch import ConcurrentBatchProcessor
from local.event_source.events import StreamSource, lambda_event

SOURCE = StreamSource("arn:aws:kinesis:us-east-1:1:stream/s", "us-east-1", "arn:aws:iam::1:role/r")


def event(count: int) -> dict[str, Any]:
    records = [{"SequenceNumber": str(n), "ApproximateArrivalTimestamp": datetime.now(UTC), "Data": b"x",
                "PartitionKey": "k"} for n in range(1, count + 1)]
    return lambda_event(records, "shardId-000000000000", SOURCE)


def test_failures_are_reported_exactly_and_in_batch_order_whatever_finishes_first() -> None:
    failing = {"2", "5", "7"}
    done = {n: threading.Event() for n in map(str, range(1, 9))}

    def record_handler(record: KinesisStreamRecord) -> str:
        sequence = record.kinesis.sequence_number
        # Records finish in reverse order: each waits for the one after it.
        following = str(int(sequence) + 1)
        if following in done:
            done[following].wait(5)
        done[sequence].set()
        if sequence in failing:
            raise RuntimeError(sequence)
        return sequence

    response = process_partial_response(event(8), record_handler, ConcurrentBatchProcessor(workers=8))
    assert response == {"batchItemFailures": [{"itemIdentifier": s} for s in ("2", "5", "7")]}


def test_records_overlap_up_to_the_worker_count() -> None:
    together = threading.Barrier(4, timeout=5)  # breaks (and fails records) unless 4 run at once

    def record_handler(record: KinesisStreamRecord) -> None:
        together.wait()

    processor = ConcurrentBatchProcessor(workers=4)
    assert process_partial_response(event(8), record_handler, processor) == {"batchItemFailures": []}
    assert [kind for kind, _, _ in processor.outcomes] == ["success"] * 8
