"""Image bytes from where an event points: S3 through our own client, http(s) through the SSRF guard.

Every fetch is capped in bytes (MAX_IMAGE_BYTES) and http(s) also in total time
(FETCH_TIMEOUT_SECONDS). Failures of the source are FetchFailed or FetchRefused (permanent, recorded
with the message as the reason); failures of S3 itself are StoreUnavailable (the caller retries).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import urljoin

from botocore.exceptions import ClientError, ReadTimeoutError
from urllib3 import BaseHTTPResponse, HTTPConnectionPool, HTTPSConnectionPool, Timeout
from urllib3.exceptions import HTTPError, NewConnectionError, SSLError
from urllib3.exceptions import TimeoutError as Urllib3Timeout

from core import formats
from core.aws import AwsClients
from core.aws_errors import aws_call, error_code
from core.errors import (
    AccessDenied,
    FetchFailed,
    FetchRefused,
    RequestRefused,
    ResourceMissing,
    StoreUnavailable,
)
from core.settings import Settings
from core.ssrf import Resolver, Target, check_address, checked_target, resolve_host, shorten

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
@dataclass(frozen=True)
class Fetched:
    """The bytes of one image and what the source said about them."""

    data: bytes
    content_type: str | None
    final_url: str  # after redirects (or the s3:// url)


def fetch_image(url: str, clients: AwsClients) -> Fetched:
    """s3:// via GetObject, http(s) via the SSRF guard; raises FetchRefused/FetchFailed/StoreUnavailable."""
    if url[:5].lower() == "s3://":
        return fetch_s3(url, clients)
    return fetch_http(url, clients.settings)


# --- S3 -------------------------------------------------------------------------------------------


def fetch_s3(url: str, clients: AwsClients) -> Fetched:
    """GetObject, refusing objects over the byte limit before reading them."""
    bucket, key = _s3_location(url)
    limit = clients.settings.max_image_bytes
    with _source_errors(url):
        response = clients.s3.get_object(Bucket=bucket, Key=key)
        body = response["Body"]
        try:
            _check_size(url, response.get("ContentLength"), limit)
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
        raise FetchFailed(f"{url} cannot be read ({_code(exc)}); allow s3:GetObject on it for this service"
                          ) from exc
    except RequestRefused as exc:
        raise FetchFailed(f"{url} is not a valid S3 address or cannot be read: {exc}") from exc
    except ReadTimeoutError as exc:  # botocore's, raised while streaming the body outside aws_call's reach
        raise StoreUnavailable(f"S3 did not send {url} in time; retrying may succeed") from exc


def _code(exc: Exception) -> str:
    cause = exc.__cause__
    return error_code(cause) if isinstance(cause, ClientError) else type(cause).__name__


# --- http(s) --------------------------------------------------------------------------------------


def fetch_http(url: str, settings: Settings, resolve: Resolver = resolve_host) -> Fetched:
    """GET an image over http(s), checking every hop with the SSRF guard; time and bytes capped."""
    deadline = time.monotonic() + settings.fetch_timeout_seconds
    current = url
    with _as_fetch_failed(url, settings):
        for _ in range(MAX_REDIRECTS + 1):
            target = _checked_hop(url, current, settings, resolve)
            result = _fetch_once(current, target, settings, deadline)
            if isinstance(result, Fetched):
                return result
            current = result
    raise FetchFailed(f"{shorten(url)} redirected more than {MAX_REDIRECTS} times; link to the image itself")


def _checked_hop(url: str, current: str, settings: Settings, resolve: Resolver) -> Target:
    """The SSRF guard on one hop; a refused redirect names the URL the event gave, too."""
    try:
        return checked_target(current, settings.allow_loopback_fetch, resolve)
    except FetchRefused as exc:
        if current == url:
            raise
        raise FetchRefused(f"{shorten(url)} redirects to {exc}") from None


