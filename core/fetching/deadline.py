"""One HTTP(S) GET to an address the SSRF guard checked, with one deadline over every part of it.

A socket timeout bounds each read, not the exchange: a server that sends its status line, its headers
or its body a byte at a time never trips one. Here every step gets only the time left until the
deadline (DNS lookup, connect, TLS handshake, each read), so the whole exchange ends on time, and a
slow one says which part was slow. http.client parses the answer from a reader that keeps track.
"""

from __future__ import annotations

import http.client
import io
import select
import socket
import ssl
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

from core.fetching.answer import Answer, Progress
from core.fetching.ssrf import Target

T = TypeVar("T")


class TooSlow(Exception):
    """The deadline passed; `part` says during which part of the exchange."""

    def __init__(self, part: str) -> None:
        super().__init__(part)
        self.part = part


class Deadline:
    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._end = time.monotonic() + seconds

    def remaining(self, part: str) -> float:
        """Seconds left for `part`; TooSlow(part) when there are none."""
        left = self._end - time.monotonic()
        if left <= 0:
            raise TooSlow(part)
        return left

    def run(self, part: str, work: Callable[[], T]) -> T:
        """`work()` on a helper thread, given up on at the deadline (for calls with no timeout: DNS)."""
        outcome: list[Any] = []
        thread = threading.Thread(target=lambda: outcome.append(_attempt(work)), daemon=True)
        thread.start()
        thread.join(self.remaining(part))
        if not outcome:
            raise TooSlow(part)
        ok, value = outcome[0]
        if not ok:
            raise value
        return value  # type: ignore[no-any-return]


def _attempt(work: Callable[[], T]) -> tuple[bool, Any]:
    try:
        return True, work()
    except Exception as exc:  # handed to the caller's thread, raised there
        return False, exc


class _DeadlineReader(io.RawIOBase):
    """The socket's bytes, each read given only the time left before the deadline."""

    def __init__(self, sock: socket.socket, deadline: Deadline, progress: Progress) -> None:
        self._sock, self._deadline, self.progress = sock, deadline, progress

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        self._sock.settimeout(self._deadline.remaining(self.progress.part))
        try:
            count = self._sock.recv_into(buffer)
        except TimeoutError:
            raise TooSlow(self.progress.part) from None
        self.progress.saw(bytes(memoryview(buffer)[:count]))
        return count


class _DeadlineSocket:
    """What http.client needs of a socket: sendall, and a file to read the answer from."""

    def __init__(self, sock: socket.socket, deadline: Deadline, progress: Progress) -> None:
        self._sock, self._deadline, self._progress = sock, deadline, progress

    def sendall(self, data: bytes) -> None:
        self._sock.settimeout(self._deadline.remaining("sending the request"))
        try:
            self._sock.sendall(data)
        except TimeoutError:
            raise TooSlow("sending the request") from None

    def makefile(self, mode: str, *args: Any, **kwargs: Any) -> io.BufferedReader:
        return io.BufferedReader(_DeadlineReader(self._sock, self._deadline, self._progress))

    def close(self) -> None:
        """Nothing: http.client closes its socket as soon as it learns the server will close the connection
        (Connection: close, HTTP/1.0, a body ended by close), while the response still reads the body from the
        file above. The real socket is closed by Exchange.close once the answer is read."""


class Exchange:
    """An open connection to the checked address, and the answer to one GET on it."""

    def __init__(self, target: Target, deadline: Deadline, headers: dict[str, str]) -> None:
        self.progress = progress = Progress()
        self._sock = _connect(target, deadline)
        try:
            connection = http.client.HTTPConnection(target.host, target.port)
            connection.sock = _DeadlineSocket(self._sock, deadline, progress)
            # http.client builds the response itself, from its class: one per exchange carries the progress.
            connection.response_class = type("Response", (Answer,), {"progress": progress})
            self._connection = connection
            connection.request("GET", target.path, headers={**headers, "Host": target.host_header})
            self.response: http.client.HTTPResponse = connection.getresponse()
        except BaseException:
            self._sock.close()
            raise

    def close(self) -> None:
        self.response.close()
        self._connection.close()
        self._sock.close()

    def __enter__(self) -> Exchange:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


def _connect(target: Target, deadline: Deadline) -> socket.socket:
    """A connection to the checked address (TLS speaks to, and verifies, the name in the URL)."""
    try:
        seconds = deadline.remaining("connecting")
        sock = socket.create_connection((target.address, target.port), timeout=seconds)
    except TimeoutError:
        raise TooSlow("connecting") from None
    if target.scheme == "http":
        return sock
    try:
        return _handshake(sock, target, deadline)
    except BaseException:
        sock.close()
        raise


def _handshake(sock: socket.socket, target: Target, deadline: Deadline) -> socket.socket:
    """TLS with SNI and the certificate checked for the URL's name, bounded by the deadline throughout."""
    context = ssl.create_default_context()
    tls = context.wrap_socket(sock, server_hostname=target.host, do_handshake_on_connect=False)
    try:
        return _shake(tls, deadline)
    except BaseException:
        tls.close()  # it owns the connection now: closing `sock` would leave it open
        raise


def _shake(tls: ssl.SSLSocket, deadline: Deadline) -> ssl.SSLSocket:
    tls.setblocking(False)
    wait: tuple[list[ssl.SSLSocket], list[ssl.SSLSocket]]
    while True:
        try:
            tls.do_handshake()
            return tls
        except ssl.SSLWantReadError:
            wait = ([tls], [])
        except ssl.SSLWantWriteError:
            wait = ([], [tls])
        if not any(select.select(*wait, [], deadline.remaining("in the TLS handshake"))):
            raise TooSlow("in the TLS handshake")
