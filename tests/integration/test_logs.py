"""Reading the consumer's log group: newest first without reading the whole window, what CloudWatch is
asked to filter and what we filter, paging, a group not there yet."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import pytest

from core.aws import AwsClients
from core.errors import StoreUnavailable
from core.logs.entries import LogEntry
from core.logs.reader import LogFilter, read_logs
from tests.awscalls import FailCalls

if TYPE_CHECKING:
    from mypy_boto3_logs.type_defs import InputLogEventTypeDef

STREAM = "2026/11/25/[$LATEST]abcdef0123456789"
REQUEST = "8f5c2e1a-7b3d-4c1e-9a2f-0123456789ab"
# Recent enough for CloudWatch Logs to accept, whole milliseconds so timestamps compare exactly.
T0 = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=30)


def put_lines(aws: AwsClients, lines: list[str], stream: str = STREAM, start: datetime = T0,
              step: timedelta = timedelta(milliseconds=1)) -> None:
    """One line every `step` from `start`, as Lambda writes them into its log stream."""
    group = aws.settings.consumer_log_group
    aws.logs.create_log_stream(logGroupName=group, logStreamName=stream)
    at, every = int(start.timestamp() * 1000), int(step / timedelta(milliseconds=1))
    events: list[InputLogEventTypeDef] = [
        {"timestamp": at + n * every, "message": line} for n, line in enumerate(lines)
    ]
    for first in range(0, len(events), 10_000):  # PutLogEvents takes at most 10,000 events
        batch = events[first:first + 10_000]
        aws.logs.put_log_events(logGroupName=group, logStreamName=stream, logEvents=batch)


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


def json_line(level: str, message: str, **fields: Any) -> str:
    return json.dumps({"level": level, "message": message, "function_request_id": REQUEST, **fields})


def record_line(n: int, status: str = "stored") -> str:
    """The consumer's per-record line; a failed record is logged at WARNING."""
    level = "WARNING" if status == "failed" else "INFO"
    reason = "Not an image" if status == "failed" else ""
    return json_line(level, "record processed", event_id=f"ev-{n:05d}", status=status, reason=reason,
                     duration_ms=12.5)


def test_one_invocation_reads_back_newest_first_with_every_line_kind(aws: AwsClients) -> None:
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
    assert [e.kind for e in entries] == ["report", "end", "text", "text", "json", "start"]
    assert [e.request_id for e in entries] == [REQUEST, REQUEST, None, REQUEST, REQUEST, REQUEST]
    assert entries[-1].timestamp == T0 and entries[-1].timestamp.tzinfo is not None
    assert entries[0].fields["max_memory_used_mb"] == 88 and entries[0].duration_ms == 102.25
    assert entries[3].level == "WARNING"  # WARN and WARNING are one level
    assert {e.log_stream for e in entries} == {STREAM}


def test_streams_of_several_instances_merge_by_time(aws: AwsClients) -> None:
    put_lines(aws, ["b1", "b2"], stream="2026/11/25/[$LATEST]bbbb", start=T0 + timedelta(seconds=1))
    put_lines(aws, ["a1", "a2"], stream="2026/11/25/[$LATEST]aaaa", start=T0)
    assert [e.message for e in read(aws)] == ["b2", "b1", "a2", "a1"]


def test_only_lines_inside_the_time_window_come_back(aws: AwsClients) -> None:
    put_lines(aws, [f"line {n}" for n in range(10)])
    entries = read(aws, start=T0 + timedelta(milliseconds=3), end=T0 + timedelta(milliseconds=6))
    assert [e.message for e in entries] == ["line 6", "line 5", "line 4", "line 3"]


def test_the_newest_lines_of_a_busy_hour_come_first_without_reading_the_whole_hour(aws: AwsClients) -> None:
    """10,000 lines in the hour: the newest 50 cost a few calls, not the hour's 10 pages."""
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=59)
    put_lines(aws, [f"line {n}" for n in range(10_000)], start=start, step=timedelta(milliseconds=350))
    calls = count_calls(aws)
    end = start + timedelta(minutes=59)
    entries = read_logs(aws, aws.settings.consumer_log_group, end - timedelta(hours=1), end, limit=50)
    assert [e.message for e in entries] == [f"line {n}" for n in range(9_999, 9_949, -1)]
    assert len(calls) <= 4, calls
    assert calls[-1]["startTime"] > int((start + timedelta(minutes=50)).timestamp() * 1000)


def test_a_slice_too_dense_for_one_page_is_narrowed_to_its_newest_part(aws: AwsClients) -> None:
    put_lines(aws, [f"line {n}" for n in range(150)], step=timedelta(milliseconds=500))
    calls = count_calls(aws)
    entries = read(aws, start=T0, end=T0 + timedelta(seconds=75), limit=30, slice_lines=40)
    assert [e.message for e in entries] == [f"line {n}" for n in range(149, 119, -1)]
    assert all(c["limit"] == 40 for c in calls) and len(calls) <= 3, calls


