"""Image links work in every region: SigV4 (S3 refuses SigV2 for buckets made since June 2020) on the
bucket's regional virtual-hosted endpoint (the global one redirects a bucket elsewhere)."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import boto3
import pytest

from core.aws import AwsClients
from core.settings import Settings
from core.store.objects import presigned_url

REGIONS = sorted(
    boto3.Session().get_available_regions("s3")
    + boto3.Session().get_available_regions("s3", partition_name="aws-cn")
    + boto3.Session().get_available_regions("s3", partition_name="aws-us-gov")
)


@pytest.fixture(autouse=True)
def no_endpoint_override(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)  # presigning needs no network: the real AWS host


@pytest.mark.parametrize("region", REGIONS)
def test_links_are_sigv4_on_the_buckets_regional_host(region: str) -> None:
    clients = AwsClients(Settings(AWS_REGION=region, bucket_name="image-processor-photos"))
    link = urlsplit(presigned_url(clients, "thumbnails/abc.webp"))
    query = parse_qs(link.query)
    suffix = "amazonaws.com.cn" if region.startswith("cn-") else "amazonaws.com"
    assert link.hostname == f"image-processor-photos.s3.{region}.{suffix}"
    assert link.path == "/thumbnails/abc.webp"
    assert query["X-Amz-Algorithm"] == ["AWS4-HMAC-SHA256"]
    assert f"/{region}/s3/aws4_request" in query["X-Amz-Credential"][0]
    assert "Signature" not in query and "AWSAccessKeyId" not in query  # nothing of SigV2


def test_a_link_lives_as_long_as_the_settings_say() -> None:
    clients = AwsClients(Settings(AWS_REGION="eu-west-1", presign_seconds=1200))
    assert parse_qs(urlsplit(presigned_url(clients, "k")).query)["X-Amz-Expires"] == ["1200"]
