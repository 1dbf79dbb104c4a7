"""Turn botocore failures of our own store into our exceptions, so callers branch on types."""

from __future__ import annotations

from botocore.exceptions import BotoCoreError, ClientError

from core.errors import StoreMisconfigured, StoreUnavailable

_MISCONFIGURED = {
    "ResourceNotFoundException",
    "NoSuchBucket",
    "AccessDenied",
    "AccessDeniedException",
    "UnrecognizedClientException",
    "InvalidAccessKeyId",
    "ExpiredToken",
    "ExpiredTokenException",
}


def error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def store_error(exc: ClientError | BotoCoreError, what: str) -> StoreUnavailable:
    """The exception to raise for a failed call on our own store; `what` names the resource."""
    if isinstance(exc, ClientError) and error_code(exc) in _MISCONFIGURED:
        return StoreMisconfigured(
            f"{what} is missing or not allowed ({error_code(exc)}): check the settings "
            "and credentials, or run `python -m core provision`"
        )
    return StoreUnavailable(f"{what} did not answer ({_describe(exc)}); retrying may succeed")


def _describe(exc: ClientError | BotoCoreError) -> str:
    if isinstance(exc, ClientError):
        return error_code(exc) or "error"
    return type(exc).__name__
