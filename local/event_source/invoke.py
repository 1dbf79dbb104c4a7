"""Call the function the way Lambda's Python runtime does: a context object, timings, its log lines."""

from __future__ import annotations

import importlib
import resource
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from core import lambda_log_lines as lambda_lines
from local.event_source import lambda_logs
from local.event_source.lambda_logs import LogLine

Handler = Callable[[dict[str, Any], Any], Any]


@dataclass(frozen=True)
class LocalContext:
    """The Lambda context attributes the handler and Powertools read."""

    function_name: str
    invoked_function_arn: str
    memory_limit_in_mb: int
    aws_request_id: str
    log_group_name: str
    log_stream_name: str
    deadline: float = field(repr=False)  # time.monotonic() when the invocation would time out
    function_version: str = "$LATEST"

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self.deadline - time.monotonic()) * 1000))


@dataclass(frozen=True)
class Invocation:
    request_id: str
    response: Any
    error: BaseException | None
    lines: list[LogLine]  # START, the function's lines, (the error), END, REPORT


@dataclass(frozen=True)
class FunctionConfig:
    name: str
    arn: str
    handler: str = "lambda_consumer.handler.handler"  # Lambda's "module.function" setting
    memory_mb: int = 1024
    timeout_seconds: int = 60
    log_group: str = ""
    log_stream: str = ""


class LocalFunction:
    """One warm execution environment: imports the handler on the first call, then reuses it."""

    def __init__(self, config: FunctionConfig) -> None:
        self.config = config
        self._handler: Handler | None = None
        self._init_ms: float | None = None

    def invoke(self, event: dict[str, Any]) -> Invocation:
        """Run the handler on `event`; an exception it raises is returned, as Lambda reports it."""
        handler, init_ms = self._load()
        context = self._context()
        request_id = context.aws_request_id
        lines: list[LogLine] = [(lambda_logs.now_ms(), lambda_lines.start_line(request_id))]
        started = time.perf_counter()
        response, error = None, None
        with lambda_logs.captured() as handler_lines:
            try:
                response = handler(event, context)
            except Exception as exc:  # Lambda reports it and retries the batch; so does the runner
                error = exc
        duration_ms = (time.perf_counter() - started) * 1000
        lines += handler_lines
        if error:
            lines.append((lambda_logs.now_ms(), lambda_lines.error_line(error, request_id)))
        lines += self._closing_lines(request_id, duration_ms, init_ms)
        return Invocation(request_id, response, error, lines)

    def _load(self) -> tuple[Handler, float | None]:
        """The handler, and the init duration on the first (cold) call only."""
        if self._handler is None:
            started = time.perf_counter()
            module_name, _, function_name = self.config.handler.rpartition(".")
            module = importlib.import_module(module_name)
            self._handler = getattr(module, function_name)
            self._init_ms = (time.perf_counter() - started) * 1000
            return self._handler, self._init_ms
        return self._handler, None

    def _context(self) -> LocalContext:
        config = self.config
        return LocalContext(
            config.name, config.arn, config.memory_mb, str(uuid.uuid4()), config.log_group,
            config.log_stream, time.monotonic() + config.timeout_seconds,
        )

    def _closing_lines(self, request_id: str, duration_ms: float, init_ms: float | None) -> list[LogLine]:
        # The process's peak RSS: locally the runner shares its process with the emulator.
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
        report = lambda_lines.report_line(request_id, duration_ms, self.config.memory_mb, peak_mb, init_ms)
        now = lambda_logs.now_ms()
        return [(now, lambda_lines.end_line(request_id)), (now, report)]
