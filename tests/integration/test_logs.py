"""Reading the consumer's log group: time window, paging, our own filters, a group not there yet."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import pytest

from core.aws import AwsClients
from core.errors import StoreUnavailable
from core.logs import LogEntry, read_logs
from tests.awscalls import FailCalls

if TYPE_CHECKING:
    from mypy_boto3_logs.type_defs import InputLogEventTypeDef

STREAM = "2026/11/25/[$LATEST]abcdef0123456789"
REQUEST = "8f5c2e1a-7b3d-4c1e-9a2f-0123456789ab"
# Recent enough for CloudWatch Logs to accept, whole milliseconds so timestamps compare exactly.
T0 = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=30)


def put_lines(aws: AwsClients, lines: list[str], stream: str = STREAM, start: datetime = T0) -> None:
    """One line per millisecond from `start`, as Lambda writes them into its log stream."""
    group = aws.settings.consumer_log_group
    aws.logs.create_log_stream(logGroupName=group, logStreamName=stream)
    at = int(start.timestamp() * 1000)
    events: list[InputLogEventTypeDef] = [
        {"timestamp": at + n, "message": line} for n, line in enumerate(lines)
    ]
    aws.logs.put_log_events(logGroupName=group, logStreamName=stream, logEvents=events)


def read(aws: AwsClients, **options: Any) -> list[LogEntry]:
    options.setdefault("start", T0 - timedelta(minutes=1))
    options.setdefault("end", T0 + timedelta(minutes=1))
    return read_logs(aws, aws.settings.consumer_log_group, **options)


def count_calls(aws: AwsClients) -> list[dict[str, Any]]:
    calls: list[dict[str, Any]] = []
    aws.logs.meta.events.register(
        "before-parameter-build.logs.FilterLogEvents", lambda params, **_: calls.append(dict(params))
    )
    return calls


def json_line(level: str, message: str) -> str:
    return json.dumps({"level": level, "message": message, "function_request_id": REQUEST})


def test_one_invocation_reads_back_oldest_first_with_every_line_kind(aws: AwsClients) -> None:
    put_lines(
        aws,
        [
            f"START RequestId: {REQUEST} Version: $LATEST",
            json_line("INFO", "record processed"),
            f"2026-11-25T07:00:00.123Z\t{REQUEST}\tWARN\tslow",
            "plain text",
            f"END RequestId: {REQUEST}",
            f"REPORT RequestId: {REQUEST}\tDuration: 102.25 ms\tBilled Duration: 103 ms\t"
            "Memory Size: 512 MB\tMax Memory Used: 88 MB",
        ],
    )
    entries = read(aws)
    assert [e.kind for e in entries] == ["start", "json", "text", "text", "end", "report"]
    assert [e.request_id for e in entries] == [REQUEST, REQUEST, REQUEST, None, REQUEST, REQUEST]
    assert entries[0].timestamp == T0 and entries[0].timestamp.tzinfo is not None
    assert entries[-1].fields["max_memory_used_mb"] == 88
    assert {e.log_stream for e in entries} == {STREAM}


def test_streams_of_several_instances_merge_by_time(aws: AwsClients) -> None:
    put_lines(aws, ["b1", "b2"], stream="2026/11/25/[$LATEST]bbbb", start=T0 + timedelta(seconds=1))
    put_lines(aws, ["a1", "a2"], stream="2026/11/25/[$LATEST]aaaa", start=T0)
    assert [e.message for e in read(aws)] == ["a1", "a2", "b1", "b2"]


def test_only_lines_inside_the_time_window_come_back(aws: AwsClients) -> None:
    put_lines(aws, [f"line {n}" for n in range(10)])
    entries = read(aws, start=T0 + timedelta(milliseconds=3), end=T0 + timedelta(milliseconds=6))
    assert [e.message for e in entries] == ["line 3", "line 4", "line 5", "line 6"]


def test_next_token_is_followed_across_pages(aws: AwsClients) -> None:
    put_lines(aws, [f"line {n}" for n in range(150)])
    calls = count_calls(aws)
    entries = read(aws, page_size=40)
    assert [e.message for e in entries] == [f"line {n}" for n in range(150)]
    assert len(calls) == 4 and "nextToken" not in calls[0] and all("nextToken" in c for c in calls[1:])


def test_paging_stops_as_soon_as_the_limit_is_reached(aws: AwsClients) -> None:
    put_lines(aws, [f"line {n}" for n in range(150)])
    calls = count_calls(aws)
    entries = read(aws, limit=50, page_size=40)
    assert [e.message for e in entries] == [f"line {n}" for n in range(50)]
    assert [c["limit"] for c in calls] == [40, 10]


def test_level_filter_is_ours_since_the_emulator_ignores_json_patterns(aws: AwsClients) -> None:
    put_lines(
        aws,
        [
            json_line("INFO", "fine"),
            json_line("ERROR", "broken"),
            "ERROR in plain text",
            json_line("error", "also broken"),
        ],
    )
    pattern = '{ $.level = "ERROR" }'
    assert len(read(aws, filter_pattern=pattern)) == 4  # the emulator excluded nothing
    entries = read(aws, filter_pattern=pattern, level="Error")
    assert [e.fields["message"] for e in entries] == ["broken", "also broken"]


def test_level_filter_pages_on_until_it_has_enough_matches(aws: AwsClients) -> None:
    put_lines(aws, [json_line("ERROR" if n % 10 == 0 else "INFO", f"m{n}") for n in range(100)])
    calls = count_calls(aws)
    entries = read(aws, level="ERROR", limit=5, page_size=20)
    assert [e.fields["message"] for e in entries] == ["m0", "m10", "m20", "m30", "m40"]
    assert len(calls) == 3 and {c["limit"] for c in calls} == {20}


def test_contains_filter_matches_any_case_of_the_message(aws: AwsClients) -> None:
    put_lines(aws, ["Fetched cat.PNG", "fetched dog.jpg", json_line("INFO", "stored CAT.png")])
    entries = read(aws, contains="cat.png")
    assert [e.message for e in entries] == ["Fetched cat.PNG", json_line("INFO", "stored CAT.png")]


def test_plain_filter_pattern_is_passed_to_the_service(aws: AwsClients) -> None:
    put_lines(aws, ["fetch failed", "stored", "thumbnail failed"])
    assert [e.message for e in read(aws, filter_pattern='"failed"')] == ["fetch failed", "thumbnail failed"]


def test_missing_log_group_reads_as_no_lines_yet(aws: AwsClients) -> None:
    aws.logs.delete_log_group(logGroupName=aws.settings.consumer_log_group)
    assert read(aws) == []


def test_throttled_reads_raise_store_unavailable(aws: AwsClients) -> None:
    FailCalls(aws, "logs", "FilterLogEvents", "ThrottlingException", times=1_000)
    with pytest.raises(StoreUnavailable, match="ThrottlingException"):
        read(aws)
