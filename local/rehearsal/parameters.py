"""The parameter sets a rehearsal deploys: the defaults, and every option on. Each makes, as the administrator
of the local account, what its parameters name and an operator would already have (a stream, a key, a
certificate, a hosted zone, other buckets), then gives the parameters `make deploy` would pass."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from core.aws import AwsClients

# What infra/deploy.sh always passes: the parameters without a default (the deployer's address, the image).
REQUIRED = {"AllowedIngressCidr": "203.0.113.7/32", "DashboardImageTag": "rehearsal"}
DOMAIN = "images.example.com"
EXISTING_STREAM = "producers-events"  # an earlier system's stream, consumed in place
SOURCE_BUCKET = "rehearsal-legacy-images"


@dataclass(frozen=True)
class ParameterSet:
    name: str
    prepare: Callable[[AwsClients], dict[str, str]]  # makes what the parameters name; gives the parameters
    changed: dict[str, str]  # the update: parameters changed after the stack was created
    source_bucket: str | None = None  # another bucket s3:// events may name (SourceBuckets)


def defaults(clients: AwsClients) -> dict[str, str]:
    """No certificate: CloudFront serves the dashboard, so its origin-facing prefix list is named, found as
    infra/deploy.sh finds it."""
    lists = clients.client("ec2").describe_managed_prefix_lists(Filters=[
        {"Name": "prefix-list-name", "Values": ["com.amazonaws.global.cloudfront.origin-facing"]}])
    return REQUIRED | {"CloudFrontPrefixListId": str(lists["PrefixLists"][0]["PrefixListId"])}


def every_option(clients: AwsClients) -> dict[str, str]:
    """An existing stream under a customer managed key, another source bucket, a certificate of one's own
    and a hosted zone (the load balancer serves HTTPS and the login itself), open to every address, tracing,
    retention of images, events and logs, an alarm address."""
    key_arn = str(clients.client("kms").create_key(Description="the producers' stream")["KeyMetadata"]["Arn"])
    clients.kinesis.create_stream(StreamName=EXISTING_STREAM, ShardCount=1)
    clients.kinesis.get_waiter("stream_exists").wait(StreamName=EXISTING_STREAM, WaiterConfig={"Delay": 1})
    clients.kinesis.start_stream_encryption(StreamName=EXISTING_STREAM, EncryptionType="KMS", KeyId=key_arn)
    stream_arn = clients.kinesis.describe_stream_summary(StreamName=EXISTING_STREAM)[
        "StreamDescriptionSummary"]["StreamARN"]
    clients.s3.create_bucket(Bucket=SOURCE_BUCKET)
    return REQUIRED | {
        "StreamArn": stream_arn, "StreamKmsKeyArn": key_arn, "StartingPosition": "TRIM_HORIZON",
        "SourceBuckets": SOURCE_BUCKET, "AllowedIngressCidr": "0.0.0.0/0", "DomainName": DOMAIN,
        "CertificateArn": _certificate(clients), "HostedZoneId": _hosted_zone(clients),
        "EnableTracing": "true", "ImageRetentionDays": "90", "EventRetentionDays": "30",
        "LogRetentionInDays": "14", "AlarmEmail": "ops@example.com",
    }


def _certificate(clients: AwsClients) -> str:
    acm: Any = clients.client("acm")
    return str(acm.request_certificate(DomainName=DOMAIN, ValidationMethod="DNS")["CertificateArn"])


def _hosted_zone(clients: AwsClients) -> str:
    route53: Any = clients.client("route53")
    zone = route53.create_hosted_zone(Name="example.com", CallerReference="rehearsal")["HostedZone"]
    return str(zone["Id"]).rsplit("/", 1)[-1]


PARAMETER_SETS = (
    ParameterSet("defaults", defaults, {"EventRetentionDays": "7"}),
    ParameterSet("every option on", every_option, {"EnableTracing": "false"}, source_bucket=SOURCE_BUCKET),
)
