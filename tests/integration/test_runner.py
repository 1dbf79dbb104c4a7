"""The local event source against the emulator: delivery, Lambda's log lines, redelivery from the
first failed record, and giving up to the on-failure queue so the shard moves on. The function runs in
its own process, so the store failures are injected there (tests/event_source_handlers.py)."""

from __future__ import annotations

import json
import re
import time
from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests

from core.aws import AwsClients
from core.logs.entries import LogEntry
from core.logs.reader import read_logs
from core.models import EventStatus
from core.ops.health import consumer_lag_seconds
from core.store.reads import get_event, last_hour_count, latest_event
from core.stream.producer import SentRecord
from local.event_source.runner import EventSourceConfig, LocalEventSource
from tests.factories import counted, event_id, expect_stored, image_event, jpeg_in_bucket, put_on_stream

STREAM_NAME = re.compile(r"^\d{4}/\d\d/\d\d/\[\$LATEST\][0-9a-f]{32}$")
HANDLERS = "tests.event_source_handlers"


def runner_for(aws: AwsClients, handler: str = "lambda_consumer.handler.handler") -> LocalEventSource:
    config = EventSourceConfig.from_template(aws.settings, starting_position="TRIM_HORIZON",
                                             poll_seconds=0.05, maximum_retry_attempts=2, handler=handler)
    return LocalEventSource(aws, config)


@pytest.fixture()
def runner(aws: AwsClients) -> Iterator[LocalEventSource]:
    source = runner_for(aws)
    yield source
    source.stop()


def send_images(aws: AwsClients, count: int, descriptions: list[str] | None = None) -> list[SentRecord]:
    urls = [jpeg_in_bucket(aws, f"r{i}", (i * 50, 100, 150)) for i in range(count)]
    texts = descriptions or ["Test image event from Kinesis"] * count
    return put_on_stream(aws, [image_event(url, text) for url, text in zip(urls, texts, strict=True)])


def logs(aws: AwsClients) -> list[LogEntry]:
    """The consumer's lines in the order it wrote them (read_logs gives the newest first)."""
    now = datetime.now(UTC)
    group = aws.settings.consumer_log_group
    return read_logs(aws, group, now - timedelta(minutes=5), now + timedelta(minutes=1))[::-1]


def delivered_sequences(aws: AwsClients) -> list[list[str]]:
    """The sequence numbers each invocation was given, in invocation order, from the record log lines."""
    by_request: dict[str, list[str]] = defaultdict(list)
    for entry in logs(aws):
        if entry.kind == "start":
            by_request[entry.request_id or ""] = []
        elif entry.fields.get("message") == "record processed" or entry.fields.get("status") == "retry":
            by_request[entry.request_id or ""].append(entry.fields["sequence_number"])
    return [sorted(sequences, key=int) for sequences in by_request.values()]


def failure_messages(aws: AwsClients) -> list[dict[str, Any]]:
    url = aws.sqs.get_queue_url(QueueName=aws.settings.failure_queue_name)["QueueUrl"]
    answer = aws.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0)
    return [json.loads(message["Body"]) for message in answer.get("Messages", [])]


def test_records_are_delivered_with_lambdas_log_lines(aws: AwsClients, runner: LocalEventSource) -> None:
    sent = send_images(aws, 2)
    assert runner.poll_once() == 2
    assert last_hour_count(counted(aws)) == 2 and latest_event(counted(aws)) is not None
    entries = logs(aws)
    # two records, the batch's summary, the batch's metrics (EMF), then Lambda's own lines
    assert [e.kind for e in entries] == ["start", "json", "json", "json", "json", "end", "report"]
    assert len({e.request_id for e in entries}) == 1 and all(STREAM_NAME.match(e.log_stream) for e in entries)
    line = next(e for e in entries if e.event_id == event_id(sent[0]))
    assert line.fields | {"duration_ms": 0} == line.fields | {
        "status": "stored", "reason": "", "shard": sent[0].shard_id,
        "sequence_number": sent[0].sequence_number, "duration_ms": 0,
    }
    assert entries[3].fields["message"] == "batch processed" and entries[3].fields["stored"] == 2
    assert entries[4].fields["message"] == "batch metrics" and entries[4].fields["EventsStored"] == [2.0]
    assert {"duration_ms", "memory_size_mb", "init_duration_ms"} <= set(entries[-1].fields)


