"""Image bytes from where an event points: S3 through our own client, http(s) through the SSRF guard.

Every fetch is capped in bytes (MAX_IMAGE_BYTES); http(s) also in total time, every part of the
exchange included (FETCH_TIMEOUT_SECONDS, core/fetching/deadline.py). Failures of the source are
FetchFailed or FetchRefused (permanent, recorded with the message as the reason), or SourceUnavailable
when the source failed for now (5xx, 429, 408, a timeout, a refused or broken connection), which is
recorded the same way but may be retried by a person; failures of S3 itself are StoreUnavailable (the
caller retries).
"""

from __future__ import annotations

import errno
import http.client
import socket
import ssl
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import urljoin

from botocore.exceptions import ClientError, ReadTimeoutError

from core.aws import AwsClients
from core.aws.errors import aws_call, error_code
from core.errors import (
    AccessDenied,
    FetcherFault,
    FetchFailed,
    FetchRefused,
    RequestRefused,
    ResourceMissing,
    SourceUnavailable,
    StoreUnavailable,
)
from core.fetching import encoding
from core.fetching.answer import NotHttp, TooManyInterim
from core.fetching.deadline import Deadline, Exchange, TooSlow
from core.fetching.ssrf import Resolver, Target, check_address, checked_target, resolve_host, shorten
from core.imaging import formats
from core.settings import Settings

__all__ = [
    "Fetched",
    "Resolver",
    "check_address",
    "fetch_http",
    "fetch_image",
    "fetch_s3",
    "resolve_host",
]

MAX_REDIRECTS = 5
_REDIRECT_STATUSES = {301, 302, 303, 307, 308}
_CHUNK = 64 * 1024
_HEADERS = {"User-Agent": "image-processor", "Accept": "image/*", "Accept-Encoding": "identity"}
# Answers that say "not now" rather than "never": overloaded, rate limited, timed out, or failing inside.
_TRANSIENT_STATUSES = {408, 429}
MAY_RECOVER = "the source may recover"
# errno values a socket gives only when our code misuses it (closed, or not a socket at all).
_OUR_FAULT = {errno.EBADF, errno.ENOTSOCK, errno.EINVAL, errno.EFAULT}
# Told the bytes a body will take before it is read (its Content-Length, else MAX_IMAGE_BYTES), so a caller
# running many fetches at once can wait for memory (core/fetching/limits.py); may raise to give up.
Room = Callable[[int], object]


@dataclass(frozen=True)
class Fetched:
    """The bytes of one image and what the source said about them."""

    data: bytes
    content_type: str | None
    final_url: str  # after redirects (or the s3:// url)


def is_s3(url: str) -> bool:
    """Whether the source is an object in a bucket (GetObject) rather than a URL."""
    return url[:5].lower() == "s3://"


def fetch_image(url: str, clients: AwsClients, room: Room | None = None) -> Fetched:
    """s3:// via GetObject, http(s) via the SSRF guard; raises FetchRefused/FetchFailed/StoreUnavailable."""
    if is_s3(url):
        return fetch_s3(url, clients, room)
    return fetch_http(url, clients.settings, room=room)


# --- S3 -------------------------------------------------------------------------------------------


def fetch_s3(url: str, clients: AwsClients, room: Room | None = None) -> Fetched:
    """GetObject from an allowed bucket, refusing objects over the byte limit before reading them."""
    bucket, key = _s3_location(url)
    _check_allowed_bucket(url, bucket, clients.settings)
    limit = clients.settings.max_image_bytes
    with _source_errors(url):
        response = clients.s3.get_object(Bucket=bucket, Key=key)
        body = response["Body"]
        try:
            _check_size(url, response.get("ContentLength"), limit)
            if room is not None:
                length = response.get("ContentLength")
                room(limit if length is None else length)
            data = body.read(limit + 1)
        finally:
            body.close()
    _check_size(url, len(data), limit)
    return Fetched(data, response.get("ContentType"), url)


def _s3_location(url: str) -> tuple[str, str]:
    # Split by hand: S3 keys may hold '?' and '#', which urlsplit would take as query and fragment.
    bucket, _, key = url[5:].partition("/")
    if not bucket or not key:
        raise FetchRefused(f"{shorten(url)} needs a bucket and a key: s3://bucket/key")
    return bucket, key


def _check_allowed_bucket(url: str, bucket: str, settings: Settings) -> None:
    allowed = settings.allowed_source_buckets
    if bucket not in allowed:
        raise FetchRefused(
            f"{shorten(url)}: bucket {shorten(bucket)!r} is not an allowed source "
            f"({', '.join(sorted(allowed))}); to read from it, add it to ALLOWED_SOURCE_BUCKETS"
        )


