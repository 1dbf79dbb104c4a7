"""One log line as an entry: Lambda's START/END/REPORT, a JSON object (Powertools), or plain text.

core.logs.reader reads the lines from CloudWatch Logs; this module says what each line is and whether it
matches the viewer's filters. The level and text filters are ours, applied to every line read (see
core.logs.reader for what CloudWatch itself can narrow).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from core.logs.lambda_lines import platform_line

# Node-style `time\trequest\tLEVEL\tmessage` and Python's `[LEVEL]\ttime\trequest\tmessage`.
_NODE_TEXT = re.compile(r"^\d{4}-\d\d-\d\dT\S+Z\t([\w-]+)\t([A-Z]+)\t")
_PYTHON_TEXT = re.compile(r"^\[([A-Z]+)\]\t\d{4}-\d\d-\d\dT\S+Z\t([\w-]+)\t")
_REQUEST_ID_KEYS = ("function_request_id", "request_id", "requestId")
_LEVEL_NAMES = {"WARN": "WARNING", "FATAL": "CRITICAL"}  # one name per level, as Python's logging has them


@dataclass(frozen=True)
class LogEntry:
    timestamp: datetime
    log_stream: str
    message: str
    kind: str  # "json" | "start" | "end" | "report" | "timeout" | "text"
    level: str | None  # DEBUG, INFO, WARNING, ERROR or CRITICAL; None when the line has none
    request_id: str | None
    event_id: str | None
    fields: dict[str, Any]

    @property
    def summary(self) -> str:
        """What the line says: a JSON line's message, else the line itself."""
        return str(self.fields.get("message", self.message)) if self.kind == "json" else self.message

    @property
    def reason(self) -> str:
        """Why a record failed or will be retried, or what the runtime reported crashing."""
        return str(self.fields.get("reason") or self.fields.get("errorMessage") or "")

    @property
    def duration_ms(self) -> float | None:
        """A record's or a batch's duration (our JSON lines), or an invocation's (REPORT)."""
        value = self.fields.get("duration_ms")
        return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None

    @property
    def status(self) -> str:
        return str(self.fields.get("status") or "")

    def has_text(self, text: str) -> bool:
        """Case-insensitive, in what the line says: a JSON line's values, not its keys (every batch
        summary has a `failed` count, so searching "failed" must not match it by the key)."""
        return text.casefold() in self._searchable().casefold()

    def _searchable(self) -> str:
        if self.kind != "json":
            return self.message
        values = (v for v in self.fields.values() if isinstance(v, str | int | float))
        return "\n".join(str(v) for v in values if not isinstance(v, bool))


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
    return LogEntry(timestamp, log_stream, line, "text", level_name(level), request_id, None, {})


def level_name(level: str | None) -> str | None:
    """`warn`, `Warning`, `WARNING` -> WARNING: one spelling per level, so a filter matches them all."""
    if not level:
        return None
    upper = level.upper()
    return _LEVEL_NAMES.get(upper, upper)


def _json_entry(document: dict[str, Any], line: str, timestamp: datetime, stream: str) -> LogEntry:
    level = document.get("level")
    if level is None and "errorType" in document:
        level = "ERROR"  # the runtime's own report of an unhandled exception has no level
    request_id = next((document[k] for k in _REQUEST_ID_KEYS if document.get(k)), None)
    event_id = document.get("event_id")
    return LogEntry(
        timestamp, stream, line, "json", level_name(_text(level)), _text(request_id), _text(event_id),
        document,
    )


def _json_object(line: str) -> dict[str, Any] | None:
    if not line.lstrip().startswith("{"):
        return None
    try:
        document = json.loads(line)
    except (json.JSONDecodeError, RecursionError):
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
