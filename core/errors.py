"""Our own exceptions. Callers branch on these types, never on message text.

`EventRejected` and its subclasses are permanent: the event itself is bad, so it is recorded as
failed with the message as its reason. `StoreUnavailable` is transient: our own store did not answer,
so the caller retries (Lambda reports the record as a batch item failure).
"""

from __future__ import annotations


class ImageProcessorError(Exception):
    """Base of every error this project raises on purpose."""


class EventRejected(ImageProcessorError):
    """The event can never succeed as sent; its message is the reason a person reads."""


class InvalidEvent(EventRejected):
    """The payload is not JSON or does not match the event schema."""


class FetchRefused(EventRejected):
    """The URL is not allowed: scheme, host or resolved address (SSRF guard)."""


class FetchFailed(EventRejected):
    """The source answered, but not with an image we can use (404, timeout, too many bytes…)."""


class ImageError(EventRejected):
    """The bytes are not a usable image."""


class NotAnImage(ImageError):
    """Pillow does not recognise the bytes as an image."""


class ImageTooLarge(ImageError):
    """The image exceeds the byte or pixel limit from the settings."""


class UnsupportedImage(ImageError):
    """A recognised image Pillow cannot decode or convert (truncated, exotic mode…)."""


class StoreUnavailable(ImageProcessorError):
    """Our own store (S3, DynamoDB) failed transiently; retrying may succeed."""


class StoreMisconfigured(StoreUnavailable):
    """The bucket, table or stream is missing or forbidden: a person must act, and retrying is safe."""
