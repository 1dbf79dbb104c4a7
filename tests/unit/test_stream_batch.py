"""The consumer's batch processor: the whole batch goes to the batch service at once, and each record's
outcome becomes Powertools' exact batchItemFailures."""

from __future__ import annotations

import base64
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import pytest
from aws_lambda_powertools.utilities.batch import process_partial_response

from core.errors import InvalidEvent, StoreUnavailable
from core.ingest.batch import Job, Outcome
from lambda_consumer.batch import StreamBatchProcessor
from local.event_source.events import StreamSource, lambda_event
from tests.factories import image_event, lambda_context

SOURCE = StreamSource("arn:aws:kinesis:us-east-1:1:stream/s", "us-east-1", "arn:aws:iam::1:role/r")


def event(payloads: Sequence[bytes]) -> dict[str, Any]:
    records = [{"SequenceNumber": str(n), "ApproximateArrivalTimestamp": datetime.now(UTC), "Data": data,
                "PartitionKey": "k"} for n, data in enumerate(payloads, start=1)]
    return lambda_event(records, "shardId-000000000000", SOURCE)


def test_failures_are_reported_exactly_and_in_batch_order() -> None:
    failing = {"2", "5", "7"}

    def run_batch(jobs: Sequence[Job]) -> list[Outcome]:
        # Outcomes in batch order, as the service returns them, whatever order the work finished in.
        busy = StoreUnavailable("busy")
        return [Outcome(job, error=busy if job.origin.sequence_number in failing else None) for job in jobs]

    processor = StreamBatchProcessor(run_batch)
    response = process_partial_response(event([b"{}"] * 8), processor.outcome_of, processor, lambda_context())
    assert response == {"batchItemFailures": [{"itemIdentifier": s} for s in ("2", "5", "7")]}


def test_the_whole_batch_goes_to_the_service_once_as_jobs_in_batch_order() -> None:
    calls: list[list[Job]] = []

    def run_batch(jobs: Sequence[Job]) -> list[Outcome]:
        calls.append(list(jobs))
        return [Outcome(job) for job in jobs]

    payloads = [image_event("s3://bucket/a.jpg", "first"), b"not json", image_event("s3://bucket/b.jpg")]
    lambda_batch = event(payloads)
    lambda_batch["Records"][1]["kinesis"]["data"] = base64.b64encode(b"not json").decode()
    processor = StreamBatchProcessor(run_batch)
    process_partial_response(lambda_batch, processor.outcome_of, processor, lambda_context())

    (jobs,) = calls
    assert [job.origin.sequence_number for job in jobs] == ["1", "2", "3"]
    assert [(job.image_url, job.description) for job in (jobs[0], jobs[2])] == [
        ("s3://bucket/a.jpg", "first"), ("s3://bucket/b.jpg", "Test image event from Kinesis")]
    assert isinstance(jobs[1].rejected, InvalidEvent)
    assert len({job.origin.event_id for job in jobs}) == 3


def test_data_that_is_not_base64_is_a_rejected_job_not_a_crash() -> None:
    seen: list[Job] = []

    def run_batch(jobs: Sequence[Job]) -> list[Outcome]:
        seen.extend(jobs)
        return [Outcome(job) for job in jobs]

    lambda_batch = event([b"{}"])
    lambda_batch["Records"][0]["kinesis"]["data"] = "%%% not base64 %%%"
    processor = StreamBatchProcessor(run_batch)
    assert process_partial_response(lambda_batch, processor.outcome_of, processor, lambda_context()) == {
        "batchItemFailures": []}
    assert "not base64" in str(seen[0].rejected)


def test_a_store_failure_before_any_work_fails_the_whole_invocation() -> None:
    def run_batch(jobs: Sequence[Job]) -> list[Outcome]:
        raise StoreUnavailable("the kept events could not be looked up")

    processor = StreamBatchProcessor(run_batch)
    with pytest.raises(StoreUnavailable):
        process_partial_response(event([b"{}"]), processor.outcome_of, processor, lambda_context())
