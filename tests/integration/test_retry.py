"""Retrying a failed event (`python -m core retry`): an image host that answers 503, then recovers."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from core.aws import AwsClients
from core.models import EventStatus, FailureKind, StoredEvent
from core.ops.cli import main
from core.store.reads import get_event, last_hour_minutes
from core.store.writes import put_events, replace_failed
from lambda_consumer import handler as consumer
from tests import factories as make
from tests.factories import ingest_record
from tests.hosts import RecoveringHost, recovering_host

pytestmark = pytest.mark.usefixtures("handler_aws")
@pytest.fixture()
def host(monkeypatch: pytest.MonkeyPatch) -> Iterator[RecoveringHost]:
    monkeypatch.setenv("ALLOW_LOOPBACK_FETCH", "true")  # the CLI builds its settings from the environment
    with recovering_host() as server:
        yield server


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict[str, Any]]:
    capsys.readouterr()  # leave out what ran before: the consumer's log and metric lines
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, json.loads(captured.out if code == 0 else captured.err)


def consumed(aws: AwsClients, url: str) -> StoredEvent:
    """The event the consumer keeps for a record pointing at `url`."""
    (record,), event = make.put_and_read_back(aws, [make.image_event(url, "a photo")])
    assert consumer.handler(event, make.lambda_context()) == {"batchItemFailures": []}
    return make.expect_stored(aws, record)


def counts(aws: AwsClients) -> tuple[int, int]:
    """Events and failures of the last hour, once the aggregator has counted every change."""
    minutes = last_hour_minutes(make.counted(aws))
    return sum(m.events for m in minutes), sum(m.failed for m in minutes)


def test_a_503_is_kept_as_retryable_and_retry_stores_it_counted_once(
    aws: AwsClients, host: RecoveringHost, capsys: pytest.CaptureFixture[str]
) -> None:
    failed = consumed(aws, host.url)
    assert (failed.status, failed.failure_kind) == (EventStatus.FAILED, FailureKind.RETRYABLE)
    assert failed.failure_reason == (
        f"{host.url} answered 503 Service Unavailable; the source may recover: retry with "
        f"`python -m core retry {failed.event_id}` or the Gallery's Retry button")
    assert counts(aws) == (1, 1)

    code, result = run(capsys, "retry", failed.event_id)

    assert code == 0 and result["retried"]["status"] == "stored"
    kept = get_event(aws, failed.event_id)
    assert kept is not None and kept.status is EventStatus.STORED and kept.failure_reason is None
    assert (kept.received_at, kept.width, kept.request_id) == (failed.received_at, 120, "retry")
    assert counts(aws) == (1, 0)  # one event, moved from failed to stored
    assert counts(aws) == (1, 0)  # and counted once however often the aggregator looks


def test_a_retry_that_meets_the_outage_again_stays_retryable_and_counted_once(
    aws: AwsClients, host: RecoveringHost, capsys: pytest.CaptureFixture[str]
) -> None:
    host.failures = 2
    failed = consumed(aws, host.url)
    code, result = run(capsys, "retry", failed.event_id)
    again = result["retried"]
    assert code == 0 and (again["status"], again["failure_kind"]) == ("failed", "retryable")
    assert counts(aws) == (1, 1)


def test_retry_refuses_a_stored_a_permanent_and_a_missing_event_saying_why(
    aws: AwsClients, host: RecoveringHost, capsys: pytest.CaptureFixture[str]
) -> None:
    host.failures = 0
    stored = consumed(aws, host.url)
    missing_image = f"s3://{aws.settings.bucket_name}/nowhere.jpg"
    permanent = ingest_record(aws, make.image_event(missing_image), make.stream_origin("7"))

    assert run(capsys, "retry", stored.event_id) == (
        1, {"error": f"Event {stored.event_id} is stored already; there is nothing to retry"})
    code, result = run(capsys, "retry", permanent.event_id)
    cannot_help = f"Event {permanent.event_id} failed for good, so trying again cannot help: {missing_image}"
    assert code == 1 and result["error"].startswith(f"{cannot_help} does not exist")
    code, result = run(capsys, "retry", "0" * 32)
    assert code == 1 and result["error"].startswith(f"There is no event {'0' * 32}: check the id")
    assert host.asked == 1  # no refused retry fetched anything


def test_a_stored_event_is_never_written_over_by_a_late_retry(aws: AwsClients, host: RecoveringHost) -> None:
    host.failures = 0
    stored = consumed(aws, host.url)
    late = stored.model_copy(update={"status": EventStatus.FAILED, "failure_reason": "503",
                                     "failure_kind": FailureKind.RETRYABLE})
    assert replace_failed(aws, late) is False
    assert get_event(aws, stored.event_id) == stored


def test_a_retry_stored_over_a_long_failure_keeps_none_of_its_old_detail(aws: AwsClients) -> None:
    origin = make.stream_origin("8")
    failed = StoredEvent(event_id=origin.event_id, received_at=origin.received_at, source=origin.source,
                         status=EventStatus.FAILED, image_url="s3://bucket/photo.jpg", description="a photo",
                         failure_reason="the source is down; " * 50, failure_kind=FailureKind.RETRYABLE)
    put_events(aws, [failed])
    assert get_event(aws, failed.event_id) == failed  # its long reason went to a detail item
    url = make.jpeg_in_bucket(aws, "photo", "olive")
    stored = ingest_record(aws, make.image_event(url, "a photo"), make.stream_origin("9"))
    assert replace_failed(aws, stored.model_copy(update={"event_id": failed.event_id})) is True
    kept = get_event(aws, failed.event_id)
    assert kept is not None and (kept.status, kept.failure_reason, kept.failure_kind) == (
        EventStatus.STORED, None, None)
