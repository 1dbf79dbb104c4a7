"""What the function reads from Lambda's Kinesis event: which record it is, and when it arrived.

The shape is Lambda's documented Kinesis event (tests/golden holds AWS's own examples). The event id
comes from the shard and sequence number, so a redelivered record is the same event.
"""

from __future__ import annotations

from datetime import UTC, datetime

from aws_lambda_powertools.utilities.data_classes.kinesis_stream_event import KinesisStreamRecord

from core.ingest.origin import Origin, stream_event_id
from core.models import EventSource


def origin_of(record: KinesisStreamRecord, request_id: str, batch_received: datetime) -> Origin:
    """Event id from shard + sequence number, so redeliveries match; received_at from the arrival time.

    approximateArrivalTimestamp is optional in AWS's own example events; without it the event is
    dated when its batch was received (its id, and so its idempotency, do not depend on the time).
    """
    shard = shard_of(record.event_id)
    sequence = record.kinesis.sequence_number
    seconds = record.raw_event.get("kinesis", {}).get("approximateArrivalTimestamp")
    arrived = received_at(seconds) if isinstance(seconds, int | float) else batch_received
    return Origin(
        stream_event_id(shard, sequence), arrived, EventSource.STREAM, shard, sequence, request_id
    )


def received_at(seconds: float) -> datetime:
    """The record's approximateArrivalTimestamp (epoch seconds) as an aware UTC datetime."""
    return datetime.fromtimestamp(seconds, UTC)


def shard_of(event_id: str) -> str:
    """'shardId-000000000000:4954…' -> 'shardId-000000000000' (Lambda's eventID is shard:sequence)."""
    return event_id.partition(":")[0]
