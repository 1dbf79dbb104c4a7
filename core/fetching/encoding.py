"""A body sent with a Content-Encoding we did not ask for, decoded back to the image's own bytes.

We ask for `Accept-Encoding: identity`, but some hosts compress anyway (nginx serving a pre-gzipped
file with `gzip_static always`, a CDN that always compresses). gzip and deflate are undone, never past
the byte limit (a small body can unpack to gigabytes); any other encoding is named in the reason.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable

from core.errors import FetchFailed

# wbits: gzip's header and trailer; zlib's (what RFC 9110 calls deflate); and raw deflate, which some
# servers send under that name.
_WBITS = {"gzip": [16 + zlib.MAX_WBITS], "x-gzip": [16 + zlib.MAX_WBITS],
          "deflate": [zlib.MAX_WBITS, -zlib.MAX_WBITS]}


class BodyTooLarge(FetchFailed):
    """The body, once decoded, is over the byte limit."""


def encodings(header: str | None) -> list[str]:
    """The codings a Content-Encoding header lists, in the order applied, `identity` left out."""
    return [c for c in (part.strip().lower() for part in (header or "").split(",")) if c and c != "identity"]


def decode(chunks: Iterable[bytes], coding: str, limit: int, who: str) -> bytes:
    """The body `chunks` decoded from `coding`; BodyTooLarge past `limit` bytes, FetchFailed when it is not
    valid `coding`. `who` starts every reason (the URL)."""
    body = b"".join(chunks)
    error: zlib.error | None = None
    for wbits in _WBITS[coding]:
        try:
            return _inflate(body, wbits, limit, coding, who)
        except zlib.error as exc:
            error = error or exc
    raise FetchFailed(f"{who} sent a body marked Content-Encoding {coding} that is not valid {coding} "
                      f"({error})")


def _inflate(body: bytes, wbits: int, limit: int, coding: str, who: str) -> bytes:
    inflater = zlib.decompressobj(wbits)
    out = inflater.decompress(body, limit + 1)
    if len(out) > limit or inflater.unconsumed_tail:
        raise BodyTooLarge(f"{who} sends a {coding}-compressed body of {len(body):,} bytes that unpacks to "
                           f"more than {limit:,} bytes (a decompression bomb?); the limit is {limit:,} bytes "
                           "(MAX_IMAGE_BYTES)")
    if not inflater.eof:
        raise zlib.error("the compressed data ends early")
    return out


def check_supported(codings: list[str], content_type: str | None, who: str) -> None:
    """FetchFailed naming the encoding, unless the body is plain or one coding we can undo."""
    if not codings or (len(codings) == 1 and codings[0] in _WBITS):
        return
    sent = f" (Content-Type {content_type})" if content_type else ""
    raise FetchFailed(f"{who} sent the image with Content-Encoding {', '.join(codings)!a}{sent}, which we "
                      "did not ask for (Accept-Encoding: identity) and cannot decode; serve it unencoded")
