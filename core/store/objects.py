"""Images in S3 under content-addressed keys, and short-lived links to them."""

from __future__ import annotations

import threading
import zlib

from core.aws import AwsClients
from core.aws.backoff import attempts
from core.aws.errors import aws_call
from core.errors import ConditionFailed, ObjectWriteConflict

# S3's 409 to a conditional write racing another of the key: retried with backoff from 100 ms (at most
# 3.1 s of pauses), since the other write may yet fail and leave the key empty.
CONFLICT_ATTEMPTS = 6
CONFLICT_FIRST_SECONDS = 0.1


# One writer per key in this process: workers holding the same image (a batch of one photo sent many times)
# take turns instead of racing, which S3 answers with 409; the later ones then get the quick 412. Striped, so
# it never grows; unrelated keys rarely share a stripe among a few workers. Other processes' races are the
# retries' to absorb.
_WRITERS = [threading.Lock() for _ in range(64)]


def put_once(clients: AwsClients, key: str, data: bytes, content_type: str) -> None:
    """Write `data` at `key` unless it is already there (keys are content hashes: same key, same bytes)."""
    with _WRITERS[zlib.crc32(key.encode()) % len(_WRITERS)]:
        _put_once(clients, key, data, content_type)


def _put_once(clients: AwsClients, key: str, data: bytes, content_type: str) -> None:
    bucket = clients.settings.bucket_name
    for attempt in attempts(CONFLICT_ATTEMPTS, CONFLICT_FIRST_SECONDS):
        try:
            with aws_call(f"bucket {bucket}"):
                clients.s3.put_object(
                    Bucket=bucket, Key=key, Body=data, ContentType=content_type, IfNoneMatch="*"
                )
            return
        except ConditionFailed:
            return  # S3 answers 412 to If-None-Match: * when the key exists
        except ObjectWriteConflict:
            if attempt == CONFLICT_ATTEMPTS - 1:
                raise


def names_object(clients: AwsClients, url: str | None, key: str) -> bool:
    """Whether `url` is the s3:// address of `key` in our bucket (an original sent again by its own key)."""
    return url == f"s3://{clients.settings.bucket_name}/{key}"


def presigned_url(clients: AwsClients, key: str, usable_for: int = 0) -> str:
    """A GET link valid for PRESIGN_SECONDS, so image bytes never pass through the dashboard, and usable
    for at least `usable_for` seconds: its own expiry and its credentials' session both last that long."""
    return str(
        clients.s3_signing_for(usable_for).generate_presigned_url(
            "get_object",
            Params={"Bucket": clients.settings.bucket_name, "Key": key},
            ExpiresIn=max(clients.settings.presign_seconds, usable_for),
        )
    )


def list_keys(clients: AwsClients, prefix: str, limit: int = 100) -> list[str]:
    """Keys under `prefix` (first `limit`), e.g. the sample images the test-event form offers."""
    bucket = clients.settings.bucket_name
    with aws_call(f"bucket {bucket}"):
        listing = clients.s3.list_objects_v2(Bucket=bucket, Prefix=prefix, MaxKeys=limit)
    return [item["Key"] for item in listing.get("Contents", [])]
