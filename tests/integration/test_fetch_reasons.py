"""Hosts no real server would imitate, each failing its own way: each gets a reason a person can act on, and a
failure of our own code is never recorded against the event."""

from __future__ import annotations

import errno
import gzip
import json
import socket
import time
from typing import Any

import pytest

from core.aws import AwsClients
from core.errors import FetcherFault, FetchFailed, SourceUnavailable
from core.fetching.fetch import fetch_http
from core.ingest import batch
from core.models import EventStatus, FailureKind, StoredEvent
from core.ops.cli import main
from core.settings import Settings
from core.store.reads import get_event
from core.store.writes import put_events
from tests import factories as make
from tests.hosts import raw_host, recovering_host

PHOTO = make.photo_jpeg()
PNG = make.encode(make.halves((64, 48)), "PNG")
LIMIT = 200_000


def settings(**overrides: Any) -> Settings:
    return Settings(**{"allow_loopback_fetch": True, "fetch_timeout_seconds": 2, "max_image_bytes": LIMIT,
                       **overrides})


def headers(*lines: str, status: str = "200 OK") -> bytes:
    return "\r\n".join([f"HTTP/1.1 {status}", *lines, "", ""]).encode()


def failure(answer: bytes | Any, **overrides: Any) -> FetchFailed:
    """What fetching from a host that sends `answer` (bytes, or a function writing on the socket) raises."""
    send = answer if callable(answer) else lambda connection: connection.sendall(answer)
    with raw_host(lambda connection, _: send(connection)) as base, pytest.raises(FetchFailed) as failed:
        fetch_http(f"{base}/photo.jpg", settings(**overrides))
    return failed.value


@pytest.mark.parametrize("image", [PHOTO, PNG], ids=["jpeg", "png"])
def test_an_http09_answer_gets_a_short_escaped_reason(image: bytes) -> None:
    reason = str(failure(image))
    assert "has no valid HTTP status line" in reason and "HTTP/0.9" in reason
    assert reason.isascii() and reason.isprintable() and len(reason) < 200, reason


def test_a_flood_of_interim_answers_names_the_status_line() -> None:
    flood = b"HTTP/1.1 100 Continue\r\n\r\n" * 1000 + headers(f"Content-Length: {len(PHOTO)}") + PHOTO
    failed = failure(flood)
    assert "interim answers ('HTTP/1.1 100 Continue') in a row and no final status" in str(failed)
    assert not isinstance(failed, SourceUnavailable)


def test_slow_interim_answers_are_cut_off_at_the_deadline_naming_them() -> None:
    def hints(connection: socket.socket) -> None:
        for _ in range(20):
            connection.sendall(b"HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n")
            time.sleep(0.3)

    failed = failure(hints)
    assert isinstance(failed, SourceUnavailable)
    assert "still waiting for the final status line after" in str(failed)
    assert "interim answers ('HTTP/1.1 103 Early Hints')" in str(failed)


def test_an_early_hint_before_the_image_is_skipped() -> None:
    hint = b"HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n"
    with raw_host(lambda c, _: c.sendall(hint + headers(f"Content-Length: {len(PHOTO)}") + PHOTO)) as base:
        assert fetch_http(f"{base}/photo.jpg", settings()).data == PHOTO


@pytest.mark.parametrize(("coding", "compress"), [("gzip", gzip.compress)])
def test_a_compression_bomb_is_refused_naming_the_encoding_and_the_limit(coding: str, compress: Any) -> None:
    bomb = compress(b"\0" * 5_000_000)
    answer = headers(f"Content-Encoding: {coding}", f"Content-Length: {len(bomb)}") + bomb
    reason = str(failure(answer))
    unpacks = f"sends a {coding}-compressed body of {len(bomb):,} bytes that unpacks to more than 200,000"
    assert unpacks in reason and "MAX_IMAGE_BYTES" in reason


def test_an_encoding_that_cannot_be_undone_is_named() -> None:
    answer = headers("Content-Type: image/jpeg", "Content-Encoding: br", f"Content-Length: {len(PHOTO)}")
    answer += PHOTO
    assert "sent the image with Content-Encoding 'br' (Content-Type image/jpeg), which we did not ask for " \
        "(Accept-Encoding: identity)" in str(failure(answer))


def test_an_endless_body_without_a_length_is_cut_off_at_the_byte_limit() -> None:
    def endless(connection: socket.socket) -> None:
        connection.sendall(headers("Content-Type: image/jpeg") + PHOTO[:64])
        while True:
            connection.sendall(b"\0" * 65536)

    failed = failure(endless)
    assert "sends more than 200,000 bytes; the limit is 200,000 bytes (MAX_IMAGE_BYTES)" in str(failed)


def test_a_body_shorter_than_its_content_length_is_retryable_and_says_so() -> None:
    answer = headers(f"Content-Length: {len(PHOTO) + 1000}") + PHOTO
    failed = failure(answer)
    assert isinstance(failed, SourceUnavailable)
    assert f"the connection broke (IncompleteRead: {len(PHOTO):,} of the {len(PHOTO) + 1000:,} bytes its " \
        "Content-Length promised)" in str(failed)


@pytest.mark.parametrize("value", ["12abc", "-5", f"{len(PHOTO)}, 7"])
def test_a_content_length_that_is_no_byte_count_is_named(value: str) -> None:
    failed = failure(headers(f"Content-Length: {value}") + PHOTO)
    assert f"sent Content-Length '{value}', which is not one byte count" in str(failed)
    assert not isinstance(failed, SourceUnavailable)


def test_a_socket_our_own_code_breaks_is_delivered_again_not_recorded(
    aws: AwsClients, monkeypatch: pytest.MonkeyPatch
) -> None:
    """EBADF is what a socket gives when its own program closed it: our fault, never the event's."""
    with raw_host(lambda c, _: c.sendall(headers(f"Content-Length: {len(PHOTO)}") + PHOTO)) as base:
        port = int(base.rsplit(":", 1)[1])
        real = socket.socket.recv_into

        def closed_under_us(sock: socket.socket, *args: Any) -> int:
            if sock.getpeername()[1] == port:
                raise OSError(errno.EBADF, "Bad file descriptor")
            return real(sock, *args)

        monkeypatch.setattr(socket.socket, "recv_into", closed_under_us)
        (outcome,) = batch.run(aws, [batch.stream_job(make.image_event(f"{base}/photo.jpg"),
                                                      make.stream_origin("1"))])
    assert outcome.status == "retry" and isinstance(outcome.error, FetcherFault)
    assert get_event(aws, outcome.job.origin.event_id) is None


def test_retry_takes_an_event_failed_by_the_old_socket_fault_and_stores_it(
    aws: AwsClients, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Events recorded before the fix as failing for good with EBADF were our fault: `retry` takes them."""
    monkeypatch.setenv("ALLOW_LOOPBACK_FETCH", "true")
    with recovering_host(failures=0) as host:
        origin = make.stream_origin("2")
        broke = f"{host.url}: could not connect or the connection broke ([Errno 9] Bad file descriptor)"
        put_events(aws, [StoredEvent(
            event_id=origin.event_id, received_at=origin.received_at, source=origin.source,
            status=EventStatus.FAILED, image_url=host.url, description="a photo",
            failure_kind=FailureKind.PERMANENT, failure_reason=broke)])
        capsys.readouterr()
        assert main(["retry", origin.event_id]) == 0
    assert json.loads(capsys.readouterr().out)["retried"]["status"] == "stored"
