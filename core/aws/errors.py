"""The one translation of botocore's failures into ours, applied by `aws_call` at every AWS boundary.

Like httpx's exception map: one table from AWS error codes to our exception types, one context
manager that applies it. S3, DynamoDB, Kinesis, CloudWatch Logs and metrics, SQS and STS all pass
through it, so a code means the same thing wherever it comes back, and callers branch on our types.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    NoCredentialsError,
    ParamValidationError,
    PartialCredentialsError,
)

from core.errors import (
    AccessDenied,
    AlreadyExists,
    ConditionFailed,
    CredentialsRejected,
    ObjectWriteConflict,
    RequestRefused,
    ResourceMissing,
    StoreError,
    StoreUnavailable,
    TransactionConflict,
)

ErrorType = type[StoreError] | type[ConditionFailed]

# Error codes as S3 (its own names, and bare HTTP statuses for HEAD), DynamoDB, Kinesis, Logs, SQS,
# STS and CloudWatch send them. A code not listed here is judged by its HTTP status (_BY_STATUS).
CODES: dict[str, ErrorType] = {
    **dict.fromkeys(
        ("NoSuchBucket", "NoSuchKey", "NotFound", "404", "ResourceNotFoundException", "QueueDoesNotExist",
         "AWS.SimpleQueueService.NonExistentQueue", "NoSuchEntity"),
        ResourceMissing,
    ),
    **dict.fromkeys(
        ("AccessDenied", "AccessDeniedException", "AllAccessDisabled", "Forbidden", "403",
         "KMSAccessDeniedException", "UnauthorizedOperation", "AuthorizationError"),
        AccessDenied,
    ),
    **dict.fromkeys(
        ("InvalidAccessKeyId", "UnrecognizedClientException", "InvalidClientTokenId", "ExpiredToken",
         "ExpiredTokenException", "SignatureDoesNotMatch", "InvalidSignatureException",
         "MissingAuthenticationToken"),
        CredentialsRejected,
    ),
    **dict.fromkeys(("ConditionalCheckFailedException", "PreconditionFailed", "412"), ConditionFailed),
    # S3's 409: another conditional write of the key is under way. Its outcome is unknown, so this is not
    # a failed condition (412) but a conflict to retry.
    "ConditionalRequestConflict": ObjectWriteConflict,
    **dict.fromkeys(
        ("BucketAlreadyOwnedByYou", "ResourceInUseException", "ResourceAlreadyExistsException",
         "QueueAlreadyExists"),
        AlreadyExists,
    ),
    **dict.fromkeys(
        ("ThrottlingException", "Throttling", "ProvisionedThroughputExceededException",
         "RequestLimitExceeded", "SlowDown", "RequestTimeout", "InternalError", "InternalServerError",
         "InternalFailure", "ServiceUnavailable", "LimitExceededException", "KMSThrottlingException",
         "TransactionInProgressException"),
        StoreUnavailable,
    ),
    **dict.fromkeys(("TransactionConflict", "TransactionConflictException"), TransactionConflict),
    **dict.fromkeys(
        ("ValidationException", "InvalidArgumentException", "InvalidParameterException",
         "InvalidParameterValue", "InvalidParameterCombination", "SerializationException", "InvalidRequest",
         "InvalidBucketName", "KeyTooLongError", "EntityTooLarge", "MalformedPolicy", "InvalidArgument"),
        RequestRefused,
    ),
}
# The codes a cancelled DynamoDB transaction gives per item (CancellationReasons), read the same way.
_CANCELLED = {"ConditionalCheckFailed": ConditionFailed, "TransactionConflict": TransactionConflict,
              "ThrottlingError": StoreUnavailable, "ProvisionedThroughputExceeded": StoreUnavailable,
              "ValidationError": RequestRefused, "ItemCollectionSizeLimitExceeded": RequestRefused}
# Graver first: one item's throttling outranks another's failed condition, since retrying is needed.
_PRECEDENCE: list[ErrorType] = [
    RequestRefused, TransactionConflict, StoreUnavailable, ConditionFailed,
]


@contextmanager
def aws_call(what: str, setting: str = "") -> Iterator[None]:
    """Raise our exception for any botocore failure inside the block.

    `what` names the resource ("table image-processor-events"); `setting`, the variable that names it.
    """
    try:
        yield
    except ClientError as exc:
        raise translate(exc, what, setting) from exc
    except ParamValidationError as exc:  # botocore refused the request before sending it
        raise RequestRefused(f"{what}: the request is not valid ({exc})") from exc
    except (NoCredentialsError, PartialCredentialsError) as exc:
        raise CredentialsRejected(
            f"No usable AWS credentials for {what} ({exc}); set a profile, keys or a role"
        ) from exc
    except BotoCoreError as exc:  # connection refused or reset, timeouts, endpoint unreachable
        raise StoreUnavailable(f"{what} did not answer ({type(exc).__name__}); retrying may succeed") from exc


def translate(exc: ClientError, what: str, setting: str = "") -> StoreError | ConditionFailed:
    """The exception for one ClientError, with a message that names `what` and says what to do."""
    code = error_code(exc)
    kind = _cancelled_kind(exc) if code == "TransactionCanceledException" else CODES.get(code)
    kind = kind or _by_status(http_status(exc))
    return kind(_message(kind, exc, code or str(http_status(exc)), what, setting))


def error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def http_status(exc: ClientError) -> int:
    return int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)


def _cancelled_kind(exc: ClientError) -> ErrorType:
    reasons = [str(r.get("Code", "None")) for r in exc.response.get("CancellationReasons", [])]
    kinds = {_CANCELLED.get(reason, StoreUnavailable) for reason in reasons if reason != "None"}
    return next((kind for kind in _PRECEDENCE if kind in kinds), StoreUnavailable)


def _by_status(status: int) -> ErrorType:
    # 429 and 5xx are the service's trouble; any other 4xx is about the request, retried or not.
    if status == 429 or status >= 500 or status == 0:
        return StoreUnavailable
    return RequestRefused


def _message(kind: ErrorType, exc: ClientError, code: str, what: str, setting: str) -> str:
    detail = str(exc.response.get("Error", {}).get("Message", "") or "").strip()
    operation = exc.operation_name
    what = what[:1].upper() + what[1:]
    messages: dict[Any, str] = {
        ResourceMissing: f"{what} does not exist ({code}): check {setting or 'the settings'}, or run "
                         "`python -m core provision`",
        AccessDenied: f"Not allowed to call {operation} on {what} ({code}): check the IAM permissions",
        CredentialsRejected: f"AWS refused the credentials used for {what} ({code}): check the profile, "
                             "keys or role",
        RequestRefused: f"{what} refused {operation} ({code}{': ' + detail if detail else ''})",
        ConditionFailed: f"{what}: the condition of {operation} did not hold ({code})",
        AlreadyExists: f"{what} exists already ({code})",
        TransactionConflict: f"{what}: {operation} overlapped another transaction ({code}); retrying "
                             "may succeed",
        ObjectWriteConflict: f"{what}: {operation} overlapped another conditional write of the key ({code}); "
                             "retrying may succeed",
    }
    return messages.get(kind, f"{what} did not answer {operation} ({code}); retrying may succeed")
