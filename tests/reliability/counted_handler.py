"""The consumer's handler, counting the records it reports for retry; the local runner can be pointed at
it (`RunnerConfig(handler="tests.reliability.counted_handler.handler")`)."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from lambda_consumer import handler as consumer


@dataclass
class Tally:
    invocations: int = 0
    records: int = 0  # delivered, redeliveries included
    retried: int = 0  # reported back for retry (batch item failures, or the whole batch on an error)

    def add(self, records: int, retried: int) -> None:
        with _lock:
            self.invocations, self.records, self.retried = (
                self.invocations + 1, self.records + records, self.retried + retried)


_lock = threading.Lock()
TALLY = Tally()


def handler(event: dict[str, Any], context: Any) -> Any:
    records = len(event.get("Records", []))
    try:
        response = consumer.handler(event, context)
    except Exception:
        TALLY.add(records, records)
        raise
    TALLY.add(records, len(response.get("batchItemFailures", [])))
    return response
