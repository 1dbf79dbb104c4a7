"""SSRF end to end: events whose ImageUrl points inside the network, directly or through a public host's
redirect, go through the real handler with production's fetch settings. Each is recorded as failed with
a reason, and no connection is opened to anything but the one public host the test plays.

tests/unit/test_fetch_guard.py checks the guard on 34 spellings at the fetch level; this is the same
promise kept by the handler, with DNS and every socket connection under the test's control.
"""

from __future__ import annotations

import re
import socket
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from core.models import EventStatus, StoredEvent
from core.settings import Settings
from tests import factories as make
from tests.hosts import serving
from tests.reliability.harness import deliver, fake_dns, fresh_emulator

PUBLIC = "93.184.215.14"  # what cdn.public.example resolves to; its connections reach the test's server
CDN = "http://cdn.public.example"
DNS = {
    "cdn.public.example": [PUBLIC],
    "internal.example": ["10.1.2.3"],
    "metadata.example": ["169.254.169.254"],
    "rebind.example": ["127.0.0.1"],
    "mixed.example": [PUBLIC, "10.0.0.5"],
    "v6.example": ["fd12::1"],
    "xn--bcher-kva.example": ["192.168.7.7"],  # bücher.example
}
DIRECT = r"is not allowed: .*(only public internet addresses can be fetched|unusual numeric form)"
REDIRECTED = r"redirects to .+ is not allowed"

FORMS = {
    "loopback": "http://127.0.0.1/cat.png",
    "loopback-127.0.0.2-port": "http://127.0.0.2:8080/cat.png",
    "unspecified-0.0.0.0": "http://0.0.0.0/",
    "ipv6-loopback": "http://[::1]/",
    "ipv6-unspecified": "http://[::]/",
    "private-10/8": "http://10.0.0.1/",
    "private-172.16/12": "http://172.16.5.4/",
    "private-192.168/16": "http://192.168.1.1/",
    "metadata-169.254.169.254": "http://169.254.169.254/latest/meta-data/iam/security-credentials/",
    "metadata-https": "https://169.254.169.254/latest/api/token",
    "carrier-nat-100.64/10": "http://100.64.0.1/",
    "unique-local-fd00::/8": "http://[fd00::1]/",
    "ipv6-link-local": "http://[fe80::1]/",
    "ipv4-mapped-loopback": "http://[::ffff:127.0.0.1]/",
    "ipv4-mapped-metadata-hex": "http://[::ffff:a9fe:a9fe]/",
    "nat64-metadata": "http://[64:ff9b::a9fe:a9fe]/",
    "decimal-ip": "http://2130706433/",
    "octal-ip": "http://0177.0.0.1/",
    "hex-ip": "http://0x7f000001/",
    "short-ip-127.1": "http://127.1/",
    "localhost": "http://localhost/",
    "dns-name-to-private": "http://internal.example/cat.png",
    "dns-name-to-metadata": "http://metadata.example/latest/meta-data/",
    "dns-name-to-loopback": "http://rebind.example/",
    "dns-name-to-public-and-private": "http://mixed.example/",
    "dns-name-to-ipv6-private": "http://v6.example/",
    "idn-name-to-private": "http://bücher.example/",
    "redirect-to-metadata": f"{CDN}/to?url=http://169.254.169.254/latest/meta-data/",
    "redirect-to-private-name": f"{CDN}/to?url=http://internal.example/cat.png",
    "redirect-to-decimal-loopback": f"{CDN}/to?url=http://2130706433/",
    "redirect-to-mapped-private": f"{CDN}/to?url=http://[::ffff:10.0.0.1]/",
    "redirect-to-file": f"{CDN}/to?url=file:///etc/passwd",
    "redirect-to-the-emulator": f"{CDN}/to?url=http://localhost:{{emulator_port}}/moto-api/reset",
}
assert len(FORMS) >= 15
CONTROL = f"{CDN}/cat.png"  # a public image: proves connections do go through when they may


