"""Lambda's own log lines, both ways: START, END and REPORT, and the runtime's report of a crash.

Lambda writes these around every invocation; the local event source writes the same (local/), and
core.logs.reader reads them back for the Logs page. One module, so writer and reader cannot drift apart.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from core.clock import iso_ms

_PLATFORM = re.compile(r"^(START|END|REPORT) RequestId: ([\w-]+)")
_TIMEOUT = re.compile(r"^\S+Z ([\w-]+) Task timed out after ([\d.]+) seconds")
_REPORT_VALUE = re.compile(r"^\s*([A-Za-z ]+):\s*(\d+(?:\.\d+)?)\s*(?:ms|MB)\s*$")
# REPORT's label -> (our field name, its type)
_REPORT_FIELDS: dict[str, tuple[str, type]] = {
    "Duration": ("duration_ms", float),
    "Billed Duration": ("billed_duration_ms", int),
    "Memory Size": ("memory_size_mb", int),
    "Max Memory Used": ("max_memory_used_mb", int),
    "Init Duration": ("init_duration_ms", float),
}


@dataclass(frozen=True)
class PlatformLine:
    """A START, END or REPORT line, read back."""

    kind: str  # "start" | "end" | "report" | "timeout"
    request_id: str
    fields: dict[str, Any] = field(default_factory=dict)  # REPORT's figures, e.g. duration_ms


def start_line(request_id: str) -> str:
    return f"START RequestId: {request_id} Version: $LATEST"


def end_line(request_id: str) -> str:
    return f"END RequestId: {request_id}"


def report_line(
    request_id: str, duration_ms: float, memory_mb: int, max_memory_mb: int, init_ms: float | None
) -> str:
    """Lambda's REPORT line: tab-separated fields, Init Duration only on a cold start."""
    parts = [
        f"REPORT RequestId: {request_id}", f"Duration: {duration_ms:.2f} ms",
        f"Billed Duration: {math.ceil(duration_ms)} ms", f"Memory Size: {memory_mb} MB",
        f"Max Memory Used: {max_memory_mb} MB",
    ]
    if init_ms is not None:
        parts.append(f"Init Duration: {init_ms:.2f} ms")
    return "\t".join(parts) + "\t"


def error_line(error_type: str, message: str, request_id: str, stack: list[str]) -> str:
    """The runtime's JSON report of an unhandled exception (read back as an ERROR: it has no level)."""
    return json.dumps({"errorMessage": message, "errorType": error_type, "requestId": request_id,
                       "stackTrace": stack})


def timeout_line(request_id: str, seconds: float, at: datetime) -> str:
    """What Lambda writes when it stops an invocation at the function's timeout."""
    return f"{iso_ms(at)} {request_id} Task timed out after {seconds:.2f} seconds"


def platform_line(line: str) -> PlatformLine | None:
    """The START, END or REPORT line `line` is, or None."""
    found = _PLATFORM.match(line)
    if not found:
        timeout = _TIMEOUT.match(line)
        return timeout and PlatformLine("timeout", timeout.group(1), {"timeout_s": float(timeout.group(2))})
    kind = found.group(1).lower()
    return PlatformLine(kind, found.group(2), _report_fields(line) if kind == "report" else {})


def _report_fields(line: str) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for part in line.split("\t"):
        match = _REPORT_VALUE.match(part)
        if match and match.group(1) in _REPORT_FIELDS:
            key, kind = _REPORT_FIELDS[match.group(1)]
            fields[key] = kind(float(match.group(2)))
    return fields
