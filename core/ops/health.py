"""What the Health page shows: which backend, whether each resource answers, and the consumer's lag."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from core.aws import AwsClients
from core.aws.errors import aws_call
from core.errors import StoreError


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
    """One cheap call per resource; a failure is reported, never raised."""
    names = clients.settings
    checks: list[tuple[str, str, Callable[[], str]]] = [
        ("S3 bucket", names.bucket_name, lambda: _bucket(clients)),
        ("DynamoDB table", names.table_name, lambda: _table(clients)),
        ("Kinesis stream", names.stream_name, lambda: _stream(clients)),
        ("Log group", names.consumer_log_group, lambda: _log_group(clients)),
        ("On-failure queue", names.failure_queue_name, lambda: _queue(clients)),
    ]
    return [_check(resource, name, probe) for resource, name, probe in checks]


def _check(resource: str, name: str, probe: Callable[[], str]) -> ResourceCheck:
    try:
        with aws_call(f"{resource} {name}"):
            return ResourceCheck(resource, name, True, probe())
    except (StoreError, LookupError) as exc:
        return ResourceCheck(resource, name, False, str(exc) or type(exc).__name__)


def _bucket(clients: AwsClients) -> str:
    clients.s3.head_bucket(Bucket=clients.settings.bucket_name)
    return "reachable"


def _table(clients: AwsClients) -> str:
    table = clients.dynamodb.describe_table(TableName=clients.settings.table_name)["Table"]
    return f"{table['TableStatus']}, ~{table.get('ItemCount', 0)} items"


def _stream(clients: AwsClients) -> str:
    summary = stream_summary(clients)
    return f"{summary['StreamStatus']}, {summary['OpenShardCount']} open shard(s)"


def stream_summary(clients: AwsClients) -> dict[str, Any]:
    response = clients.kinesis.describe_stream_summary(StreamName=clients.settings.stream_name)
    return dict(response["StreamDescriptionSummary"])


def _log_group(clients: AwsClients) -> str:
    group = clients.settings.consumer_log_group
    found = clients.logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"]
    if not any(g["logGroupName"] == group for g in found):
        raise LookupError("does not exist yet (the consumer creates it when it first runs)")
    return "exists"


def _queue(clients: AwsClients) -> str:
    return f"{queue_depth(clients)} message(s) waiting"


def queue_depth(clients: AwsClients) -> int:
    """Messages on the on-failure queue: batches the consumer gave up on (StoreError if unreachable)."""
    name = clients.settings.failure_queue_name
    with aws_call(f"queue {name}", setting="FAILURE_QUEUE_NAME"):
        url = clients.sqs.get_queue_url(QueueName=name)["QueueUrl"]
        attributes = clients.sqs.get_queue_attributes(
            QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"]
        )["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"])


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
