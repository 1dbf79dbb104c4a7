"""Our own exceptions. Callers branch on these types, never on message text.

`EventRejected` and its subclasses are recorded as a failed event with the message as its reason; all
are permanent but `SourceUnavailable` (the image source failed for now: a person may retry the event).
`StoreUnavailable` is transient: our own store did not answer, so the caller retries (Lambda reports the
record as a batch item failure). Failures of AWS calls become
these in one place, core/aws/errors.py.
"""

from __future__ import annotations


class ImageProcessorError(Exception):
    """Base of every error this project raises on purpose."""


class EventRejected(ImageProcessorError):
    """The event failed as sent (for good, but for SourceUnavailable); its message is the reason a person
    reads."""


class InvalidEvent(EventRejected):
    """The payload is not JSON or does not match the event schema."""


class FetchRefused(EventRejected):
    """The URL is not allowed: scheme, host or resolved address (SSRF guard)."""


class FetchFailed(EventRejected):
    """The source answered, but not with an image we can use (404, not an image, too many bytes…)."""


class SourceUnavailable(FetchFailed):
    """The image source failed for now (its 5xx, 429 or 408, a timeout, a refused or broken connection,
    a DNS lookup that got no answer): recorded as failed and retryable, since the source may recover."""


class ImageError(EventRejected):
    """The bytes are not a usable image."""


class NotAnImage(ImageError):
    """Pillow does not recognise the bytes as an image."""


class ImageTooLarge(ImageError):
    """The image exceeds the byte or pixel limit from the settings."""


class UnsupportedImage(ImageError):
    """A recognised image Pillow cannot decode or convert (truncated, exotic mode…)."""


class StoreUnavailable(ImageProcessorError):
    """An AWS service we depend on failed transiently (throttled, 5xx, timed out); retrying may succeed."""


class TransactionConflict(StoreUnavailable):
    """DynamoDB cancelled a transaction that overlapped another on the same item; retry after a pause."""


class StoreMisconfigured(StoreUnavailable):
    """A person must act (missing resource, no permission, bad credentials); retrying is safe."""


class ResourceMissing(StoreMisconfigured):
    """The bucket, key, table, stream, log group or queue does not exist."""


class AccessDenied(StoreMisconfigured):
    """IAM (or a bucket or key policy) does not allow the call."""


class CredentialsRejected(StoreMisconfigured):
    """AWS does not accept the credentials: unknown, expired or wrongly signed."""


class RequestRefused(StoreMisconfigured):
    """AWS refused the request itself as invalid (a bad parameter, a record too large)."""


class ConditionFailed(ImageProcessorError):
    """A conditional write found the item other than it required (it exists already, or not any more).

    Not a failure of the store: the caller decides what it means (a redelivery, an object already there).
    """


class AlreadyExists(ConditionFailed):
    """A create call named a resource that exists already."""