def _fetch_once(url: str, target: Target, settings: Settings, deadline: float) -> Fetched | str:
    """One request to the checked address: the image, or the next URL when the server redirects."""
    seconds = _remaining(url, settings, deadline)
    with _pool(target, Timeout(connect=seconds, read=seconds)) as pool:
        # decode_content=False: a gzip body must not inflate past the byte cap.
        response = pool.urlopen(
            "GET",
            target.path,
            headers={**_HEADERS, "Host": target.host_header},
            redirect=False,
            retries=False,
            preload_content=False,
            decode_content=False,
            assert_same_host=False,
        )
        try:
            location = response.headers.get("Location")
            if response.status in _REDIRECT_STATUSES and location:
                return urljoin(url, location.strip())
            return _read_image(url, response, settings, deadline)
        finally:
            response.release_conn()


def _pool(target: Target, timeout: Timeout) -> HTTPConnectionPool:
    """A pool bound to the checked address; never a proxy from the environment (urllib3 reads none)."""
    address = f"[{target.address}]" if ":" in target.address else target.address
    if target.scheme == "http":
        return HTTPConnectionPool(address, target.port, timeout=timeout, maxsize=1, retries=False)
    # TLS still speaks to, and verifies, the name: SNI and the certificate check use target.host.
    return HTTPSConnectionPool(
        address,
        target.port,
        timeout=timeout,
        maxsize=1,
        retries=False,
        cert_reqs="CERT_REQUIRED",
        server_hostname=target.host,
        assert_hostname=target.host,
    )


def _read_image(url: str, response: BaseHTTPResponse, settings: Settings, deadline: float) -> Fetched:
    if not 200 <= response.status < 300:
        raise FetchFailed(f"{shorten(url)} answered {response.status} {response.reason or ''}".rstrip())
    length = response.headers.get("Content-Length")
    _check_size(url, int(length) if length and length.isdigit() else None, settings.max_image_bytes)
    data = _read_capped(url, response, settings, deadline)
    content_type = response.headers.get("Content-Type")
    if not looks_like_image(data) and not formats.sniff_refused(data):  # imaging names a refused format
        raise FetchFailed(f"{shorten(url)} is not an image: {_describe_start(data, content_type)}")
    return Fetched(data, content_type, url)


def _read_capped(url: str, response: BaseHTTPResponse, settings: Settings, deadline: float) -> bytes:
    """Stream the body, stopping once it passes the limit or the deadline."""
    chunks: list[bytes] = []
    size = 0
    while True:
        _shrink_read_timeout(response, _remaining(url, settings, deadline))
        chunk = response.read1(_CHUNK)
        if not chunk:
            return b"".join(chunks)
        size += len(chunk)
        if size > settings.max_image_bytes:
            limit = settings.max_image_bytes
            raise FetchFailed(f"{shorten(url)} sends more than {limit:,} bytes; {_limit_note(limit)}")
        chunks.append(chunk)


def _shrink_read_timeout(response: BaseHTTPResponse, seconds: float) -> None:
    # A server trickling a byte at a time never trips a per-read timeout; the deadline is overall.
    sock = getattr(response.connection, "sock", None)
    if sock is not None:
        sock.settimeout(seconds)


def _remaining(url: str, settings: Settings, deadline: float) -> float:
    seconds = deadline - time.monotonic()
    if seconds <= 0:
        raise FetchFailed(_too_slow(url, settings))
    return seconds


@contextmanager
def _as_fetch_failed(url: str, settings: Settings) -> Iterator[None]:
    """Turn the transport's errors into FetchFailed with a reason a person can act on."""
    try:
        yield
    except NewConnectionError as exc:  # urllib3 makes it a ConnectTimeoutError too; it is not one
        raise FetchFailed(f"{shorten(url)}: could not connect ({exc.__cause__ or exc})") from exc
    except Urllib3Timeout as exc:
        raise FetchFailed(_too_slow(url, settings)) from exc
    except SSLError as exc:
        raise FetchFailed(f"{shorten(url)}: TLS failed or the certificate is not valid ({exc})") from exc
    except (HTTPError, OSError) as exc:
        raise FetchFailed(f"{shorten(url)}: could not connect or the connection broke ({exc})") from exc


def _too_slow(url: str, settings: Settings) -> str:
    return (
        f"{shorten(url)} did not send the image within {settings.fetch_timeout_seconds:g} s "
        "(FETCH_TIMEOUT_SECONDS)"
    )


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
