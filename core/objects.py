"""Images in S3 under content-addressed keys, and short-lived links to them."""

from __future__ import annotations

from botocore.exceptions import BotoCoreError, ClientError

from core.aws import AwsClients
from core.awserrors import error_code, store_error

# S3 answers 412 to If-None-Match: * when the key exists; same key means same bytes here.
_ALREADY_STORED = {"PreconditionFailed", "412", "ConditionalRequestConflict"}


def put_once(clients: AwsClients, key: str, data: bytes, content_type: str) -> None:
    """Write `data` at `key` unless it is already there (keys are content hashes)."""
    try:
        clients.s3.put_object(
            Bucket=clients.settings.bucket_name,
            Key=key,
            Body=data,
            ContentType=content_type,
            IfNoneMatch="*",
        )
    except ClientError as exc:
        if error_code(exc) not in _ALREADY_STORED:
            raise store_error(exc, f"bucket {clients.settings.bucket_name}") from exc
    except BotoCoreError as exc:
        raise store_error(exc, f"bucket {clients.settings.bucket_name}") from exc


def delete(clients: AwsClients, key: str) -> None:
    try:
        clients.s3.delete_object(Bucket=clients.settings.bucket_name, Key=key)
    except (ClientError, BotoCoreError) as exc:
        raise store_error(exc, f"bucket {clients.settings.bucket_name}") from exc


def presigned_url(clients: AwsClients, key: str) -> str:
    """A GET link valid for PRESIGN_SECONDS, so image bytes never pass through the dashboard."""
    return str(
        clients.s3.generate_presigned_url(
            "get_object",
            Params={"Bucket": clients.settings.bucket_name, "Key": key},
            ExpiresIn=clients.settings.presign_seconds,
        )
    )


def list_keys(clients: AwsClients, prefix: str, limit: int = 100) -> list[str]:
    """Keys under `prefix` (first `limit`), e.g. the sample images the test-event form offers."""
    try:
        listing = clients.s3.list_objects_v2(
            Bucket=clients.settings.bucket_name, Prefix=prefix, MaxKeys=limit
        )
    except (ClientError, BotoCoreError) as exc:
        raise store_error(exc, f"bucket {clients.settings.bucket_name}") from exc
    return [item["Key"] for item in listing.get("Contents", [])]
