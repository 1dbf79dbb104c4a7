"""Our own exceptions. Callers branch on these types and on `retryable`, never on message text.

Two families, by whose fault it is. `EventRejected`: the event's (its payload, its source, its image); it is
recorded as a failed event with the message as its reason. `StoreError`: our own store's (an AWS service we
depend on); nothing is recorded and the caller tries again (Lambda delivers the record again).
Across both, `retryable` says whether the same work may succeed later with nobody acting: a source or a
store that failed for now, against a bad image or a missing permission. Failures of AWS calls become these
in one place, core/aws/errors.py.
"""

from __future__ import annotations

from typing import ClassVar


class ImageProcessorError(Exception):
    """Base of every error this project raises on purpose."""

    retryable: ClassVar[bool] = False  # may succeed later with nobody acting


class EventRejected(ImageProcessorError):
    """The event failed as sent; its message is the reason a person reads. A retryable one (its source failed
    for now) is recorded as failed all the same, and a person may retry it."""


class InvalidEvent(EventRejected):
    """The payload is not JSON or does not match the event schema."""


class FetchRefused(EventRejected):
    """The URL is not allowed: scheme, host or resolved address (SSRF guard)."""


class FetchFailed(EventRejected):
    """The source answered, but not with an image we can use (404, not an image, too many bytes…)."""


class SourceUnavailable(FetchFailed):
    """A fetch that failed for now (the source's 5xx, 429 or 408, a timeout, a refused or broken connection, a
    DNS lookup that got no answer): recorded as failed, and retryable, since the source may recover."""

    retryable = True


class FetcherFault(ImageProcessorError):
    """The fetch failed in our own code (a socket misused), not at the source: never recorded against the
    event; Lambda delivers it again."""

    retryable = True


class ImageError(EventRejected):
    """The bytes are not a usable image."""


class NotAnImage(ImageError):
    """Pillow does not recognise the bytes as an image."""


class ImageTooLarge(ImageError):
    """The image exceeds the byte or pixel limit from the settings."""


class UnsupportedImage(ImageError):
    """A recognised image Pillow cannot decode or convert (truncated, exotic mode…)."""


class StoreError(ImageProcessorError):
    """Our own side failed (the store, or a batch's room for fetched images): the work is tried again (it is
    safe to), the event is not blamed."""


class StoreUnavailable(StoreError):
    """An AWS service we depend on failed transiently (throttled, 5xx, timed out); retrying may succeed."""

    retryable = True


class TransactionConflict(StoreError):
    """DynamoDB cancelled a transaction that overlapped another on the same item; retry after a pause."""

    retryable = True


class ObjectWriteConflict(StoreError):
    """S3 answered a conditional write while another conditional write of the same key was under way (409
    ConditionalRequestConflict): nothing is known of the key yet; retry after a pause."""

    retryable = True


class NoRoom(StoreError):
    """The batch's room for fetched images (FETCH_MEMORY_BYTES) stayed full until a fetch's deadline; the
    source is not blamed, and delivering the record again may succeed."""

    retryable = True


class CredentialsEnding(StoreError):
    """The temporary credentials (a task role's session) end before a presigned link would be used, and fresh
    ones are not out yet; the role's credentials rotate, so asking again shortly succeeds."""

    retryable = True


class StoreMisconfigured(StoreError):
    """A person must act (missing resource, no permission, bad credentials); retrying is safe, not enough."""


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
