"""What the Health page shows: which backend, whether each resource answers, the consumer's lag and the
on-failure queue."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from pydantic import ValidationError

from core import clock
from core.aws import AwsClients
from core.aws.errors import aws_call
from core.errors import StoreError
from core.ops import replay
from core.ops.resources import RESOURCES, STREAM, Checked

# The oldest message is looked for among at most this many receives of 10 messages each.
LOOKS = 5


@dataclass(frozen=True)
class Backend:
    kind: str  # "embedded emulator", "custom endpoint" or "AWS"
    endpoint: str
    region: str
    account: str | None


@dataclass(frozen=True)
class ResourceCheck:
    resource: str
    name: str
    ok: bool
    detail: str


def backend(clients: AwsClients) -> Backend:
    """Where the clients point: boto3's resolved endpoint, and the account STS reports."""
    endpoint = str(clients.s3.meta.endpoint_url)
    host = urlsplit(endpoint).hostname or ""
    if _is_loopback(host):
        return Backend("embedded emulator", endpoint, clients.settings.region, None)
    try:
        with aws_call("STS"):
            account = str(clients.sts.get_caller_identity()["Account"])
    except StoreError as exc:
        account = f"unknown ({type(exc).__name__})"
    kind = "AWS" if host.endswith(".amazonaws.com") else "custom endpoint"
    return Backend(kind, endpoint, clients.settings.region, account)


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_resources(clients: AwsClients) -> list[ResourceCheck]:
    """One cheap call per resource the Health page shows (core/ops/resources.py); a failure is reported,
    never raised."""
    return [_check(clients, resource) for resource in RESOURCES
            if isinstance(resource, Checked) and resource.on_health_page]


def _check(clients: AwsClients, resource: Checked) -> ResourceCheck:
    name = resource.name(clients.settings)
    try:
        with aws_call(f"{resource.label} {name}"):
            return ResourceCheck(resource.label, name, True, resource.check(clients))
    except (StoreError, LookupError) as exc:
        return ResourceCheck(resource.label, name, False, str(exc) or type(exc).__name__)


def consumer_lag_seconds(clients: AwsClients, window: timedelta = timedelta(minutes=5)) -> float | None:
    """Lambda's IteratorAge (max over the window) for the consumer; the local runner publishes it too."""
    end = datetime.now(UTC)
    try:
        with aws_call("CloudWatch metrics"):
            response = clients.cloudwatch.get_metric_statistics(
                Namespace="AWS/Lambda", MetricName="IteratorAge",
                Dimensions=[{"Name": "FunctionName", "Value": clients.settings.consumer_function_name}],
                # End a minute ahead: the current minute's datapoints count too.
                StartTime=end - window, EndTime=end + timedelta(minutes=1), Period=60, Statistics=["Maximum"],
            )
    except StoreError:
        return None
    points = response.get("Datapoints", [])
    return max(p["Maximum"] for p in points) / 1000 if points else None


@dataclass(frozen=True)
class FailureQueue:
    """The on-failure queue as the Health page shows it."""

    waiting: int  # what a replay would take now
    in_flight: int  # hidden while a replay works on them (replay.VISIBILITY_SECONDS at most)
    oldest_sent: datetime | None  # when the oldest message looked at reached the queue
    oldest_record: datetime | None  # when the oldest record those messages name reached the stream
    looked_at: int  # fewer than `waiting`: the oldest of those looked at, maybe not of all
    retention_hours: int | None  # how long the stream keeps a record: replay before then

    @property
    def replay_by(self) -> datetime | None:
        """When the stream lets go of the oldest record (and a replay can no longer store it)."""
        if self.oldest_record is None or self.retention_hours is None:
            return None
        return self.oldest_record + timedelta(hours=self.retention_hours)


def failure_queue(clients: AwsClients) -> FailureQueue:
    """The queue's depth from its attributes, and its oldest message from the messages themselves.

    Why not CloudWatch's ApproximateAgeOfOldestMessage: the local AWS publishes no SQS metrics, and in AWS it
    is published once a minute, and only while the queue is active. SQS stamps each message with SentTimestamp
    (the same moment the metric counts from), and Lambda's record names its batch's first arrival on the
    stream, which is what decides how long a replay can still store it. Looking costs one to LOOKS receives
    with a visibility timeout of 0, so nothing is hidden from a replay running meanwhile; the queue has no
    redrive policy, so the receive counts these add move nothing anywhere. StoreError if unreachable.
    """
    url = replay.queue_url(clients)
    with replay.queue_call(clients):
        attributes = clients.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=[
            "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"])["Attributes"]
    waiting = int(attributes["ApproximateNumberOfMessages"])
    messages = _look_at(clients, url, waiting) if waiting else []
    sent = [datetime.fromtimestamp(int(m["Attributes"]["SentTimestamp"]) / 1000, UTC)
            for m in messages]
    arrivals = [arrival for arrival in map(_first_arrival, messages) if arrival is not None]
    in_flight = int(attributes["ApproximateNumberOfMessagesNotVisible"])
    return FailureQueue(waiting, in_flight, min(sent, default=None), min(arrivals, default=None),
                        len(messages), _retention_hours(clients) if arrivals else None)


def _look_at(clients: AwsClients, url: str, waiting: int) -> list[dict[str, Any]]:
    """Distinct messages seen in up to LOOKS receives that leave them visible."""
    seen: dict[str, dict[str, Any]] = {}
    for _ in range(LOOKS):
        with replay.queue_call(clients):
            answer = clients.sqs.receive_message(
                QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=0,
                WaitTimeSeconds=replay.WAIT_SECONDS, MessageSystemAttributeNames=["SentTimestamp"])
        new = {m["MessageId"]: dict(m) for m in answer.get("Messages", []) if m["MessageId"] not in seen}
        seen |= new
        if not new or len(seen) >= waiting:
            break
    return list(seen.values())


def _first_arrival(message: dict[str, Any]) -> datetime | None:
    try:
        arrival = replay.FailureRecord.model_validate_json(message["Body"]).batch.first_arrival
    except ValidationError:
        return None  # not Lambda's record: replay reports it, and it names no records
    return clock.utc(arrival) if arrival else None


def _retention_hours(clients: AwsClients) -> int | None:
    name = STREAM.name(clients.settings)
    try:
        with aws_call(f"stream {name}", setting=STREAM.setting):
            found = clients.kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]
    except StoreError:
        return None  # the Resources table says what is wrong with the stream
    return int(found["RetentionPeriodHours"])
