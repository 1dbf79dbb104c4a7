"""Lambda's START/END/REPORT lines read back as written, stream names as Lambda names them, and the
function's own lines captured for its invocation."""

from __future__ import annotations

import json
import logging
import re
from datetime import UTC, datetime

import pytest
from aws_lambda_powertools import Logger

from core.logs import lambda_lines as lines_format
from core.logs.entries import LogEntry, parse_line
from local.event_source import lambda_logs

REQUEST = "8f5c2e1a-7b3d-4c1e-9a2f-0123456789ab"
AT = datetime(2026, 11, 25, 7, 0, tzinfo=UTC)


def parse(line: str) -> LogEntry:
    return parse_line(line, AT, "stream")


def test_start_and_end_lines_carry_the_request_id() -> None:
    start = parse(lines_format.start_line(REQUEST))
    assert (start.kind, start.request_id) == ("start", REQUEST)
    assert parse(lines_format.end_line(REQUEST)).kind == "end"


def test_a_cold_report_line_reads_back_with_init_duration() -> None:
    entry = parse(lines_format.report_line(REQUEST, 102.254, 1024, 180, 301.2))
    assert (entry.kind, entry.request_id) == ("report", REQUEST)
    assert entry.fields == {"duration_ms": 102.25, "billed_duration_ms": 103, "memory_size_mb": 1024,
                            "max_memory_used_mb": 180, "init_duration_ms": 301.2}


def test_a_warm_report_line_has_no_init_duration() -> None:
    assert "init_duration_ms" not in parse(lines_format.report_line(REQUEST, 4, 1024, 90, None)).fields


def test_streams_are_named_like_lambdas() -> None:
    name = lambda_logs.stream_name(AT)
    assert re.fullmatch(r"2026/11/25/\[\$LATEST\][0-9a-f]{32}", name)
    assert lambda_logs.stream_name(AT) != name  # one per execution environment


def test_the_functions_powertools_lines_go_to_the_invocation_not_to_stdout(
    capsys: pytest.CaptureFixture[str],
) -> None:
    logger = Logger(service="test-capture")
    try:
        with lambda_logs.captured() as lines:
            logger.info("inside")
        logger.info("outside")
    finally:
        # Its handler writes to this test's stdout, which is closed after the test.
        logging.getLogger(logger.name).removeHandler(logger.handlers[0])
    assert [json.loads(message)["message"] for _, message in lines] == ["inside"]
    printed = capsys.readouterr().out
    assert '"outside"' in printed and '"inside"' not in printed
