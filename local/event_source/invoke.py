"""Call the function the way Lambda does: in its own execution environment (a process), with a context,
a timeout that ends the invocation, and START, END and REPORT around the function's own log lines.

An environment is started on the first invocation (a cold start, with its Init Duration) and kept
warm; a timed-out invocation ends its environment, so the next one starts cold, as in Lambda.
"""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from core.clock import now
from core.logs import lambda_lines as lambda_lines
from local.event_source.lambda_logs import LogLine, now_ms
from local.processes import ctrl_c_left_to_us

MARK = "\x1e"  # starts the environment's lines to the event source; everything else is the function's log


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
class FunctionError:
    """What Lambda reports for an invocation that did not return: an exception, or a timeout."""

    error_type: str
    message: str


@dataclass(frozen=True)
class Invocation:
    request_id: str
    response: Any
    error: FunctionError | None
    lines: list[LogLine]  # START, the function's lines, (the timeout), END, REPORT


@dataclass(frozen=True)
class FunctionConfig:
    name: str
    arn: str
    handler: str = "lambda_consumer.handler.handler"  # Lambda's "module.function" setting
    memory_mb: int = 1024
    timeout_seconds: float = 300
    log_group: str = ""
    log_stream: str = ""
    environment: dict[str, str] = field(default_factory=dict)  # the function's variables and credentials


class LocalFunction:
    """One execution environment at a time: a warm process, replaced after a timeout or a crash."""

    def __init__(self, config: FunctionConfig) -> None:
        self.config = config
        self._process: subprocess.Popen[str] | None = None
        self._output: queue.Queue[tuple[int, str] | None] = queue.Queue()

    def invoke(self, event: dict[str, Any]) -> Invocation:
        """Run the handler on `event`; an error or a timeout is returned, as Lambda reports it."""
        request_id = str(uuid.uuid4())
        lines: list[LogLine] = [(now_ms(), lambda_lines.start_line(request_id))]
        started = time.perf_counter()
        init_ms, init_error = self._warm(lines)
        result = {"error": init_error} if init_error else self._run(event, request_id, lines)
        duration_ms = (time.perf_counter() - started) * 1000 - (init_ms or 0)
        error = _error_of(result)
        if error and error.error_type != "Sandbox.Timedout":
            stack = list(result["error"].get("stackTrace", []))
            report = lambda_lines.error_line(error.error_type, error.message, request_id, stack)
            lines.append((now_ms(), report))
        if error and error.error_type == "Sandbox.Timedout":
            timeout = lambda_lines.timeout_line(request_id, self.config.timeout_seconds, now())
            lines.append((now_ms(), timeout))
        peak_mb = int(str(result.get("max_memory_mb", 0)))
        report = lambda_lines.report_line(request_id, duration_ms, self.config.memory_mb, peak_mb, init_ms)
        lines += [(now_ms(), lambda_lines.end_line(request_id)), (now_ms(), report)]
        return Invocation(request_id, result.get("response"), error, lines)

    def close(self) -> None:
        """End the environment (Lambda recycles idle ones; the local stack does at its end)."""
        if self._process is not None:
            self._process.kill()
            self._process.wait()
            self._process = None

    def _warm(self, lines: list[LogLine]) -> tuple[float | None, dict[str, Any] | None]:
        """Start an environment if none is running: (its init duration, an init error or None)."""
        if self._process is not None and self._process.poll() is None:
            return None, None
        self._output = queue.Queue()
        with ctrl_c_left_to_us():  # the event source stops its environments itself
            self._process = subprocess.Popen(
                [sys.executable, "-m", "local.event_source.environment", self.config.handler],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                env=os.environ | self.config.environment,
            )
        threading.Thread(target=_pump, args=(self._process, self._output), daemon=True).start()
        started = self._next_message(lines, 60.0)  # Lambda allows an init phase 10 s; a cold venv needs more
        if started is None or "init_error" in started:
            self.close()
            return None, (started or {}).get("init_error", {"errorType": "Runtime.ExitError",
                                                             "errorMessage": "the environment did not start"})
        return float(started["init_ms"]), None

    def _run(self, event: dict[str, Any], request_id: str, lines: list[LogLine]) -> dict[str, Any]:
        assert self._process is not None and self._process.stdin is not None
        context = {"function_name": self.config.name, "invoked_function_arn": self.config.arn,
                   "memory_limit_in_mb": self.config.memory_mb, "aws_request_id": request_id,
                   "log_group_name": self.config.log_group, "log_stream_name": self.config.log_stream}
        request = {"event": event, "context": context, "timeout_seconds": self.config.timeout_seconds}
        self._process.stdin.write(json.dumps(request) + "\n")
        self._process.stdin.flush()
        result = self._next_message(lines, self.config.timeout_seconds)
        if result is None:  # Lambda stops the environment at the timeout; the next invocation is cold
            self.close()
            seconds = self.config.timeout_seconds
            return {"error": {"errorType": "Sandbox.Timedout",
                              "errorMessage": f"Task timed out after {seconds:.2f} seconds"}}
        return result

    def _next_message(self, lines: list[LogLine], seconds: float) -> dict[str, Any] | None:
        """The environment's next message; its log lines before it go to `lines`. None at the timeout."""
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            try:
                item = self._output.get(timeout=left)
            except queue.Empty:
                return None
            if item is None:
                return None  # the process ended
            at, text = item
            if text.startswith(MARK):
                return dict(json.loads(text[len(MARK):]))
            lines.append((at, text))
        return None


def _pump(process: subprocess.Popen[str], output: queue.Queue[tuple[int, str] | None]) -> None:
    """Every line the environment writes, stamped when it arrived, until it ends."""
    assert process.stdout is not None
    for line in process.stdout:
        output.put((now_ms(), line.rstrip("\n")))
    output.put(None)


def _error_of(result: dict[str, Any]) -> FunctionError | None:
    error = result.get("error")
    return FunctionError(str(error["errorType"]), str(error["errorMessage"])) if error else None

