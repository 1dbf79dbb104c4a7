"""Replaying what the consumer gave up on (`python -m core replay`), an operator's command.

When Lambda stops retrying a batch (MaximumRetryAttempts, MaximumRecordAgeInSeconds) it sends the
batch's metadata, not its records, to the on-failure queue: the shard and the first and last sequence
numbers. The records themselves stay on the stream for its retention period (24 hours by default), so
each message is read back from the stream and its records go through the consumer's own batch path
(core.ingest.batch: a record kept meanwhile is left as it is). A message is deleted once all
its records are kept; one whose records the stream no longer holds is left on the queue and reported.

The command line and the dashboard's Health page both run `replay`, each with its own progress callback,
and say what it did with `summary`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from core.aws import AwsClients
from core.aws.errors import aws_call
from core.errors import RequestRefused, ResourceMissing
from core.ingest.batch import Outcome, run, stream_job
from core.ingest.origin import Origin, stream_event_id
from core.models import EventSource, EventStatus
from core.ops.resources import FAILURE_QUEUE

REPLAY_REQUEST = "replay"  # the request id a replayed event records, in place of Lambda's
MOST = 100  # messages one replay takes at most, unless told otherwise
VISIBILITY_SECONDS = 300  # how long a message being replayed stays hidden from another replay
# Long enough for SQS to look on all its servers (a short poll samples some and may miss a message).
WAIT_SECONDS = 1


class BatchInfo(BaseModel):
    """The records Lambda gave up on: a contiguous range of one shard."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    shard_id: str = Field(alias="shardId")
    first: str = Field(alias="startSequenceNumber")
    last: str = Field(alias="endSequenceNumber")
    size: int = Field(alias="batchSize", ge=1)
    stream_arn: str = Field(alias="streamArn")
    first_arrival: datetime | None = Field(None, alias="approximateArrivalOfFirstRecord")

    def __str__(self) -> str:
        return f"{self.shard_id} {self.first}…{self.last}"


class FailureRecord(BaseModel):
    """Lambda's invocation record for a Kinesis batch, as its on-failure destination receives it."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    batch: BatchInfo = Field(alias="KinesisBatchInfo")


@dataclass
class Replayed:
    messages: int = 0  # on-failure messages replayed and deleted
    records: int = 0
    stored: int = 0
    failed: int = 0
    already_kept: int = 0  # stored (or failed) since: left as they were
    left: list[str] = field(default_factory=list)  # why a message stayed on the queue, one line each


def replay(
    clients: AwsClients, most: int = MOST, progress: Callable[[Replayed], None] | None = None
) -> Replayed:
    """Replay up to `most` messages of the on-failure queue into the store; `progress` is told the figures
    after each message."""
    queue = queue_url(clients)
    done = Replayed()
    left: list[str] = []  # receipt handles of the messages left on the queue
    try:
        for message in _messages(clients, queue, most):
            if _replay_one(clients, queue, message, done):
                done.messages += 1
            else:
                left.append(message["ReceiptHandle"])
            if progress:
                progress(done)
    finally:
        _release(clients, queue, left)
    return done


def _replay_one(clients: AwsClients, queue: str, message: dict[str, Any], done: Replayed) -> bool:
    """One message's records into the store; whether the message was deleted (else why is in done.left)."""
    try:
        batch = FailureRecord.model_validate_json(message["Body"]).batch
    except ValidationError:
        done.left.append(f"message {message['MessageId']} is not Lambda's on-failure record of a Kinesis "
                         "batch; left on the queue")
        return False
    records = list(_read_range(clients, batch))
    _count(done, run(clients, [stream_job(record["Data"], _origin(batch.shard_id, record))
                               for record in records]))
    if len(records) < batch.size:
        done.left.append(f"{batch}: {len(records)} of {batch.size} records are still on the stream (the "
                         "rest are past its retention, or the stream is gone); the message is left on "
                         "the queue")
        return False
    with queue_call(clients):
        clients.sqs.delete_message(QueueUrl=queue, ReceiptHandle=message["ReceiptHandle"])
    return True


