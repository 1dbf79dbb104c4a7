"""The local event source keeps Lambda's terms, read from infra/template.yaml: batch size, starting
position, retries, bisect on error, and the function's timeout, which it enforces by stopping the
function's process, as Lambda stops an execution environment."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import requests

from core.aws import AwsClients
from core.clock import now
from core.logs.entries import LogEntry
from core.logs.reader import read_logs
from core.models import EventStatus
from local.event_source.runner import EventSourceConfig, LocalEventSource
from local.template import TEMPLATE
from tests import factories as make


def config(aws: AwsClients, **changes: Any) -> EventSourceConfig:
    return EventSourceConfig.from_template(aws.settings, starting_position="TRIM_HORIZON", poll_seconds=0.05,
                                           **changes)


def drain(source: LocalEventSource, rounds: int = 200) -> None:
    """Poll until a round finds nothing to deliver and no record waits for a retry."""
    for _ in range(rounds):
        if not source.poll_once() and not source.reader.retrying():
            return
    pytest.fail("the event source did not catch up")


def logs(aws: AwsClients) -> list[LogEntry]:
    group = aws.settings.consumer_log_group
    return read_logs(aws, group, now() - timedelta(hours=1), now() + timedelta(minutes=1))


def given_up(aws: AwsClients) -> list[dict[str, Any]]:
    url = aws.sqs.get_queue_url(QueueName=aws.settings.failure_queue_name)["QueueUrl"]
    messages = aws.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
    return [json.loads(message["Body"]) for message in messages]


def test_the_settings_come_from_the_template(tmp_path: Path, aws: AwsClients) -> None:
    text = TEMPLATE.read_text()
    text = re.sub(r"(  BatchSize:\n    Type: Number\n    Default: )100", r"\g<1>7", text)
    text = re.sub(r"(  MaximumRetryAttempts:\n    Type: Number\n    Default: )5", r"\g<1>2", text)
    text = re.sub(r"(  StartingPosition:\n    Type: String\n    Default: )LATEST", r"\g<1>TRIM_HORIZON", text)
    text = text.replace("      Timeout: 300\n", "      Timeout: 9\n")
    changed = tmp_path / "template.yaml"
    changed.write_text(text)
    taken = EventSourceConfig.from_template(aws.settings, path=changed)
    assert (taken.batch_size, taken.maximum_retry_attempts, taken.starting_position,
            taken.timeout_seconds) == (7, 2, "TRIM_HORIZON", 9)
    deployed = EventSourceConfig.from_template(aws.settings)
    assert (deployed.batch_size, deployed.maximum_retry_attempts,
            deployed.starting_position) == (100, 5, "LATEST")
    assert deployed.bisect_on_error and deployed.timeout_seconds == 300 and deployed.memory_mb == 1024


def test_latest_skips_what_was_on_the_stream_before_the_source_started(aws: AwsClients) -> None:
    before = make.put_on_stream(aws, [make.image_event(make.jpeg_in_bucket(aws, "before", "red"), "before")])
    source = LocalEventSource(aws, replace(config(aws), starting_position="LATEST"))
    source.start()
    try:
        image = make.jpeg_in_bucket(aws, "after", "blue")
        after = make.put_on_stream(aws, [make.image_event(image, "after")])
        assert source.wait_until_caught_up(30)
    finally:
        source.stop()
    assert make.stored(aws, before[0]) is None
    assert make.expect_stored(aws, after[0]).status is EventStatus.STORED


def test_the_function_is_stopped_at_its_timeout_and_the_next_invocation_starts_cold(aws: AwsClients) -> None:
    source = LocalEventSource(aws, config(aws, handler="tests.event_source_handlers.sleepy",
                                          timeout_seconds=2, maximum_retry_attempts=0))
    make.put_on_stream(aws, [b"sleep"])
    try:
        drain(source)
        good = make.put_on_stream(aws, [make.image_event(make.jpeg_in_bucket(aws, "good", "green"), "good")])
        drain(source)
    finally:
        source.stop()
    lines = [entry.message for entry in logs(aws)]
    assert any(re.search(r"Task timed out after 2\.00 seconds", line) for line in lines)
    reports = [line for line in lines if line.startswith("REPORT")]
    assert len(reports) == 2 and all("Init Duration" in report for report in reports)  # both cold
    assert [m["requestContext"]["condition"] for m in given_up(aws)] == ["RetryAttemptsExhausted"]
    assert make.expect_stored(aws, good[0]).description == "good"


def test_a_failing_batch_is_split_until_the_bad_record_is_alone(aws: AwsClients) -> None:
    payloads = [make.image_event(make.jpeg_in_bucket(aws, f"ok{i}", "teal"), f"ok {i}") for i in range(3)]
    sent = make.put_on_stream(aws, [payloads[0], b"poison", payloads[1], payloads[2]])
    source = LocalEventSource(aws, config(aws, handler="tests.event_source_handlers.poisoned",
                                          maximum_retry_attempts=1))
    try:
        drain(source)
    finally:
        source.stop()
    stored = [make.stored(aws, record) for record in sent]
    assert [event is not None for event in stored] == [True, False, True, True]
    (message,) = given_up(aws)
    batch = message["KinesisBatchInfo"]
    assert batch["startSequenceNumber"] == batch["endSequenceNumber"] == sent[1].sequence_number
    assert batch["batchSize"] == 1


def test_a_record_is_retried_as_often_as_the_template_says_then_given_up(aws: AwsClients) -> None:
    sent = make.put_on_stream(aws, [b"anything"])
    source = LocalEventSource(aws, config(aws, handler="tests.event_source_handlers.never_done"))
    try:
        drain(source)
    finally:
        source.stop()
    starts = [entry for entry in logs(aws) if entry.kind == "start"]
    assert len(starts) == 1 + source.config.maximum_retry_attempts == 6  # the template's 5 retries
    (message,) = given_up(aws)
    assert message["KinesisBatchInfo"]["startSequenceNumber"] == sent[0].sequence_number
    assert message["requestContext"]["approximateInvokeCount"] == 6


def test_the_function_runs_as_the_consumer_role_and_needs_nothing_more(
    aws: AwsClients, moto_endpoint: str
) -> None:
    missing = f"s3://{aws.settings.bucket_name}/nope.jpg"
    image = make.jpeg_in_bucket(aws, "role", "navy")
    payloads = [make.image_event(image, "role"), b"not json", make.image_event(missing, "x")]
    sent = make.put_on_stream(aws, payloads)
    source = LocalEventSource(aws, config(aws))
    try:
        drain(source)
    finally:
        source.stop()
    assert [make.expect_stored(aws, record).status for record in sent] == [
        EventStatus.STORED, EventStatus.FAILED, EventStatus.FAILED]
    assert "does not exist" in (make.expect_stored(aws, sent[2]).failure_reason or "")  # ListBucket: a 404
    assert requests.get(f"{moto_endpoint}/_local/state", timeout=10).json()["denials"] == []
