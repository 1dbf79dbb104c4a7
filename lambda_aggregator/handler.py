"""The aggregator Lambda: the table's stream -> minute counters and the LATEST items (core.store.counting).

Its event source (infra/template.yaml) passes only the events' own items, in batches, and neither bisects
a failed batch nor takes partial responses: a batch that fails is retried from its first record, which
is what counting's checkpoints expect. Retries go on while the stream keeps the records (24 hours), so a
count is late, never lost.
"""

from __future__ import annotations

import time
from functools import cache
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from core.aws import AwsClients
from core.settings import Settings
from core.store import counting

logger = Logger(service="image-processor-aggregator")


@cache
def aws_clients() -> AwsClients:
    """Built on the first invocation, not at import, and kept while the container stays warm."""
    return AwsClients(Settings())


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> None:
    started = time.perf_counter()
    records = event.get("Records", [])
    applied = counting.apply(aws_clients(), records)
    logger.info("changes counted", extra={
        "records": len(records), "changes": applied.changes, "counted": applied.counted,
        "already_counted": applied.changes - applied.counted,
        "duration_ms": round((time.perf_counter() - started) * 1000, 1),
    })
