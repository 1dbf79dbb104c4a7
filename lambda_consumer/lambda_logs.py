"""What Lambda writes to CloudWatch Logs for each invocation, written by the local runner.

START, the function's own lines, END and REPORT, in a stream named the way Lambda names them
(`YYYY/MM/DD/[$LATEST]<32 hex>`, one per execution environment), so core.logs and the dashboard's
log viewer read the same thing locally as in AWS.
"""

from __future__ import annotations

import logging
import math
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from botocore.exceptions import ClientError

from core.aws import AwsClients
from core.batching import runs

LogLine = tuple[int, str]  # (epoch milliseconds, message), as put_log_events takes them
MAX_EVENTS_PER_CALL = 10_000
MAX_BYTES_PER_CALL = 1_000_000  # CloudWatch counts each message's bytes + 26


def now_ms() -> int:
    return int(time.time() * 1000)


def stream_name(started: datetime) -> str:
    """Lambda's log stream name for an execution environment started at `started`."""
    return f"{started:%Y/%m/%d}/[$LATEST]{uuid.uuid4().hex}"


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


class _Collect(logging.Handler):
    def __init__(self, formatter: logging.Formatter | None) -> None:
        super().__init__()
        self.setFormatter(formatter)
        self.lines: list[LogLine] = []

    def emit(self, record: logging.LogRecord) -> None:
        # list.append is atomic, so records from the handler's worker threads are all kept.
        self.lines.append((int(record.created * 1000), self.format(record)))


@contextmanager
def captured(logger_name: str) -> Iterator[list[LogLine]]:
    """The lines `logger_name` emits inside the block, formatted by its own (Powertools) handler.

    Its handlers (stdout) are set aside meanwhile: Lambda's runtime takes a function's stdout into
    CloudWatch Logs, so here the lines go to the log group only, not to the terminal as well.
    """
    target = logging.getLogger(logger_name)
    own = list(target.handlers)
    collect = _Collect(own[0].formatter if own else None)
    for handler in own:
        target.removeHandler(handler)
    target.addHandler(collect)
    try:
        yield collect.lines
    finally:
        target.removeHandler(collect)
        for handler in own:
            target.addHandler(handler)


class LogWriter:
    """Appends invocation lines to one log stream of the function's group, as Lambda does."""

    def __init__(self, clients: AwsClients, group: str) -> None:
        self.clients, self.group = clients, group
        self.stream = stream_name(datetime.now(UTC))
        self._created = False

    def write(self, lines: list[LogLine]) -> None:
        """Put the lines, oldest first, in as few calls as CloudWatch allows."""
        self._create_stream()
        events = [{"timestamp": at, "message": message} for at, message in sorted(lines, key=_time)]
        for chunk in _chunks(events):
            self.clients.logs.put_log_events(
                logGroupName=self.group, logStreamName=self.stream, logEvents=chunk
            )

    def _create_stream(self) -> None:
        if self._created:
            return
        try:
            self.clients.logs.create_log_group(logGroupName=self.group)
        except ClientError as exc:  # normally there already: bootstrap or the deploy template made it
            if exc.response["Error"]["Code"] != "ResourceAlreadyExistsException":
                raise
        self.clients.logs.create_log_stream(logGroupName=self.group, logStreamName=self.stream)
        self._created = True


def _time(line: LogLine) -> int:
    return line[0]


def _chunks(events: list[dict[str, object]]) -> Iterator[list[dict[str, object]]]:
    # CloudWatch Logs counts each event's UTF-8 message plus 26 bytes.
    return runs(events, lambda event: len(str(event["message"]).encode()) + 26,
                MAX_EVENTS_PER_CALL, MAX_BYTES_PER_CALL)
