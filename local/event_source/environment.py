"""One Lambda execution environment: a process that imports the handler once, then runs invocations one at
a time, as Lambda's Python runtime does (`python -m local.event_source.environment module.function`).

Requests come in on stdin, one JSON line each. Everything the function writes to stdout or stderr is its
log, as in Lambda; the runtime's own messages to the event source are lines that start with MARK.
"""

from __future__ import annotations

import importlib
import json
import sys
import time
import traceback
from pathlib import Path
from typing import Any

from local.event_source.invoke import MARK, LocalContext


def main() -> None:
    started = time.perf_counter()
    try:
        module_name, _, function_name = sys.argv[1].rpartition(".")
        handler = getattr(importlib.import_module(module_name), function_name)
    except Exception as exc:  # Lambda reports Runtime.ImportModuleError on every invocation
        _say({"init_error": _error(exc)})
        raise SystemExit(1) from exc
    _say({"ready": True, "init_ms": (time.perf_counter() - started) * 1000})
    for line in sys.stdin:
        request = json.loads(line)
        context = LocalContext(**request["context"], deadline=time.monotonic() + request["timeout_seconds"])
        result: dict[str, Any]
        try:
            result = {"response": handler(request["event"], context)}
        except Exception as exc:  # reported to the event source, which logs it and retries the batch
            result = {"error": _error(exc)}
        sys.stdout.flush()
        sys.stderr.flush()
        _say(result | {"max_memory_mb": _peak_mb()})


def _say(document: dict[str, Any]) -> None:
    sys.__stdout__.write(MARK + json.dumps(document, default=str) + "\n")  # type: ignore[union-attr]
    sys.__stdout__.flush()  # type: ignore[union-attr]


def _error(exc: BaseException) -> dict[str, Any]:
    return {"errorType": type(exc).__name__, "errorMessage": str(exc),
            "stackTrace": traceback.format_tb(exc.__traceback__)}


def _peak_mb() -> int:
    """This environment's peak memory (VmHWM), as Lambda's REPORT line gives it."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) // 1024
    return 0


if __name__ == "__main__":
    main()
