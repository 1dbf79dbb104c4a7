"""What the function reads from Lambda's Kinesis event: which record it is, and when it arrived.

The shape is Lambda's documented Kinesis event (tests/golden holds AWS's own examples). The event id
comes from the shard and sequence number, so a redelivered record is the same event.
"""

from __future__ import annotations

from datetime import UTC, datetime

from aws_lambda_powertools.utilities.data_classes.kinesis_stream_event import KinesisStreamRecord

from core.ingest import Origin, stream_event_id
from core.models import EventSource


def origin_of(record: KinesisStreamRecord, request_id: str) -> Origin:
    """Event id from shard + sequence number and received_at from the arrival time: redeliveries match."""
    shard = shard_of(record.event_id)
    sequence = record.kinesis.sequence_number
    arrived = received_at(record.kinesis.approximate_arrival_timestamp)
    return Origin(
        stream_event_id(shard, sequence), arrived, EventSource.STREAM, shard, sequence, request_id
    )


def received_at(seconds: float) -> datetime:
    """The record's approximateArrivalTimestamp (epoch seconds) as an aware UTC datetime."""
    return datetime.fromtimestamp(seconds, UTC)


def shard_of(event_id: str) -> str:
    """'shardId-000000000000:4954…' -> 'shardId-000000000000' (Lambda's eventID is shard:sequence)."""
    return event_id.partition(":")[0]
