"""Put image events on the Kinesis stream: one at a time, or many with per-record resends."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from core.aws import AwsClients
from core.aws.backoff import attempts
from core.aws.batching import runs
from core.aws.errors import aws_call
from core.errors import ImageProcessorError

if TYPE_CHECKING:
    from mypy_boto3_kinesis.type_defs import PutRecordsRequestEntryTypeDef

MAX_RECORDS_PER_CALL = 500
MAX_BYTES_PER_CALL = 5 * 1024 * 1024  # data + partition keys, as Kinesis counts it
BACKOFF_FIRST_SECONDS = 0.2  # the first retry's ceiling, doubling after
BACKOFF_CAP_SECONDS = 5.0


class SendFailed(ImageProcessorError):
    """Kinesis kept refusing some records (after every resend) or refused them outright."""


@dataclass(frozen=True)
class SentRecord:
    shard_id: str
    sequence_number: str
    partition_key: str


def encode_event(image_url: str, description: str) -> bytes:
    """The wire payload, exactly `{"ImageUrl": ..., "Description": ...}` as UTF-8 JSON."""
    document = {"ImageUrl": image_url, "Description": description}
    return json.dumps(document, ensure_ascii=False).encode("utf-8")


def send_raw(clients: AwsClients, data: bytes, partition_key: str | None = None) -> SentRecord:
    """Put any bytes on the stream as one record."""
    key = partition_key or _random_key()
    stream = clients.settings.stream_name
    with _stream_call(stream):
        response = clients.kinesis.put_record(StreamName=stream, Data=data, PartitionKey=key)
    return SentRecord(response["ShardId"], response["SequenceNumber"], key)


def send_events(
    clients: AwsClients,
    payloads: Sequence[bytes],
    partition_key: str | None = None,
    *,
    max_attempts: int = 5,
    on_progress: Callable[[int, int], object] | None = None,
) -> list[SentRecord]:
    """Put many records with PutRecords; results in input order. `on_progress(done, total)`."""
    if max_attempts < 1:
        raise ValueError(f"max_attempts must be at least 1, not {max_attempts}")
    records = [(data, partition_key or _random_key()) for data in payloads]
    sent: dict[int, SentRecord] = {}
    for chunk in _chunks(records):
        sent |= _send_chunk(clients, {i: records[i] for i in chunk}, max_attempts)
        if on_progress:
            on_progress(len(sent), len(records))
    return [sent[i] for i in range(len(records))]


def _send_chunk(
    clients: AwsClients, chunk: dict[int, tuple[bytes, str]], max_attempts: int
) -> dict[int, SentRecord]:
    """Send a chunk; resend only the records Kinesis reports failed, backing off between tries."""
    sent: dict[int, SentRecord] = {}
    pending, codes = list(chunk), []
    for _ in attempts(max_attempts, BACKOFF_FIRST_SECONDS, BACKOFF_CAP_SECONDS):
        answers = _put_records(clients, [chunk[i] for i in pending])
        for index, answer in zip(pending, answers, strict=True):
            if "ErrorCode" in answer:
                codes.append(answer["ErrorCode"])
            else:
                sent[index] = SentRecord(answer["ShardId"], answer["SequenceNumber"], chunk[index][1])
        pending = [i for i in pending if i not in sent]
        if not pending:
            return sent
    raise SendFailed(
        f"{len(pending)} record(s) still refused after {max_attempts} attempts ({codes[-1]}); "
        "the stream is busy: send them again later or add shards"
    )


def _put_records(clients: AwsClients, records: list[tuple[bytes, str]]) -> list[dict[str, Any]]:
    stream = clients.settings.stream_name
    entries: list[PutRecordsRequestEntryTypeDef] = [
        {"Data": data, "PartitionKey": key} for data, key in records
    ]
    with _stream_call(stream):
        answer = clients.kinesis.put_records(StreamName=stream, Records=entries)
    return [dict(record) for record in answer["Records"]]


def _stream_call(stream: str) -> AbstractContextManager[None]:
    return aws_call(f"stream {stream}", setting="STREAM_NAME")


def _chunks(records: list[tuple[bytes, str]]) -> Iterator[list[int]]:
    """Indices in runs Kinesis takes in one call (data and partition key count towards the bytes)."""
    def size_of(index: int) -> int:
        data, key = records[index]
        return len(data) + len(key.encode("utf-8"))

    return runs(range(len(records)), size_of, MAX_RECORDS_PER_CALL, MAX_BYTES_PER_CALL)



def _random_key() -> str:
    # A fresh key per record spreads records over every shard.
    return uuid.uuid4().hex