class PublicHost(ThreadingHTTPServer):
    """The public host's server, noting the path of every request."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Public)
        self.paths: list[str] = []


class _Public(BaseHTTPRequestHandler):
    """The public host: an image, and a redirect to wherever ?url= says."""

    protocol_version = "HTTP/1.1"
    image = make.encode(make.halves((64, 32)), "PNG")
    server: PublicHost

    def do_GET(self) -> None:
        self.server.paths.append(self.path)
        target = parse_qs(urlsplit(self.path).query).get("url")
        self.send_response(302 if target else 200)
        if target:
            self.send_header("Location", target[0])
        self.send_header("Content-Type", "image/png")
        self.send_header("Content-Length", "0" if target else str(len(self.image)))
        self.end_headers()
        if not target:
            self.wfile.write(self.image)

    def log_message(self, *args: Any) -> None:
        pass


@dataclass(frozen=True)
class Outcome:
    response: Any
    stored: dict[str, StoredEvent | None]
    control: StoredEvent | None
    connections: list[tuple[str, int]]  # every connection attempted, but the emulator's
    public_paths: list[str]  # what the public host was asked for


@contextmanager
def public_host() -> Iterator[PublicHost]:
    server = PublicHost()
    with serving(server):
        yield server


@contextmanager
def only_the_public_host_connects(emulator: tuple[str, int], public: tuple[str, int]) -> Iterator[list[Any]]:
    """Records every connection but boto3's to the emulator; sends the public address's to the test's
    server and refuses the rest, so a failing guard is seen and still reaches nothing."""
    attempts: list[Any] = []
    real_connect = socket.socket.connect

    def connect(sock: socket.socket, address: Any) -> None:
        where = (address[0], address[1])
        if where == emulator and not _from_the_fetcher():
            return real_connect(sock, address)
        attempts.append(where)
        if where == (PUBLIC, 80):
            return real_connect(sock, public)
        raise ConnectionRefusedError(f"the test refuses connections to {where}")

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(socket.socket, "connect", connect)
        yield attempts


def _from_the_fetcher() -> bool:
    """Whether core.fetching opens this connection (to the emulator's address, it would be an SSRF)."""
    return any(Path(frame.filename).match("core/fetching/deadline.py") for frame in traceback.extract_stack())


@pytest.fixture(scope="module")
def outcome(moto_endpoint: str) -> Iterator[Outcome]:
    """Every form in one batch, plus the public control image, through the handler once."""
    emulator = urlsplit(moto_endpoint)
    urls = {name: url.replace("{emulator_port}", str(emulator.port)) for name, url in FORMS.items()}
    with (fresh_emulator(moto_endpoint, Settings(worker_count=4)) as clients, fake_dns(DNS),
          public_host() as server):
        payloads = [make.image_event(url, f"ssrf: {name}") for name, url in urls.items()]
        payloads.append(make.image_event(CONTROL, "ok"))
        with only_the_public_host_connects((emulator.hostname or "", emulator.port or 0),
                                           ("127.0.0.1", server.server_address[1])) as attempts:
            delivery = deliver(clients, payloads)
        yield Outcome(delivery.response, dict(zip(FORMS, delivery.stored[:-1], strict=True)),
                      delivery.stored[-1], attempts, list(server.paths))


def test_the_batch_is_answered_without_a_crash_or_a_retry(outcome: Outcome) -> None:
    assert outcome.response == {"batchItemFailures": []}


@pytest.mark.parametrize("form", FORMS)
def test_an_internal_address_is_recorded_as_failed_with_a_reason(outcome: Outcome, form: str) -> None:
    kept = outcome.stored[form]
    assert kept is not None and kept.status is EventStatus.FAILED
    expected = REDIRECTED if form.startswith("redirect-") else DIRECT
    assert re.search(expected, kept.failure_reason or ""), kept.failure_reason


def test_no_connection_is_made_to_anything_but_the_public_host(outcome: Outcome) -> None:
    redirects = [name for name in FORMS if name.startswith("redirect-")]
    # One connection for the control image and one per redirect, all to the public address: none inward.
    assert outcome.connections == [(PUBLIC, 80)] * (1 + len(redirects))
    asked = sorted(path.partition("?")[0] for path in outcome.public_paths)
    assert asked == ["/cat.png"] + ["/to"] * len(redirects)


def test_the_public_control_image_is_fetched_and_stored(outcome: Outcome) -> None:
    assert outcome.control is not None and outcome.control.status is EventStatus.STORED
