"""Reading a stream shard by shard with a checkpoint per shard, as Lambda's event source mapping does."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from core.aws import AwsClients
from local.event_source.events import StreamSource

# Kinesis takes 5 GetRecords calls a second per shard; Lambda keeps under it, and so does this reader.
READ_GAP_SECONDS = 0.2


def stream_source(clients: AwsClients) -> StreamSource:
    """The settings' stream as its events name it: ARN, region, and the function's role ARN."""
    settings = clients.settings
    summary = clients.kinesis.describe_stream_summary(StreamName=settings.stream_name)
    stream_arn = str(summary["StreamDescriptionSummary"]["StreamARN"])
    role = f"arn:aws:iam::{account_of(stream_arn)}:role/{settings.consumer_function_name}-role"
    return StreamSource(stream_arn, settings.region, role)


def account_of(arn: str) -> str:
    return arn.split(":")[4]


@dataclass
class ShardCursor:
    """Where a shard is read from: the checkpoint, the live iterator, and the record being retried."""

    shard_id: str
    kind: str  # the iterator type that restarts from the checkpoint
    sequence: str | None = None  # the checkpoint's sequence number (None at TRIM_HORIZON / LATEST)
    iterator: str | None = None
    failing: str | None = None  # the sequence number redelivered from, while it keeps failing
    attempts: int = 0
    closed: bool = False
    read_at: float = 0.0  # time.monotonic() of the last GetRecords

    def advance(self, last_sequence: str, next_iterator: str | None) -> None:
        """Checkpoint after `last_sequence` and read on from `next_iterator`."""
        self.kind, self.sequence = "AFTER_SEQUENCE_NUMBER", last_sequence
        self.iterator, self.failing, self.attempts = next_iterator, None, 0
        self.closed = next_iterator is None

    def retry_from(self, sequence: str) -> int:
        """Redeliver from `sequence` on the next read; how many deliveries in a row it has failed."""
        self.attempts = self.attempts + 1 if self.failing == sequence else 1
        self.failing = sequence
        self.kind, self.sequence, self.iterator = "AT_SEQUENCE_NUMBER", sequence, None
        return self.attempts


class ShardReader:
    """A cursor per shard of the settings' stream; new shards start at `starting_position`."""

    def __init__(self, clients: AwsClients, starting_position: str, batch_size: int) -> None:
        self.clients, self.starting_position, self.batch_size = clients, starting_position, batch_size
        self.cursors: dict[str, ShardCursor] = {}

    def open_cursors(self) -> list[ShardCursor]:
        """Every shard not yet read to its end (a closed shard after resharding is left behind)."""
        paginator = self.clients.kinesis.get_paginator("list_shards")
        for page in paginator.paginate(StreamName=self.clients.settings.stream_name):
            for shard in page["Shards"]:
                shard_id = shard["ShardId"]
                self.cursors.setdefault(shard_id, ShardCursor(shard_id, self.starting_position))
        return [cursor for cursor in self.cursors.values() if not cursor.closed]

    def retrying(self) -> bool:
        return any(cursor.failing for cursor in self.cursors.values())

    def ensure_iterator(self, cursor: ShardCursor) -> None:
        """Take the cursor's position now (LATEST means: from this moment on)."""
        if cursor.iterator is None:
            cursor.iterator = self._iterator(cursor)

    def read(self, cursor: ShardCursor) -> tuple[list[dict[str, Any]], str | None]:
        """Up to batch_size records from the cursor, and the iterator that follows them."""
        if cursor.iterator is None:
            cursor.iterator = self._iterator(cursor)
        time.sleep(max(0.0, cursor.read_at + READ_GAP_SECONDS - time.monotonic()))
        cursor.read_at = time.monotonic()
        page = self.clients.kinesis.get_records(ShardIterator=cursor.iterator, Limit=self.batch_size)
        records = [dict(record) for record in page.get("Records", [])]
        next_iterator = page.get("NextShardIterator")
        if not records:
            cursor.iterator, cursor.closed = next_iterator, next_iterator is None
        return records, next_iterator

    def _iterator(self, cursor: ShardCursor) -> str:
        start: dict[str, Any] = {"StartingSequenceNumber": cursor.sequence} if cursor.sequence else {}
        answer = self.clients.kinesis.get_shard_iterator(
            StreamName=self.clients.settings.stream_name, ShardId=cursor.shard_id,
            ShardIteratorType=cursor.kind, **start,  # type: ignore[arg-type]  # one of Kinesis's names
        )
        return str(answer["ShardIterator"])