@contextmanager
def _source_errors(url: str) -> Iterator[None]:
    """S3's answer about the event's object: missing, forbidden or refused is the event's fault.

    Throttling, 5xx and timeouts stay StoreUnavailable (retried); so do our own credentials failing.
    """
    try:
        with aws_call(f"S3 for {shorten(url)}"):
            yield
    except ResourceMissing as exc:
        raise FetchFailed(f"{url} does not exist ({_code(exc)}); check the bucket and key") from exc
    except AccessDenied as exc:
        # The bucket is allowed (ALLOWED_SOURCE_BUCKETS), so whoever allowed it meant this role to read it.
        raise FetchFailed(f"{url} cannot be read ({_code(exc)}): its bucket is in ALLOWED_SOURCE_BUCKETS, "
                          "but this service's role may not s3:GetObject there; grant that, or remove the "
                          "bucket from ALLOWED_SOURCE_BUCKETS") from exc
    except RequestRefused as exc:
        raise FetchFailed(f"{url} is not a valid S3 address or cannot be read: {exc}") from exc
    except ReadTimeoutError as exc:  # botocore's, raised while streaming the body outside aws_call's reach
        raise StoreUnavailable(f"S3 did not send {url} in time; retrying may succeed") from exc


def _code(exc: Exception) -> str:
    cause = exc.__cause__
    return error_code(cause) if isinstance(cause, ClientError) else type(cause).__name__


# --- http(s) --------------------------------------------------------------------------------------


def fetch_http(
    url: str, settings: Settings, resolve: Resolver = resolve_host, room: Room | None = None
) -> Fetched:
    """GET an image over http(s), checking every hop with the SSRF guard; bytes capped, and one deadline
    (FETCH_TIMEOUT_SECONDS) over everything: DNS, connect, TLS, status line, headers, redirects, body."""
    deadline = Deadline(settings.fetch_timeout_seconds)
    current, hops = url, 0
    with _as_fetch_failed(url, settings, lambda: hops):
        for hops in range(MAX_REDIRECTS + 1):  # noqa: B007 - read by the error message above
            target = _checked_hop(url, current, settings, _resolving_within(resolve, deadline))
            result = _fetch_once(url, current, target, settings, deadline, room)
            if isinstance(result, Fetched):
                return result
            current = result
    raise FetchFailed(f"{shorten(url)} redirected more than {MAX_REDIRECTS} times; link to the image itself")


def _resolving_within(resolve: Resolver, deadline: Deadline) -> Resolver:
    """The resolver, given up on at the deadline: getaddrinfo itself has no timeout."""
    return lambda host, port: deadline.run("resolving the host name", lambda: resolve(host, port))


def _checked_hop(url: str, current: str, settings: Settings, resolve: Resolver) -> Target:
    """The SSRF guard on one hop; a refused redirect names the URL the event gave, too."""
    try:
        return checked_target(current, settings.allow_loopback_fetch, resolve)
    except FetchRefused as exc:
        if current == url:
            raise
        raise FetchRefused(f"{shorten(url)} redirects to {exc}") from None


def _fetch_once(
    url: str, current: str, target: Target, settings: Settings, deadline: Deadline, room: Room | None = None
) -> Fetched | str:
    """One request to the checked address: the image, or the next URL when the server redirects."""
    with Exchange(target, deadline, _HEADERS) as exchange:
        response = exchange.response
        location = response.getheader("Location")
        if response.status in _REDIRECT_STATUSES and location:
            return urljoin(current, location.strip())
        return _read_image(current, response, settings, room)


def _read_image(
    url: str, response: http.client.HTTPResponse, settings: Settings, room: Room | None = None
) -> Fetched:
    if not 200 <= response.status < 300:
        answer = f"{shorten(url)} answered {response.status} {response.reason or ''}".rstrip()
        if response.status in _TRANSIENT_STATUSES or response.status >= 500:
            raise SourceUnavailable(f"{answer}; {MAY_RECOVER}")
        raise FetchFailed(answer)
    content_type = response.getheader("Content-Type")
    codings = encoding.encodings(response.getheader("Content-Encoding"))
    encoding.check_supported(codings, content_type, shorten(url))
    promised = _promised_length(url, response)
    _check_size(url, promised, settings.max_image_bytes)
    if room is not None:  # a compressed body's Content-Length says nothing of what it decodes to
        room(settings.max_image_bytes if promised is None or codings else promised)
    data = _read_capped(url, response, settings.max_image_bytes)
    if promised is not None and len(data) < promised:  # read1 ends quietly when the peer hangs up early
        raise http.client.IncompleteRead(data, promised - len(data))
    if codings:
        data = encoding.decode([data], codings[0], settings.max_image_bytes, shorten(url))
    if not looks_like_image(data) and not formats.sniff_refused(data):  # imaging names a refused format
        raise FetchFailed(f"{shorten(url)} is not an image: {_describe_start(data, content_type)}")
    return Fetched(data, content_type, url)


