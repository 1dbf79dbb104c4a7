"""Read the consumer's CloudWatch Logs and parse Lambda's line formats into entries."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from core import clock
from core.aws import AwsClients
from core.aws_errors import aws_call
from core.errors import RequestRefused, ResourceMissing
from core.lambda_log_lines import platform_line

MAX_PAGE_SIZE = 10_000  # the most filter_log_events returns per call
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# Node-style `time\trequest\tLEVEL\tmessage` and Python's `[LEVEL]\ttime\trequest\tmessage`.
_NODE_TEXT = re.compile(r"^\d{4}-\d\d-\d\dT\S+Z\t([\w-]+)\t([A-Z]+)\t")
_PYTHON_TEXT = re.compile(r"^\[([A-Z]+)\]\t\d{4}-\d\d-\d\dT\S+Z\t([\w-]+)\t")
_REQUEST_ID_KEYS = ("function_request_id", "request_id", "requestId")


@dataclass(frozen=True)
class LogEntry:
    timestamp: datetime
    log_stream: str
    message: str
    kind: str  # "json" | "start" | "end" | "report" | "text"
    level: str | None
    request_id: str | None
    event_id: str | None
    fields: dict[str, Any]


def parse_line(message: str, timestamp: datetime, log_stream: str) -> LogEntry:
    """One log line as an entry: Lambda's START/END/REPORT, a JSON object, or plain text."""
    line = message.rstrip("\n")
    platform = platform_line(line)
    if platform:
        return LogEntry(
            timestamp, log_stream, line, platform.kind, "ERROR" if platform.kind == "timeout" else None,
            platform.request_id, None, platform.fields,
        )
    document = _json_object(line)
    if document is not None:
        return _json_entry(document, line, timestamp, log_stream)
    level, request_id = _text_level_and_request(line)
    return LogEntry(timestamp, log_stream, line, "text", level, request_id, None, {})


def read_logs(
    clients: AwsClients,
    log_group: str,
    start: datetime,
    end: datetime,
    *,
    filter_pattern: str = "",
    limit: int = 1000,
    level: str | None = None,
    contains: str | None = None,
    page_size: int = MAX_PAGE_SIZE,
) -> list[LogEntry]:
    """Up to `limit` entries between start and end (inclusive), oldest first; [] if no group yet."""
    request: dict[str, Any] = {"logGroupName": log_group, "startTime": _ms(start), "endTime": _ms(end)}
    if filter_pattern:
        request["filterPattern"] = filter_pattern
    # Moto ignores JSON patterns and no service sees our parsed fields, so level/contains are ours;
    # a filtered page may hold few matches, so then ask for full pages, not just the remainder.
    filtering = bool(level or contains)
    entries: list[LogEntry] = []
    token: str | None = None
    while len(entries) < limit:
        size = page_size if filtering else min(page_size, limit - len(entries))
        page = _call(clients, request, size, token)
        entries += [e for e in map(_entry, page.get("events", [])) if _matches(e, level, contains)]
        next_token = page.get("nextToken")
        if not next_token or next_token == token:  # a repeated token would loop forever
            break
        token = next_token
    entries.sort(key=lambda e: e.timestamp)  # stable: ties keep the service's order
    return entries[:limit]


def _call(clients: AwsClients, request: dict[str, Any], size: int, token: str | None) -> dict[str, Any]:
    paging: dict[str, Any] = {"limit": max(1, min(size, MAX_PAGE_SIZE))}
    if token:
        paging["nextToken"] = token
    try:
        with aws_call(f"log group {request['logGroupName']}", setting="CONSUMER_LOG_GROUP"):
            return dict(clients.logs.filter_log_events(**request, **paging))
    except ResourceMissing:
        return {}  # the consumer has not logged anything yet
    except RequestRefused as exc:
        raise ValueError(f"CloudWatch Logs refused the query: {exc}") from exc


def _entry(event: dict[str, Any]) -> LogEntry:
    timestamp = _EPOCH + timedelta(milliseconds=int(event["timestamp"]))
    return parse_line(str(event.get("message", "")), timestamp, str(event.get("logStreamName", "")))


def _matches(entry: LogEntry, level: str | None, contains: str | None) -> bool:
    if level and (entry.level or "").casefold() != level.casefold():
        return False
    return not contains or contains.casefold() in entry.message.casefold()


def _json_entry(document: dict[str, Any], line: str, timestamp: datetime, stream: str) -> LogEntry:
    level = document.get("level")
    if level is None and "errorType" in document:
        level = "ERROR"  # the runtime's own report of an unhandled exception has no level
    request_id = next((document[k] for k in _REQUEST_ID_KEYS if document.get(k)), None)
    event_id = document.get("event_id")
    return LogEntry(
        timestamp, stream, line, "json", _text(level), _text(request_id), _text(event_id), document
    )


def _json_object(line: str) -> dict[str, Any] | None:
    if not line.lstrip().startswith("{"):
        return None
    try:
        document = json.loads(line)
    except json.JSONDecodeError:
        return None
    return document if isinstance(document, dict) else None


def _text_level_and_request(line: str) -> tuple[str | None, str | None]:
    node = _NODE_TEXT.match(line)
    if node:
        return node.group(2), node.group(1)
    python = _PYTHON_TEXT.match(line)
    if python:
        return python.group(1), python.group(2)
    return None, None


def _text(value: Any) -> str | None:
    return None if value in (None, "") else str(value)


def _ms(moment: datetime) -> int:
    return int((clock.utc(moment) - _EPOCH) // timedelta(milliseconds=1))


def log_groups(clients: AwsClients, limit: int = 50) -> list[str]:
    """Names of the account's log groups (first `limit`), for the viewer's group picker."""
    with aws_call("CloudWatch Logs"):
        groups = clients.logs.describe_log_groups(limit=limit)["logGroups"]
    return [g["logGroupName"] for g in groups if "logGroupName" in g]
