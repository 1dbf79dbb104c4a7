"""Pydantic models at the edges: the wire event producers send and the event record we store."""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from datetime import datetime
from enum import StrEnum
from typing import Any
from urllib.parse import urlsplit

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, field_validator

from core.clock import utc
from core.errors import EventRejected

MAX_DESCRIPTION_CHARS = 500
MAX_URL_CHARS = 2048
MAX_REASON_CHARS = 1000  # of a failure reason, as stored
MAX_FILENAME_CHARS = 255  # of an uploaded file's name, as stored
ALLOWED_SCHEMES = ("http", "https", "s3")


class WireEvent(BaseModel):
    """What producers put on the stream: `{"ImageUrl": "...", "Description": "..."}`."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    image_url: str = Field(
        validation_alias=AliasChoices("ImageUrl", "imageUrl", "image_url"),
        max_length=MAX_URL_CHARS,
    )
    description: str = Field(
        validation_alias=AliasChoices("Description", "description"),
        min_length=1,
        max_length=MAX_DESCRIPTION_CHARS,
    )

    @field_validator("image_url")
    @classmethod
    def _url_is_fetchable(cls, url: str) -> str:
        return check_image_url(url)

    @field_validator("description")
    @classmethod
    def _description_is_text(cls, text: str) -> str:
        return check_description(text)


def check_description(text: str) -> str:
    """Plain text a person typed: not blank, no control characters but newline and tab."""
    if not text.strip():
        raise ValueError("must not be blank")
    if len(text) > MAX_DESCRIPTION_CHARS:
        raise ValueError(f"longer than {MAX_DESCRIPTION_CHARS} characters")
    if any(unicodedata.category(c) == "Cc" and c not in "\n\t" for c in text):
        raise ValueError("must not contain control characters")
    if _has_lone_surrogate(text):
        raise ValueError("contains invalid Unicode (a lone surrogate)")
    return text


def text_only(text: str) -> str:
    """`text` with lone surrogates (which JSON allows and UTF-8 does not) replaced, so it can be stored."""
    return text.encode("utf-8", "replace").decode("utf-8")


def printable(text: str) -> str:
    """`text` as it can be stored and shown: lone surrogates and control characters (but newline and tab)
    replaced by U+FFFD, so a refused field is kept without what it was refused for."""
    return "".join("\ufffd" if unicodedata.category(c) == "Cc" and c not in "\n\t" else c
                   for c in text_only(text))


def _has_lone_surrogate(text: str) -> bool:
    return any("\ud800" <= c <= "\udfff" for c in text)


def check_image_url(url: str) -> str:
    """Refuse what can never be fetched: other schemes, no host, embedded credentials."""
    # Control characters (CR, LF, NUL…) could smuggle headers into the request; spaces get escaped later.
    if _has_lone_surrogate(url) or any(unicodedata.category(c) == "Cc" for c in url):
        raise ValueError("must not contain control characters or invalid Unicode")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError as exc:
        raise ValueError(f"is not a valid URL ({exc})") from None
    scheme = parts.scheme.lower()
    if scheme not in ALLOWED_SCHEMES:
        shown = f"'{scheme}:'" if scheme else "no scheme"
        raise ValueError(f"must start with http://, https:// or s3:// (got {shown})")
    if not parts.hostname:
        raise ValueError("has no host")
    if parts.username is not None or parts.password is not None:
        raise ValueError("must not contain a user name or password")
    if scheme == "s3" and not parts.path.strip("/"):
        raise ValueError("s3:// URLs need a key: s3://bucket/key")
    return url


class EventStatus(StrEnum):
    STORED = "stored"
    FAILED = "failed"


class FailureKind(StrEnum):
    """Whether trying a failed event again could help: its source failed for now (5xx, a timeout, a
    connection or DNS failure), or the event itself can never succeed (bad payload, blocked URL…)."""

    RETRYABLE = "retryable"
    PERMANENT = "permanent"


class EventSource(StrEnum):
    STREAM = "stream"
    UPLOAD = "upload"


class StoredEvent(BaseModel):
    """One processed event, stored or failed, as kept in DynamoDB and shown on the dashboard."""

    model_config = ConfigDict(frozen=True)

    event_id: str
    received_at: datetime
    source: EventSource
    status: EventStatus
    description: str = ""
    image_url: str | None = None
    filename: str | None = None  # uploads only
    failure_reason: str | None = None
    failure_kind: FailureKind | None = None
    original_key: str | None = None
    thumbnail_key: str | None = None
    preview_key: str | None = None  # a screen-sized rendition; events stored before it have none
    width: int | None = None
    height: int | None = None
    format: str | None = None
    size_bytes: int | None = None
    sha256: str | None = None
    frame_count: int | None = None
    exif: dict[str, str] = Field(default_factory=dict)
    shard_id: str | None = None
    sequence_number: str | None = None
    request_id: str | None = None
    read_as: str | None = None  # how its stream record was read, when it was not plain JSON (core/wire.py)
    # Why a failed event failed, as the exception core raised; never stored (the reason is). The
    # consumer's metrics count failures by its type.
    _rejection: EventRejected | None = PrivateAttr(None)

    @property
    def rejection(self) -> EventRejected | None:
        """The error that made this event fail, when this process recorded it (not read back)."""
        return self._rejection

    def rejected_by(self, error: EventRejected) -> StoredEvent:
        """This event, carrying the error that made it fail."""
        copy = self.model_copy()
        copy._rejection = error
        return copy

    @field_validator("received_at")
    @classmethod
    def _utc(cls, value: datetime) -> datetime:
        return utc(value)


# The wire fields as the earlier system's producers spell them, for reasons a sender recognises.
WIRE_NAMES = {"image_url": "ImageUrl", "description": "Description"}


def readable(exc: ValidationError, names: Mapping[str, str] | None = None) -> str:
    """pydantic's errors as a person reads them: 'Description: longer than 500 characters; ImageUrl: missing
    (required)', each field named as the sender wrote it (`names`) or by its path."""
    parts = []
    for error in exc.errors(include_url=False):
        path = ".".join(str(part) for part in error["loc"])
        parts.append(f"{(names or {}).get(path, path) or exc.title}: {_problem(error)}")
    return "; ".join(parts)


def _problem(error: Any) -> str:
    kind = error["type"]
    if kind == "missing":
        return "missing (required)"
    if kind == "string_too_long":
        return f"longer than {error['ctx']['max_length']} characters"
    if kind == "string_too_short":
        return "must not be empty"
    if kind == "string_type":
        return "must be a string"
    if kind == "string_unicode":
        return "contains invalid Unicode (a lone surrogate)"
    return str(error["msg"]).removeprefix("Value error, ")
