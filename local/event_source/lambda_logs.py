"""What Lambda writes to CloudWatch Logs for each invocation, written by the local runner.

START, the function's own lines, END and REPORT, in a stream named the way Lambda names them
(`YYYY/MM/DD/[$LATEST]<32 hex>`, one per execution environment), so core.logs and the dashboard's
log viewer read the same thing locally as in AWS.
"""

from __future__ import annotations

import contextlib
import io
import logging
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import TYPE_CHECKING, Any

from core.aws import AwsClients
from core.aws.batching import runs
from core.aws.errors import aws_call
from core.clock import now

if TYPE_CHECKING:
    from mypy_boto3_logs.type_defs import InputLogEventTypeDef

LogLine = tuple[int, str]  # (epoch milliseconds, message), as put_log_events takes them
MAX_EVENTS_PER_CALL = 10_000
MAX_BYTES_PER_CALL = 1_000_000  # CloudWatch counts each message's bytes + 26


def now_ms() -> int:
    return int(time.time() * 1000)


def stream_name(started: datetime) -> str:
    """Lambda's log stream name for an execution environment started at `started`."""
    return f"{started:%Y/%m/%d}/[$LATEST]{uuid.uuid4().hex}"


class _Output(io.TextIOBase):
    """A function's standard output for one invocation: each line kept with the time it was written."""

    def __init__(self) -> None:
        self.lines: list[LogLine] = []

    def write(self, text: str) -> int:
        at = now_ms()
        # The handler's lock serialises writes; extending a list is atomic all the same.
        self.lines += [(at, line) for line in text.splitlines() if line.strip()]
        return len(text)


@contextmanager
def captured() -> Iterator[list[LogLine]]:
    """The lines the function's Powertools loggers write inside the block.

    Lambda's runtime sends a function's standard output to CloudWatch Logs; Powertools writes there
    through a stream handler on each of its loggers. Meanwhile those handlers write here instead, so
    the lines go to the log group only, not to the terminal as well.
    """
    output = _Output()
    handlers: list[logging.StreamHandler[Any]] = [
        h for h in _powertools_handlers() if isinstance(h, logging.StreamHandler)
    ]
    before = [_swap_stream(handler, output) for handler in handlers]
    try:
        yield output.lines
    finally:
        for handler, stream in zip(handlers, before, strict=True):
            _swap_stream(handler, stream)


def _swap_stream(handler: logging.StreamHandler[Any], stream: Any) -> Any:
    # Not setStream: it flushes the stream it replaces, which may be closed by now (a test's stdout).
    with handler.lock or contextlib.nullcontext():
        before, handler.stream = handler.stream, stream
    return before


def _powertools_handlers() -> list[logging.Handler]:
    loggers = [logging.getLogger(name) for name in list(logging.Logger.manager.loggerDict)]
    return [handler for logger in loggers if (handler := getattr(logger, "powertools_handler", None))]


class LogWriter:
    """Appends invocation lines to one log stream of the function's group, as Lambda does."""

    def __init__(self, clients: AwsClients, group: str) -> None:
        self.clients, self.group = clients, group
        self.stream = stream_name(now())
        self._created = False

    def write(self, lines: list[LogLine]) -> None:
        """Put the lines, oldest first, in as few calls as CloudWatch allows."""
        self._create_stream()
        events: list[InputLogEventTypeDef] = [
            {"timestamp": at, "message": message} for at, message in sorted(lines, key=_time)
        ]
        for chunk in _chunks(events):
            with aws_call(f"log group {self.group}"):
                self.clients.logs.put_log_events(
                    logGroupName=self.group, logStreamName=self.stream, logEvents=chunk
                )

    def _create_stream(self) -> None:
        if self._created:
            return
        # The group is the template's (or provisioning's): Lambda's role may not create groups.
        with aws_call(f"log group {self.group}"):
            self.clients.logs.create_log_stream(logGroupName=self.group, logStreamName=self.stream)
        self._created = True


def _time(line: LogLine) -> int:
    return line[0]


def _chunks(events: list[InputLogEventTypeDef]) -> Iterator[list[InputLogEventTypeDef]]:
    # CloudWatch Logs counts each event's UTF-8 message plus 26 bytes.
    return runs(events, lambda event: len(str(event["message"]).encode()) + 26,
                MAX_EVENTS_PER_CALL, MAX_BYTES_PER_CALL)
