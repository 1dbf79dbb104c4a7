"""One deadline over the whole fetch: a host that is slow in any part of the exchange is cut off at
FETCH_TIMEOUT_SECONDS (within a second), and the reason says which part was slow.

Each hostile server here trickles one part a byte at a time, so no single read ever times out."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest

from core.errors import FetchFailed
from core.fetching.fetch import fetch_http
from core.settings import Settings
from tests import factories as make
from tests.hosts import raw_host

DEADLINE = 1.5
PNG = make.encode(make.halves((16, 16)), "PNG")
HEADERS = f"HTTP/1.1 200 OK\r\nContent-Type: image/png\r\nContent-Length: {len(PNG)}\r\n\r\n".encode()
LOOPBACK = lambda host, port: ["127.0.0.1"]  # noqa: E731 - "hosts" in these URLs are this machine


def settings() -> Settings:
    return Settings(allow_loopback_fetch=True, fetch_timeout_seconds=DEADLINE)


def trickle(connection: socket.socket, data: bytes, pause: float = 0.2) -> None:
    for index in range(len(data)):
        connection.sendall(data[index:index + 1])
        time.sleep(pause)


@contextmanager
def hostile(answer: Callable[[socket.socket, str], None]) -> Iterator[int]:
    """A server on loopback that reads each request and answers it with `answer(connection, path)`."""
    with raw_host(answer) as base:
        yield int(base.rsplit(":", 1)[1])


def cut_off(url: str, part: str, resolve: Callable[[str, int], list[str]] = LOOPBACK) -> None:
    """The fetch fails at the deadline (not before it, and within a second after), naming `part`."""
    started = time.monotonic()
    with pytest.raises(FetchFailed) as failed:
        fetch_http(url, settings(), resolve=resolve)
    elapsed = time.monotonic() - started
    assert DEADLINE - 0.1 <= elapsed <= DEADLINE + 1, f"cut off after {elapsed:.2f} s"
    assert f"did not send the image within {DEADLINE:g} s (FETCH_TIMEOUT_SECONDS)" in str(failed.value)
    assert part in str(failed.value)


def test_a_slow_dns_lookup_is_cut_off() -> None:
    def slow_resolver(host: str, port: int) -> list[str]:
        time.sleep(DEADLINE + 3)
        return ["127.0.0.1"]

    cut_off("http://slow-dns.example/cat.png", "still resolving the host name", resolve=slow_resolver)


def test_a_host_that_never_accepts_the_connection_is_cut_off() -> None:
    with socket.create_server(("127.0.0.1", 0), backlog=0) as full:
        filler = socket.create_connection(full.getsockname())  # the one queued connection: the next waits
        with filler:
            cut_off(f"http://localhost:{full.getsockname()[1]}/cat.png", "still connecting")


def test_a_trickled_status_line_is_cut_off() -> None:
    with hostile(lambda connection, path: trickle(connection, HEADERS)) as port:
        cut_off(f"http://localhost:{port}/cat.png", "still waiting for the status line")


def test_trickled_headers_are_cut_off() -> None:
    status, rest = HEADERS.split(b"\r\n", 1)

    def answer(connection: socket.socket, path: str) -> None:
        connection.sendall(status + b"\r\n")
        trickle(connection, rest)

    with hostile(answer) as port:
        cut_off(f"http://localhost:{port}/cat.png", "still receiving the headers")


def test_a_trickled_body_is_cut_off() -> None:
    def answer(connection: socket.socket, path: str) -> None:
        connection.sendall(HEADERS)
        trickle(connection, PNG)

    with hostile(answer) as port:
        cut_off(f"http://localhost:{port}/cat.png", "still receiving the body")


def test_slow_redirects_share_the_one_deadline() -> None:
    def answer(connection: socket.socket, path: str) -> None:
        time.sleep(0.6)  # each hop is quick enough on its own
        hop = int(path.rsplit("/", 1)[1]) + 1
        redirect = f"HTTP/1.1 302 Found\r\nLocation: /hop/{hop}\r\nContent-Length: 0\r\n\r\n"
        connection.sendall(redirect.encode())

    with hostile(answer) as port:
        cut_off(f"http://localhost:{port}/hop/0", "(after 2 redirects)")


def test_a_prompt_host_is_fetched_well_within_the_deadline() -> None:
    with hostile(lambda connection, path: connection.sendall(HEADERS + PNG)) as port:
        assert fetch_http(f"http://localhost:{port}/cat.png", settings(), resolve=LOOPBACK).data == PNG
