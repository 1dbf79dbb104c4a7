"""Every server × behaviour: the photos it serves are stored, byte for byte as on disk.

The servers are real and none of them ours: Debian's nginx, Python's http.server, waitress. Each case first
checks the server really answers that way (a Connection: close, a chunked body, a 308 to another port…), then
sends the photos' URLs through the batch service the Lambda runs, and reads the originals back from S3.
"""

from __future__ import annotations

import http.client
import ssl
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from core.aws import AwsClients
from core.ingest import batch
from core.models import EventStatus
from tests import factories as make
from tests.conformance import servers
from tests.conformance.photos import LARGE, PHOTOS, TINY

CASES = [(server, behaviour) for server, behaviours in servers.BEHAVIOURS.items() for behaviour in behaviours]
FILES = {"large": (LARGE,), "tiny": (TINY,)}


@dataclass(frozen=True)
class Answer:
    """How a server answered a plain request: what the case checks before fetching."""

    version: int
    status: int
    headers: http.client.HTTPMessage
    peer: str
    tls: str | None


def answer(url: str, ca: Path, method: str = "GET") -> Answer:
    parts = urlsplit(url)
    host, port = parts.hostname or "", parts.port or 80
    trusting = ssl.create_default_context(cafile=ca)
    connection = (http.client.HTTPSConnection(host, port, timeout=10, context=trusting)
                  if parts.scheme == "https" else http.client.HTTPConnection(host, port, timeout=10))
    try:
        connection.request(method, parts.path, headers={"Accept-Encoding": "identity"})
        sock = connection.sock
        peer, tls = sock.getpeername()[0], sock.version() if isinstance(sock, ssl.SSLSocket) else None
        response = connection.getresponse()
        return Answer(response.version, response.status, response.headers, peer, tls)
    finally:
        connection.close()


def shows(behaviour: str, url: str, ca: Path) -> bool:
    """Whether the server answers `url` the way `behaviour` names."""
    if behaviour == "headless":
        return answer(url, ca, "HEAD").status == 405
    got = answer(url, ca)
    header = got.headers.get
    if behaviour.startswith("redirect-"):
        _, code, kind = behaviour.split("-")
        location = header("Location", "")
        return got.status == int(code) and location.startswith("/" if kind == "relative" else "http://")
    checks = {
        "keep-alive": lambda: got.version == 11 and "close" not in header("Connection", "").lower(),
        "connection-close": lambda: header("Connection", "").lower() == "close",
        "http/1.0": lambda: got.version == 10,
        "ended-by-close": lambda: header("Content-Length") is None and header("Transfer-Encoding") is None,
        "chunked": lambda: header("Transfer-Encoding") == "chunked",
        "gzip": lambda: header("Content-Encoding") == "gzip",
        "deflate": lambda: header("Content-Encoding") == "deflate",
        "wrong-type": lambda: not header("Content-Type", "image/").startswith("image/"),
        "no-type": lambda: header("Content-Type") is None,
        "large": lambda: int(header("Content-Length", 0)) > 19_000_000,
        "tiny": lambda: int(header("Content-Length", 1024)) < 1024,
        "ipv6": lambda: got.peer == "::1",
        "tls1.2": lambda: got.tls == "TLSv1.2",
        "tls1.3": lambda: got.tls == "TLSv1.3",
    }
    return got.status == 200 and checks[behaviour]()


@pytest.mark.parametrize(("server", "behaviour"), CASES, ids=[f"{s}-{b}" for s, b in CASES])
def test_photos_are_stored_byte_exact(
    server: str, behaviour: str, store: AwsClients, photos: Path, test_ca_files: tuple[Path, Path, Path],
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch,
) -> None:
    served: servers.Served = request.getfixturevalue(server.replace(".", "_"))
    ca = test_ca_files[0]
    files = FILES.get(behaviour, PHOTOS)
    urls = [served.url(behaviour, file) for file in files]
    assert shows(behaviour, urls[0], ca), f"{server} does not answer {urls[0]} as {behaviour}"
    monkeypatch.setenv("SSL_CERT_FILE", str(ca))  # how the fetcher is told to trust a CA (docs/fetching.md)

    case = CASES.index((server, behaviour))
    jobs = [batch.stream_job(make.image_event(url), make.stream_origin(f"{case:03d}{index}"))
            for index, url in enumerate(urls)]
    for file, outcome in zip(files, batch.run(store, jobs), strict=True):
        assert outcome.event is not None, f"{file}: not made ({outcome.error!r})"
        event = outcome.event
        assert event.status is EventStatus.STORED, f"{file}: {event.failure_reason}"
        assert event.original_key is not None
        stored = store.s3.get_object(Bucket=store.settings.bucket_name, Key=event.original_key)
        original = stored["Body"].read()
        assert original == (photos / file).read_bytes(), f"{file}: stored bytes differ from the file on disk"
