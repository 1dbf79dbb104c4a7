"""Each Lambda log line format parses into the right kind, level, request id and fields."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from core.logs.entries import LogEntry, parse_line
from core.logs.reader import LogFilter

AT = datetime(2026, 11, 25, 7, 0, tzinfo=UTC)
STREAM = "2026/11/25/[$LATEST]abcdef0123456789"
REQUEST = "8f5c2e1a-7b3d-4c1e-9a2f-0123456789ab"


def parse(message: str) -> LogEntry:
    return parse_line(message, AT, STREAM)


def test_start_line_gives_the_request_id() -> None:
    entry = parse(f"START RequestId: {REQUEST} Version: $LATEST\n")
    assert (entry.kind, entry.request_id, entry.level, entry.fields) == ("start", REQUEST, None, {})
    assert entry.message == f"START RequestId: {REQUEST} Version: $LATEST"
    assert (entry.timestamp, entry.log_stream) == (AT, STREAM)


def test_end_line_gives_the_request_id() -> None:
    entry = parse(f"END RequestId: {REQUEST}")
    assert (entry.kind, entry.request_id, entry.level) == ("end", REQUEST, None)


def test_report_line_gives_durations_and_memory_as_numbers() -> None:
    entry = parse(
        f"REPORT RequestId: {REQUEST}\tDuration: 102.25 ms\tBilled Duration: 103 ms\t"
        "Memory Size: 512 MB\tMax Memory Used: 88 MB\tInit Duration: 301.21 ms\t\n"
    )
    assert (entry.kind, entry.request_id, entry.level) == ("report", REQUEST, None)
    assert entry.fields == {
        "duration_ms": 102.25,
        "billed_duration_ms": 103,
        "memory_size_mb": 512,
        "max_memory_used_mb": 88,
        "init_duration_ms": 301.21,
    }
    assert isinstance(entry.fields["billed_duration_ms"], int)


def test_report_line_of_a_warm_start_has_no_init_duration() -> None:
    entry = parse(
        f"REPORT RequestId: {REQUEST}\tDuration: 4 ms\tBilled Duration: 4 ms\t"
        "Memory Size: 512 MB\tMax Memory Used: 90 MB"
    )
    assert "init_duration_ms" not in entry.fields
    assert entry.fields["duration_ms"] == 4.0 and isinstance(entry.fields["duration_ms"], float)


def test_powertools_json_line_gives_level_request_event_and_all_fields() -> None:
    document = {
        "level": "INFO",
        "location": "handler:12",
        "message": "record processed",
        "timestamp": "2026-11-25 07:00:00,123+0000",
        "service": "image-processor",
        "function_request_id": REQUEST,
        "event_id": "abc",
        "status": "stored",
    }
    entry = parse(json.dumps(document))
    assert (entry.kind, entry.level, entry.request_id, entry.event_id) == ("json", "INFO", REQUEST, "abc")
    assert entry.fields == document


@pytest.mark.parametrize("key", ["request_id", "requestId"])
def test_json_line_takes_the_request_id_under_other_common_names(key: str) -> None:
    entry = parse(json.dumps({"level": "ERROR", key: REQUEST, "message": "boom"}))
    assert (entry.request_id, entry.level, entry.event_id) == (REQUEST, "ERROR", None)


def test_unhandled_exception_json_from_the_runtime_counts_as_error() -> None:
    entry = parse(json.dumps({"errorMessage": "boom", "errorType": "KeyError", "requestId": REQUEST}))
    assert (entry.kind, entry.level, entry.request_id) == ("json", "ERROR", REQUEST)


def test_lambda_plain_text_line_gives_level_and_request_id() -> None:
    entry = parse(f"2026-11-25T07:00:00.123Z\t{REQUEST}\tINFO\tfetched 2048 bytes")
    assert (entry.kind, entry.level, entry.request_id) == ("text", "INFO", REQUEST)


def test_python_runtime_text_line_gives_level_and_request_id() -> None:
    entry = parse(f"[WARNING]\t2026-11-25T07:00:00.123Z\t{REQUEST}\tslow fetch")
    assert (entry.kind, entry.level, entry.request_id) == ("text", "WARNING", REQUEST)


@pytest.mark.parametrize("message", ["plain words", "{not json", "[1, 2]", '{"unterminated": ', ""])
def test_anything_else_is_text_without_level(message: str) -> None:
    entry = parse(message)
    assert (entry.kind, entry.level, entry.request_id, entry.event_id, entry.fields) == (
        "text",
        None,
        None,
        None,
        {},
    )
    assert entry.message == message


# What CloudWatch is asked to filter, and what we keep ------------------------------------------------

@pytest.mark.parametrize(("filters", "pattern"), [
    (LogFilter(), ""),
    (LogFilter(level="WARNING"), '"WARN"'),  # WARN and WARNING lines both carry the term
    (LogFilter(level="error"), '?"ERROR" ?"errorType" ?"Task timed out"'),
    (LogFilter(level="INFO", search="ev-1"), '"ev-1"'),  # one term: the narrowest, the level stays ours
    (LogFilter(search='say "hi"'), ""),  # a quote cannot be sent inside a quoted term: filtered here only
    (LogFilter(contains="Cat"), ""),  # terms are case-sensitive: a case-insensitive search stays ours
])
def test_cloudwatch_is_sent_one_term_at_most(filters: LogFilter, pattern: str) -> None:
    assert filters.pattern() == pattern


def test_levels_have_one_spelling_whatever_the_line_wrote() -> None:
    assert parse(f"2026-11-25T07:00:00.123Z\t{REQUEST}\tWARN\tslow").level == "WARNING"
    assert parse(json.dumps({"level": "warning", "message": "m"})).level == "WARNING"
    assert LogFilter(level="Warning").keeps(parse(json.dumps({"level": "WARN", "message": "m"})))


def test_a_failed_records_line_gives_its_reason_status_and_duration() -> None:
    line = json.dumps({"level": "WARNING", "message": "record processed", "event_id": "e1",
                       "status": "failed", "reason": "Not an image: text/plain", "duration_ms": 41.5})
    entry = parse(line)
    assert (entry.summary, entry.status, entry.reason, entry.duration_ms) == (
        "record processed", "failed", "Not an image: text/plain", 41.5)
    assert entry.has_text("TEXT/PLAIN") and not entry.has_text("duration_ms")
