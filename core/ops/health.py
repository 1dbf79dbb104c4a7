"""What the Health page shows: which backend, whether each resource answers, and the consumer's lag."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from core.aws import AwsClients
from core.aws.errors import aws_call
from core.errors import StoreError
from core.ops.resources import RESOURCES, Checked
from core.ops.resources import queue_depth as queue_depth  # the Health page shows it


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
