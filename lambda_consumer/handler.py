"""The consumer Lambda: a Kinesis batch through core's batch service, answered with an exact partial batch
response (Powertools' process_partial_response; lambda_consumer/batch.py runs the batch as a whole).

A bad event is recorded as failed and is not a batch item failure (it would block the shard for nothing);
a failure of our own store, or of our own code, is reported so Lambda delivers the record again.
"""

from __future__ import annotations

import time
from functools import cache
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.typing import LambdaContext

from core.aws import AwsClients
from core.errors import StoreError
from core.ingest.batch import run
from core.settings import Settings
from lambda_consumer import metrics, records_log, tracing
from lambda_consumer.batch import StreamBatchProcessor

logger = Logger(service=records_log.SERVICE)


@cache
def aws_clients() -> AwsClients:
    """Built on the first invocation, not at import, and kept while the container stays warm."""
    return AwsClients(Settings())


@logger.inject_lambda_context
@tracing.traced(lambda: aws_clients().settings)  # X-Ray, when POWERTOOLS_TRACE_DISABLED is false
def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    """Lambda's entry point: {"batchItemFailures": [{"itemIdentifier": <sequenceNumber>}, …]}."""
    clients, started = aws_clients(), time.perf_counter()
    processor = StreamBatchProcessor(lambda jobs: run(clients, jobs))
    try:
        return process_partial_response(event=event, record_handler=processor.outcome_of, processor=processor,
                                        context=context)
    except StoreError as exc:  # the kept events could not be looked up: nothing was done, all comes again
        logger.warning("batch will be retried: its events could not be looked up", extra={"reason": str(exc)})
        raise
    finally:
        records_log.write(logger, processor.outcomes, started)
        metrics.publish(metrics.figures(processor.outcomes), context.function_name, context.aws_request_id)
