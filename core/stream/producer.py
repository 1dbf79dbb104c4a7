"""Put image events on the Kinesis stream: one at a time, or many with per-record resends."""

from __future__ import annotations

import json
import uuid
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from core.aws import AwsClients
from core.aws.backoff import pause
from core.aws.batching import runs
from core.aws.errors import aws_call
from core.errors import ImageProcessorError

if TYPE_CHECKING:
    from mypy_boto3_kinesis.type_defs import PutRecordsRequestEntryTypeDef

MAX_RECORDS_PER_CALL = 500
MAX_BYTES_PER_CALL = 5 * 1024 * 1024  # data + partition keys, as Kinesis counts it
BACKOFF_FIRST_SECONDS = 0.2  # the first retry's ceiling, doubling after
BACKOFF_CAP_SECONDS = 5.0
THROTTLED = "ProvisionedThroughputExceededException"


@dataclass(frozen=True)
class SentRecord:
    shard_id: str
    sequence_number: str
    partition_key: str


@dataclass
class Progress:
    """How far a send has come: records on the stream, and the refusals it has resent so far."""

    done: int
    total: int
    throttled: int = 0  # refusals for the shard's write rate (ProvisionedThroughputExceededException)
    resent: int = 0  # records put again after any refusal
    codes: Counter[str] = field(default_factory=Counter)  # every refusal's ErrorCode, counted
    last_refusal: str = ""  # the latest refusal's ErrorMessage


class SendFailed(ImageProcessorError):
    """Kinesis kept refusing some records, so the send stopped: `unsent` holds the places in the input
    (0-based) of every record not on the stream, `sent` what did land (input order, None where unsent), so a
    caller can follow those and resend the others."""

    def __init__(self, message: str, unsent: list[int], sent: list[SentRecord | None]) -> None:
        super().__init__(message)
        self.unsent, self.sent = unsent, sent


def encode_event(image_url: str, description: str) -> bytes:
    """The wire payload, exactly `{"ImageUrl": ..., "Description": ...}` as UTF-8 JSON."""
    document = {"ImageUrl": image_url, "Description": description}
    return json.dumps(document, ensure_ascii=False).encode("utf-8")


def send_raw(clients: AwsClients, data: bytes, partition_key: str | None = None) -> SentRecord:
    """Put any bytes on the stream as one record (botocore resends it if the whole call is throttled)."""
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
    on_progress: Callable[[Progress], object] | None = None,
) -> list[SentRecord]:
    """Put many records with PutRecords; results in input order. Records Kinesis refuses (a shard over its
    write rate) are resent with full-jitter backoff for as long as each try lands some; SendFailed once
    `max_attempts` tries in a row land none. `on_progress` hears after every call."""
    if max_attempts < 1:
        raise ValueError(f"max_attempts must be at least 1, not {max_attempts}")
    records = [(data, partition_key or _random_key()) for data in payloads]
    sent: dict[int, SentRecord] = {}
    progress = Progress(0, len(records))
    for chunk in _chunks(records):
        chunk_records = {i: records[i] for i in chunk}
        stuck = _send_chunk(clients, chunk_records, max_attempts, sent, progress, on_progress)
        if stuck:
            raise _gave_up(progress, max_attempts, [sent.get(i) for i in range(len(records))])
    return [sent[i] for i in range(len(records))]


def _send_chunk(
    clients: AwsClients, chunk: dict[int, tuple[bytes, str]], max_attempts: int, sent: dict[int, SentRecord],
    progress: Progress, on_progress: Callable[[Progress], object] | None,
) -> list[int]:
    """Send a chunk into `sent`, resending only what Kinesis refused; the indices still refused at the end.
    A try that lands something counts as the first of a new streak: under a shard's write rate every try
    lands some, so a burst waits its turn instead of giving up."""
    pending, streak = list(chunk), 0
    while True:
        before = len(sent)
        for index, answer in zip(pending, _put_records(clients, [chunk[i] for i in pending]), strict=True):
            if "ErrorCode" in answer:
                progress.codes[str(answer["ErrorCode"])] += 1
                progress.last_refusal = str(answer.get("ErrorMessage", ""))
                progress.throttled += answer["ErrorCode"] == THROTTLED
            else:
                sent[index] = SentRecord(answer["ShardId"], answer["SequenceNumber"], chunk[index][1])
        pending = [i for i in pending if i not in sent]
        progress.done = len(sent)
        streak = 1 if len(sent) > before else streak + 1
        if on_progress:
            on_progress(progress)
        if not pending or streak >= max_attempts:
            return pending
        progress.resent += len(pending)
        pause(streak, BACKOFF_FIRST_SECONDS, BACKOFF_CAP_SECONDS)


def _gave_up(progress: Progress, max_attempts: int, sent: list[SentRecord | None]) -> SendFailed:
    unsent = [index for index, record in enumerate(sent) if record is None]
    codes = ", ".join(f"{code} ×{times}" for code, times in progress.codes.most_common())
    return SendFailed(
        f"{len(unsent)} of {progress.total} record(s) not sent (records {_spans(unsent)}, counting from 1): "
        f"Kinesis refused them {max_attempts} times in a row (refusals: {codes}; the last said "
        f"{progress.last_refusal!r}); {progress.done} landed. The stream is busy: send the rest again later "
        "or add shards",
        unsent, sent,
    )


def _spans(indices: list[int]) -> str:
    """1-based runs: [0, 1, 2, 5] → "1-3, 6"."""
    spans: list[list[int]] = []
    for index in sorted(indices):
        if spans and index == spans[-1][1] + 1:
            spans[-1][1] = index
        else:
            spans.append([index, index])
    return ", ".join(f"{a + 1}" if a == b else f"{a + 1}-{b + 1}" for a, b in spans)


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