def test_a_burst_long_ago_and_quiet_since_is_found_and_its_first_page_not_read_twice(aws: AwsClients) -> None:
    put_lines(aws, [f"line {n}" for n in range(150)])  # 150 ms of lines, then nothing for a minute
    calls = count_calls(aws)
    entries = read(aws, limit=200, slice_lines=40)
    assert [e.message for e in entries] == [f"line {n}" for n in range(149, -1, -1)]
    assert len(calls) <= 10, calls
    first_page = {c["startTime"] for c in calls if c["startTime"] <= int(T0.timestamp() * 1000)}
    assert len(first_page) == 1


def test_lines_within_one_millisecond_are_all_read_page_after_page(aws: AwsClients) -> None:
    group = aws.settings.consumer_log_group
    aws.logs.create_log_stream(logGroupName=group, logStreamName=STREAM)
    at = int(T0.timestamp() * 1000)
    aws.logs.put_log_events(logGroupName=group, logStreamName=STREAM,
                            logEvents=[{"timestamp": at, "message": f"same ms {n}"} for n in range(25)])
    entries = read(aws, slice_lines=10)
    assert sorted(e.message for e in entries) == sorted(f"same ms {n}" for n in range(25))


def test_level_filter_keeps_exactly_that_level_and_asks_cloudwatch_for_its_term(aws: AwsClients) -> None:
    put_lines(aws, [record_line(n, "failed" if n % 1000 == 7 else "stored") for n in range(5000)],
              step=timedelta(milliseconds=3))
    calls = count_calls(aws)
    entries = read(aws, filters=LogFilter(level="WARNING"))
    assert [e.event_id for e in entries] == [f"ev-{n:05d}" for n in (4007, 3007, 2007, 1007, 7)]
    assert [e.reason for e in entries] == ["Not an image"] * 5 and entries[0].duration_ms == 12.5
    assert [c["filterPattern"] for c in calls] == ['"WARN"']  # one call: CloudWatch sent only those lines


def test_level_filter_is_ours_where_a_term_matches_more_than_the_level(aws: AwsClients) -> None:
    put_lines(aws, [
        json_line("INFO", "fine"),
        json_line("ERROR", "broken"),
        "ERROR in plain text",
        json_line("error", "also broken"),
        json.dumps({"errorMessage": "boom", "errorType": "KeyError", "requestId": REQUEST}),
        json_line("INFO", "mentions ERROR but is not one"),
    ])
    entries = read(aws, filters=LogFilter(level="Error"))
    assert [e.summary for e in entries] == [entries[0].message, "also broken", "broken"]
    assert entries[0].reason == "boom"


def test_search_is_sent_to_cloudwatch_as_a_quoted_term_and_finds_old_lines_in_a_busy_window(
    aws: AwsClients,
) -> None:
    put_lines(aws, [record_line(n) for n in range(3000)], step=timedelta(milliseconds=5))
    calls = count_calls(aws)
    entries = read(aws, filters=LogFilter(search="ev-00002"))
    assert [e.event_id for e in entries] == ["ev-00002"]
    assert [c["filterPattern"] for c in calls] == ['"ev-00002"']


def test_text_filter_matches_what_a_line_says_not_its_field_names(aws: AwsClients) -> None:
    summary = json_line("INFO", "batch processed", records=3, stored=3, failed=0)
    stored = json_line("INFO", "stored CAT.png")
    put_lines(aws, ["Fetched cat.PNG", summary, record_line(1, "failed"), stored])
    assert [e.summary for e in read(aws, filters=LogFilter(contains="cat.png"))] == [
        "stored CAT.png", "Fetched cat.PNG"]
    assert [e.status for e in read(aws, filters=LogFilter(contains="failed"))] == ["failed"]


def test_every_call_waits_for_the_shared_limiter_first(aws: AwsClients) -> None:
    put_lines(aws, [f"line {n}" for n in range(150)])
    waits: list[int] = []
    calls = count_calls(aws)
    read(aws, limit=30, slice_lines=40, before_call=lambda: waits.append(len(calls)))
    assert waits == list(range(len(calls)))  # each wait came before its call


def test_missing_log_group_reads_as_no_lines_yet(aws: AwsClients) -> None:
    aws.logs.delete_log_group(logGroupName=aws.settings.consumer_log_group)
    assert read(aws) == []


def test_throttled_reads_raise_store_unavailable(aws: AwsClients) -> None:
    FailCalls(aws, "logs", "FilterLogEvents", "ThrottlingException", times=1_000)
    with pytest.raises(StoreUnavailable, match="ThrottlingException"):
        read(aws)
