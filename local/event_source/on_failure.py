"""What Lambda sends to a Kinesis event source's on-failure destination: the batch's metadata.

Like Lambda's, the message names the records (shard, first and last sequence numbers, arrival times)
rather than carrying them: they stay readable on the stream for its retention period.
"""

from __future__ import annotations

import json
from typing import Any

from core.aws import AwsClients
from core.aws.errors import aws_call
from core.clock import iso_ms, now
from local.event_source.events import StreamSource


def failure_record(
    records: list[dict[str, Any]], shard_id: str, source: StreamSource, *,
    request_id: str, function_arn: str, attempts: int, function_error: bool,
    condition: str = "RetryAttemptsExhausted",
) -> dict[str, Any]:
    """Lambda's invocation record for a discarded Kinesis batch (`records` as GetRecords gave them)."""
    response: dict[str, Any] = {"statusCode": 200, "executedVersion": "$LATEST"}
    if function_error:
        response["functionError"] = "Unhandled"
    return {
        "requestContext": {
            "requestId": request_id, "functionArn": function_arn,
            "condition": condition, "approximateInvokeCount": attempts,
        },
        "responseContext": response,
        "version": "1.0",
        "timestamp": iso_ms(now()),
        "KinesisBatchInfo": {
            "shardId": shard_id,
            "startSequenceNumber": records[0]["SequenceNumber"],
            "endSequenceNumber": records[-1]["SequenceNumber"],
            "approximateArrivalOfFirstRecord": iso_ms(records[0]["ApproximateArrivalTimestamp"]),
            "approximateArrivalOfLastRecord": iso_ms(records[-1]["ApproximateArrivalTimestamp"]),
            "batchSize": len(records),
            "streamArn": source.stream_arn,
        },
    }


def send_failure(clients: AwsClients, queue_url: str, record: dict[str, Any]) -> None:
    with aws_call(f"queue {queue_url}"):
        clients.sqs.send_message(QueueUrl=queue_url, MessageBody=json.dumps(record))