def _release(clients: AwsClients, queue: str, receipts: list[str]) -> None:
    """Messages left on the queue visible again at once (not after VISIBILITY_SECONDS), so the queue's depth
    counts them and the next replay sees them; only at the end, or this replay would receive them again."""
    for receipt in receipts:
        with queue_call(clients):
            clients.sqs.change_message_visibility(QueueUrl=queue, ReceiptHandle=receipt, VisibilityTimeout=0)


def summary(done: Replayed) -> str:
    """What a replay did, in one line (the command line's progress, the Health page's result)."""
    return (f"{_counted(done.records, 'record')} replayed ({done.stored} stored, {done.failed} failed, "
            f"{done.already_kept} kept already); {_counted(done.messages, 'message')} done, "
            f"{len(done.left)} left")


def _counted(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _count(done: Replayed, outcomes: list[Outcome]) -> None:
    """Add a message's records to the figures; StoreError if our store left any of them unwritten."""
    errors = [outcome.error for outcome in outcomes if outcome.error is not None]
    if errors:
        raise errors[0]
    done.records += len(outcomes)
    statuses = [outcome.status for outcome in outcomes]
    done.already_kept += statuses.count("repeat")
    done.stored += statuses.count(EventStatus.STORED.value)
    done.failed += statuses.count(EventStatus.FAILED.value)


def queue_url(clients: AwsClients) -> str:
    with queue_call(clients):
        return str(clients.sqs.get_queue_url(QueueName=FAILURE_QUEUE.name(clients.settings))["QueueUrl"])


def queue_call(clients: AwsClients) -> AbstractContextManager[None]:
    """A call to the on-failure queue, its errors naming the queue and the setting that names it."""
    return aws_call(f"queue {FAILURE_QUEUE.name(clients.settings)}", setting=FAILURE_QUEUE.setting)


def _messages(clients: AwsClients, queue: str, most: int) -> Iterator[dict[str, Any]]:
    seen = 0
    while seen < most:
        with queue_call(clients):
            answer = clients.sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=min(10, most - seen),
                                                 VisibilityTimeout=VISIBILITY_SECONDS,
                                                 WaitTimeSeconds=WAIT_SECONDS)
        messages = answer.get("Messages", [])
        if not messages:
            return
        seen += len(messages)
        yield from (dict(message) for message in messages)


def _read_range(clients: AwsClients, batch: BatchInfo) -> Iterator[dict[str, Any]]:
    """The shard's records from the batch's first sequence number to its last, those the stream still has."""
    last = int(batch.last)
    try:
        with aws_call(f"stream {batch.stream_arn}", setting="STREAM_NAME"):
            iterator = clients.kinesis.get_shard_iterator(
                StreamARN=batch.stream_arn, ShardId=batch.shard_id, ShardIteratorType="AT_SEQUENCE_NUMBER",
                StartingSequenceNumber=batch.first,
            ).get("ShardIterator")
    except (RequestRefused, ResourceMissing):  # trimmed past its retention, or the stream or shard is gone
        return
    while iterator:
        with aws_call(f"stream {batch.stream_arn}", setting="STREAM_NAME"):
            answer = clients.kinesis.get_records(ShardIterator=iterator, Limit=min(10_000, batch.size),
                                                 StreamARN=batch.stream_arn)
        for record in answer.get("Records", []):
            if int(record["SequenceNumber"]) > last:
                return
            yield dict(record)
        if not answer.get("Records") and not answer.get("MillisBehindLatest"):
            return  # at the shard's end
        iterator = answer.get("NextShardIterator")


def _origin(shard: str, record: dict[str, Any]) -> Origin:
    """The record's origin as the consumer names it, so a record it kept meanwhile is recognised."""
    sequence = str(record["SequenceNumber"])
    return Origin(stream_event_id(shard, sequence), record["ApproximateArrivalTimestamp"], EventSource.STREAM,
                  shard, sequence, REPLAY_REQUEST)
