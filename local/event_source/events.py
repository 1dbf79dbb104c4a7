"""Lambda's Kinesis event, built from GetRecords records as the event source mapping builds it.

The shape is Lambda's documented Kinesis event; tests compare it with AWS's own examples (tests/golden),
which the function's reading of events (lambda_consumer/contract.py) is tested against too.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from core.clock import utc

EVENT_SOURCE = "aws:kinesis"
EVENT_NAME = "aws:kinesis:record"


@dataclass(frozen=True)
class StreamSource:
    """What every record of a stream's events repeats: the stream, its region, the function's role."""

    stream_arn: str
    region: str
    role_arn: str


def lambda_event(records: Iterable[dict[str, Any]], shard_id: str, source: StreamSource) -> dict[str, Any]:
    """The event Lambda's event source mapping would send for these GetRecords records of one shard."""
    return {"Records": [lambda_record(record, shard_id, source) for record in records]}


def lambda_record(record: dict[str, Any], shard_id: str, source: StreamSource) -> dict[str, Any]:
    """One GetRecords record as a Lambda Kinesis event record."""
    sequence = str(record["SequenceNumber"])
    return {
        "kinesis": {
            "kinesisSchemaVersion": "1.0",
            "partitionKey": record["PartitionKey"],
            "sequenceNumber": sequence,
            "data": base64.b64encode(record["Data"]).decode("ascii"),
            "approximateArrivalTimestamp": arrival_seconds(record["ApproximateArrivalTimestamp"]),
        },
        "eventSource": EVENT_SOURCE,
        "eventVersion": "1.0",
        "eventID": f"{shard_id}:{sequence}",
        "eventName": EVENT_NAME,
        "invokeIdentityArn": source.role_arn,
        "awsRegion": source.region,
        "eventSourceARN": source.stream_arn,
    }


def arrival_seconds(moment: datetime) -> float:
    """Epoch seconds with milliseconds, as Lambda writes approximateArrivalTimestamp."""
    return round(utc(moment).timestamp(), 3)


def first_failed_index(response: Any, sequence_numbers: list[str]) -> int | None:
    """Where Lambda resumes after this response: the first failed record, or None if all succeeded.

    As Lambda does, an answer naming a record that is not in the batch (or naming none) fails the
    whole batch, and an empty or missing batchItemFailures means success.
    """
    failures = response.get("batchItemFailures") if isinstance(response, dict) else None
    if not failures:
        return None
    positions = {sequence: index for index, sequence in enumerate(sequence_numbers)}
    named = [item.get("itemIdentifier") if isinstance(item, dict) else None for item in failures]
    if any(not isinstance(sequence, str) or sequence not in positions for sequence in named):
        return 0
    return min(positions[str(sequence)] for sequence in named)