def test_the_runner_publishes_iterator_age_where_health_reads_lag(
    aws: AwsClients, runner: LocalEventSource
) -> None:
    assert consumer_lag_seconds(aws) is None
    send_images(aws, 1)
    runner.poll_once()
    lag = consumer_lag_seconds(aws)
    assert lag is not None and 0 <= lag < 60


def test_a_failed_record_is_redelivered_from_its_sequence_number(aws: AwsClients) -> None:
    first, flaky, last = send_images(aws, 3, ["first", "flaky", "last"])
    runner = runner_for(aws, f"{HANDLERS}.flaky_writes")
    runner.poll_once()
    runner.poll_once()
    assert delivered_sequences(aws) == [
        [first.sequence_number, flaky.sequence_number, last.sequence_number],
        [flaky.sequence_number, last.sequence_number],
    ]
    assert all(expect_stored(aws, r).status is EventStatus.STORED for r in (first, flaky, last))
    assert last_hour_count(counted(aws)) == 3
    assert runner.poll_once() == 0 and failure_messages(aws) == []
    runner.stop()


def test_a_record_that_keeps_failing_goes_to_the_on_failure_queue_and_the_shard_moves_on(
    aws: AwsClients,
) -> None:
    first, stuck, last = send_images(aws, 3, ["first", "stuck", "last"])
    runner = runner_for(aws, f"{HANDLERS}.stuck_writes")
    for _ in range(3):
        runner.poll_once()
    (message,) = failure_messages(aws)
    batch = message["KinesisBatchInfo"]
    assert (batch["shardId"], batch["startSequenceNumber"], batch["endSequenceNumber"]) == (
        stuck.shard_id, stuck.sequence_number, last.sequence_number)
    assert batch["batchSize"] == 2
    assert batch["streamArn"].endswith(f":stream/{aws.settings.stream_name}")
    assert message["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert message["requestContext"]["approximateInvokeCount"] == 3
    (later,) = send_images(aws, 1)
    assert runner.poll_once() == 1
    assert get_event(aws, event_id(later)) is not None and get_event(aws, event_id(stuck)) is None
    assert get_event(aws, event_id(first)) is not None
    runner.stop()


def test_a_batch_that_fails_entirely_is_logged_as_a_function_error(aws: AwsClients) -> None:
    send_images(aws, 1, ["stuck"])
    runner = runner_for(aws, f"{HANDLERS}.stuck_writes")
    runner.poll_once()
    runner.stop()
    errors = [e for e in logs(aws) if e.fields.get("errorType") == "BatchProcessingError"]
    assert len(errors) == 3 and all(e.level == "ERROR" and e.request_id for e in errors)
    (message,) = failure_messages(aws)
    assert message["responseContext"]["functionError"] == "Unhandled"


def test_the_background_runner_stores_a_new_record_within_seconds(aws: AwsClients) -> None:
    runner = LocalEventSource(aws, EventSourceConfig.from_template(aws.settings, poll_seconds=0.05))
    runner.start()
    try:
        (record,) = send_images(aws, 1)
        deadline = time.monotonic() + 5
        while get_event(aws, event_id(record)) is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert get_event(aws, event_id(record)) is not None
        assert runner.wait_until_caught_up(5)
    finally:
        runner.stop()


def test_the_event_source_reads_a_shard_at_most_5_times_a_second_as_lambda_does(
    aws: AwsClients, moto_endpoint: str
) -> None:
    send_images(aws, 12)
    config = EventSourceConfig.from_template(aws.settings, starting_position="TRIM_HORIZON", batch_size=1,
                                             poll_seconds=0.05)
    runner = LocalEventSource(aws, config)
    delivered = sum(runner.poll_once() for _ in range(12))
    assert delivered == 12
    assert requests.get(f"{moto_endpoint}/_local/state", timeout=10).json()["kinesis"]["throttled"] == 0