def _promised_length(url: str, response: http.client.HTTPResponse) -> int | None:
    """The body's length from Content-Length; FetchFailed when the header is there but is no byte count
    (http.client would quietly read to the connection's end). A chunked body's is ignored (RFC 9112)."""
    header = response.getheader("Content-Length")
    if header is None or response.chunked:
        return None
    values = {value.strip() for value in header.split(",")}
    if len(values) != 1 or not next(iter(values)).isdigit():
        raise FetchFailed(f"{shorten(url)} sent Content-Length {shorten(header, 40)!a}, which is not one "
                          "byte count, so where its body ends cannot be known; the host is misconfigured")
    return int(values.pop())


def _read_capped(url: str, response: http.client.HTTPResponse, limit: int) -> bytes:
    """Stream the body, stopping once it passes the limit (the deadline bounds every read)."""
    chunks: list[bytes] = []
    size = 0
    while chunk := response.read1(_CHUNK):
        size += len(chunk)
        if size > limit:
            raise FetchFailed(f"{shorten(url)} sends more than {limit:,} bytes; {_limit_note(limit)}")
        chunks.append(chunk)
    return b"".join(chunks)


@contextmanager
def _as_fetch_failed(url: str, settings: Settings, redirects: Callable[[], int]) -> Iterator[None]:
    """Turn the transport's errors into FetchFailed (or SourceUnavailable, when the source may recover:
    a timeout, a refused or broken connection) with a reason a person can act on."""
    try:
        yield
    except TooSlow as exc:
        after = f" (after {redirects()} redirect{'s' if redirects() > 1 else ''})" if redirects() else ""
        raise SourceUnavailable(
            f"{shorten(url)} did not send the image within {settings.fetch_timeout_seconds:g} s "
            f"(FETCH_TIMEOUT_SECONDS): still {exc.part}{after}; {MAY_RECOVER}"
        ) from None
    except TooManyInterim as exc:
        raise FetchFailed(f"{shorten(url)} sent {exc.count} interim answers ({exc.line!a}) in a row and no "
                          "final status; the host is misbehaving") from None
    except ssl.SSLError as exc:  # before OSError, its base: a certificate that is not valid stays so
        raise FetchFailed(f"{shorten(url)}: TLS failed or the certificate is not valid ({exc})") from exc
    except ConnectionRefusedError as exc:
        raise SourceUnavailable(f"{shorten(url)}: could not connect ({exc}); {MAY_RECOVER}") from exc
    except http.client.IncompleteRead as exc:
        raise SourceUnavailable(f"{shorten(url)}: the connection broke ({_cut_short(exc)}); "
                                f"{MAY_RECOVER}") from exc
    except ConnectionError as exc:  # reset, aborted, broken pipe
        raise SourceUnavailable(f"{shorten(url)}: the connection broke ({type(exc).__name__}: {exc}); "
                                f"{MAY_RECOVER}") from exc
    except socket.gaierror as exc:
        raise FetchFailed(f"{shorten(url)}: could not connect ({exc})") from exc
    except NotHttp as exc:  # its start may be an image's bytes: escaped, and short
        raise FetchFailed(f"{shorten(url)}: the answer has no valid HTTP status line (it starts with "
                          f"{exc.start[:16]!a}); an HTTP/0.9 server, or not a web server") from None
    except http.client.HTTPException as exc:
        kind = type(exc).__name__
        raise FetchFailed(f"{shorten(url)}: the answer is not valid HTTP ({kind}: "
                          f"{shorten(str(exc), 80)!a})") from exc
    except OSError as exc:
        if exc.errno in _OUR_FAULT:  # the socket was misused here: not the source's fault, nor the event's
            raise FetcherFault(f"fetching {shorten(url)} failed in our own code ({exc}); "
                               "it is tried again") from exc
        raise SourceUnavailable(f"{shorten(url)}: could not connect or the connection broke ({exc}); "
                                f"{MAY_RECOVER}") from exc


def _cut_short(exc: http.client.IncompleteRead) -> str:
    got = len(exc.partial)
    if exc.expected is None:
        return f"IncompleteRead: the body stopped after {got:,} bytes"
    return f"IncompleteRead: {got:,} of the {got + exc.expected:,} bytes its Content-Length promised"


# --- shared ---------------------------------------------------------------------------------------


def _check_size(url: str, size: int | None, limit: int) -> None:
    if size is not None and size > limit:
        raise FetchFailed(f"{shorten(url)} is {size:,} bytes; {_limit_note(limit)}")


def _limit_note(limit: int) -> str:
    return f"the limit is {limit:,} bytes (MAX_IMAGE_BYTES)"


def looks_like_image(data: bytes) -> bool:
    """Whether the first bytes carry the magic number of an image format we read (core.formats)."""
    return formats.sniff(data) is not None


def _describe_start(data: bytes, content_type: str | None) -> str:
    sent = f" (Content-Type {content_type})" if content_type else ""
    if not data:
        return f"the body is empty{sent}"
    return f"it starts with {data[:16].decode('latin-1')!a}{sent}"
