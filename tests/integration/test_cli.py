"""`python -m core`: latest, send and provision print JSON a script can read."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from core.aws import AwsClients
from core.ingest.upload import ingest_upload
from core.ops.cli import main
from core.store.reads import get_event
from tests.factories import counted, ingest_record, jpeg, stream_origin, stream_records


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict[str, Any]]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, json.loads(captured.out if code == 0 else captured.err)


def stream_payloads(aws: AwsClients) -> list[bytes]:
    return [record.data for record in stream_records(aws)]


def test_latest_on_an_empty_store_is_null_with_a_zero_count(
    aws: AwsClients, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(capsys, "latest") == (0, {"latest": None, "recent": [], "last_hour_count": 0})


def test_latest_is_the_newest_event_whatever_its_status_with_its_whole_reason(
    aws: AwsClients, capsys: pytest.CaptureFixture[str]
) -> None:
    now = datetime.now(UTC)
    ingest_upload(aws, jpeg(), "fine.jpg", "stored first", now - timedelta(seconds=5))
    failed = ingest_record(aws, b"not json " + b"x" * 400, stream_origin("1", now))
    counted(aws)
    code, result = run(capsys, "latest")
    assert code == 0 and result["latest"]["event_id"] == failed.event_id
    assert result["latest"]["failure_reason"] == failed.failure_reason
    statuses = [(e["status"], e["description"]) for e in result["recent"]]
    assert statuses == [("failed", ""), ("stored", "stored first")]
    assert result["last_hour_count"] == 2


def test_send_puts_the_exact_wire_payload_count_times(
    aws: AwsClients, capsys: pytest.CaptureFixture[str]
) -> None:
    code, result = run(capsys, "send", "--url", "https://example.com/a.jpg",
                       "--description", "Hello", "--count", "3")
    assert code == 0 and len(result["sent"]) == 3
    expected = b'{"ImageUrl": "https://example.com/a.jpg", "Description": "Hello"}'
    assert stream_payloads(aws) == [expected] * 3


def test_send_5000_to_a_one_shard_stream_is_throttled_and_still_lands_every_record_once(
    aws: AwsClients, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["send", "--url", "https://example.com/a.jpg", "--description", "burst", "--count", "5000"])
    captured = capsys.readouterr()
    result = json.loads(captured.out)
    assert code == 0 and result["throttled"] > 0 and result["resent"] == result["throttled"]
    assert "refused for the shard's write rate" in captured.err
    on_stream = [record.sequence_number for record in stream_records(aws)]
    assert len(on_stream) == len(set(on_stream)) == 5000
    assert set(on_stream) == {record["sequence_number"] for record in result["sent"]}


def test_send_refuses_an_invalid_event_before_sending_in_words_not_a_validation_dump(
    aws: AwsClients, capsys: pytest.CaptureFixture[str]
) -> None:
    code, result = run(capsys, "send", "--url", "file:///etc/passwd", "--description", "x")
    assert code == 1
    assert result == {"error": "ImageUrl: must start with http://, https:// or s3:// (got 'file:')"}
    code, result = run(capsys, "send", "--url", "https://example.com/a.jpg", "--description", " ")
    assert (code, result) == (1, {"error": "Description: must not be blank"})
    assert stream_payloads(aws) == []


def test_a_bad_setting_is_named_with_what_is_wrong(
    aws: AwsClients, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MAX_IMAGE_BYTES", "lots")
    code, result = run(capsys, "latest")
    assert code == 1 and result["error"].startswith("MAX_IMAGE_BYTES: Input should be a valid integer")


def test_failed_lists_failed_events_since_a_time_newest_first_with_full_reasons(
    aws: AwsClients, capsys: pytest.CaptureFixture[str]
) -> None:
    now = datetime.now(UTC)
    for n, hours_ago in enumerate([30, 2, 1]):
        origin = stream_origin(str(n), now - timedelta(hours=hours_ago))
        ingest_record(aws, b"not json " + b"x" * 300, origin)
    ingest_upload(aws, jpeg(), "fine.jpg", "stored, not failed", now)
    counted(aws)  # earlier days are found through the counters
    code, result = run(capsys, "failed", "--since", "3h")
    assert code == 0 and [e["sequence_number"] for e in result["failed"]] == ["2", "1"]
    reason = result["failed"][0]["reason"]
    assert reason == get_event(aws, result["failed"][0]["event_id"]).failure_reason  # type: ignore[union-attr]
    code, result = run(capsys, "failed", "--since", (now - timedelta(days=2)).isoformat())
    assert [e["sequence_number"] for e in result["failed"]] == ["2", "1", "0"]


def test_provision_is_idempotent_and_names_what_it_made(
    aws: AwsClients, capsys: pytest.CaptureFixture[str]
) -> None:
    code, result = run(capsys, "provision")
    assert code == 0 and result["bucket"] == aws.settings.bucket_name
    assert result["log_group"] == "/aws/lambda/image-processor-consumer"


def test_an_unreachable_store_is_a_clear_error_not_a_trace(
    aws: AwsClients, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TABLE_NAME", "no-such-table")
    code, result = run(capsys, "latest")
    assert code == 1 and "no-such-table" in result["error"] and "provision" in result["error"]



def test_an_argument_the_command_line_refuses_is_a_json_error_with_exit_1_not_argparse_usage(
    aws: AwsClients, capsys: pytest.CaptureFixture[str]
) -> None:
    code, result = run(capsys, "failed", "--since", "yesterday")
    assert code == 1
    assert "'yesterday' is neither a duration (30m, 2h, 7d) nor a time" in result["error"]
    assert "python -m core failed --help" in result["error"]
    code, result = run(capsys, "no-such-command")
    assert code == 1 and "invalid choice: 'no-such-command'" in result["error"]


def test_latest_recent_and_failed_write_received_at_the_same_way(
    aws: AwsClients, capsys: pytest.CaptureFixture[str]
) -> None:
    moment = datetime(2026, 11, 25, 8, 0, 1, 687123, tzinfo=UTC)
    ingest_record(aws, b"not json", stream_origin("1", moment))
    counted(aws)
    _, latest = run(capsys, "latest")
    _, failed = run(capsys, "failed", "--since", "2026-11-25T07:00")
    times = {latest["latest"]["received_at"], latest["recent"][0]["received_at"],
             failed["failed"][0]["received_at"]}
    assert times == {"2026-11-25T08:00:01.687Z"}
