"""The consumer's handler with a seeded fault injector on its own clients, run by the local event source
inside the function's process (`handler="tests.reliability.faulty_handler.handler"`). After each
invocation it prints its running counts as one JSON log line, which the test reads back from the logs.

Configured by the function's environment: FAULT_SEED, FAULT_RATE and FAULT_BACKOFF_SCALE (botocore's
backoff scaled down: the same retries, less waiting)."""

from __future__ import annotations

import json
import os
import threading
from collections import Counter
from typing import Any

from botocore.retries.standard import ExponentialBackoff

from lambda_consumer import handler as consumer
from tests.reliability.faults import FaultInjector

TALLY_MESSAGE = "fault tally"
_tally: Counter[str] = Counter()  # invocations, records (redeliveries included), retried
_lock = threading.Lock()
_injector: FaultInjector | None = None


def handler(event: dict[str, Any], context: Any) -> Any:
    records = len(event.get("Records", []))
    injector = _installed()
    try:
        response = consumer.handler(event, context)
    except Exception:
        _count(records, records, injector)
        raise
    _count(records, len(response.get("batchItemFailures", [])), injector)
    return response


def _installed() -> FaultInjector:
    global _injector
    if _injector is None:
        scale = float(os.environ.get("FAULT_BACKOFF_SCALE", "1"))
        real = ExponentialBackoff.delay_amount
        ExponentialBackoff.delay_amount = lambda self, context: real(self, context) * scale  # type: ignore[method-assign]
        _injector = FaultInjector(consumer.aws_clients(), seed=int(os.environ["FAULT_SEED"]),
                                  rate=float(os.environ["FAULT_RATE"]))
    return _injector


def _count(records: int, retried: int, injector: FaultInjector) -> None:
    with _lock:
        _tally.update(invocations=1, records=records, retried=retried)
        line = {"message": TALLY_MESSAGE, "pid": os.getpid(), "tally": dict(_tally),
                "faults": dict(injector.stats)}
    print(json.dumps(line), flush=True)
