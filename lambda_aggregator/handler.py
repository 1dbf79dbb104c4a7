"""The aggregator Lambda: the table's stream -> minute counters and the LATEST items (core.store.counting).

Its event source (infra/template.yaml) passes only the events' own items, in batches, and neither bisects
a failed batch nor takes partial responses: a batch that fails is retried from its first record, which
is what counting's checkpoints expect. Only our store's failures fail a batch; a change that cannot be
applied is passed by (core.store.counting), logged with its key and counted in ChangesSkipped, which
the ChangesSkippedAlarm watches.
"""

from __future__ import annotations

import time
from functools import cache
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from core.aws import AwsClients
from core.settings import Settings
from core.store import counting
from lambda_consumer import emf

logger = Logger(service="image-processor-aggregator")

CHANGES_COUNTED = "ChangesCounted"  # event changes applied to the minute counters now
CHANGES_SKIPPED = "ChangesSkipped"  # changes passed by because they cannot be applied (alarmed)


@cache
def aws_clients() -> AwsClients:
    """Built on the first invocation, not at import, and kept while the container stays warm."""
    return AwsClients(Settings())


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> None:
    started = time.perf_counter()
    records = event.get("Records", [])
    applied = counting.apply(aws_clients(), records)
    for skipped in applied.skipped:
        logger.error("change skipped: it cannot be counted", extra={
            "key": skipped.key, "sequence_number": str(skipped.sequence), "reason": skipped.reason})
    logger.info("changes counted", extra={
        "records": len(records), "changes": applied.changes, "counted": applied.counted,
        "skipped": len(applied.skipped),
        "already_counted": applied.changes - applied.counted - len(applied.skipped),
        "duration_ms": round((time.perf_counter() - started) * 1000, 1),
    })
    figures = emf.provider(context.function_name, context.aws_request_id, "batch metrics")
    figures.add_metric(name=CHANGES_COUNTED, unit=MetricUnit.Count, value=applied.counted)
    figures.add_metric(name=CHANGES_SKIPPED, unit=MetricUnit.Count, value=len(applied.skipped))
    figures.flush_metrics()
