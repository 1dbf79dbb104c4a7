"""HTTP servers on loopback for the tests: serving one for a block, an image host that fails, then recovers,
a raw host that sends whatever a test writes, and image hosts that count the connections open at once (one
quick, one that trickles)."""

from __future__ import annotations

import contextlib
import select
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests import factories as make


class Recovering(BaseHTTPRequestHandler):
    """503 Service Unavailable to the first `failures` requests, then the image."""

    protocol_version = "HTTP/1.1"
    server: RecoveringHost

    def do_GET(self) -> None:
        self.server.asked += 1
        down = self.server.asked <= self.server.failures
        body, kind = (b"down for maintenance", "text/plain") if down else (self.server.image, "image/jpeg")
        self.send_response(503 if down else 200)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


class RecoveringHost(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, failures: int = 1) -> None:
        super().__init__(("127.0.0.1", 0), Recovering)
        self.asked, self.failures = 0, failures
        self.image = make.jpeg((120, 90), "teal")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/photo.jpg"


@contextmanager
def serving(server: ThreadingHTTPServer) -> Iterator[None]:
    """`server` answering on a thread of its own for the block, then shut and its socket closed."""
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def recovering_host(failures: int = 1) -> Iterator[RecoveringHost]:
    """A host answering 503 `failures` times, then a JPEG; fetching from it needs ALLOW_LOOPBACK_FETCH."""
    server = RecoveringHost(failures)
    with serving(server):
        yield server


@contextmanager
def raw_host(answer: Callable[[socket.socket, str], None]) -> Iterator[str]:
    """A host on loopback that reads a request and sends whatever `answer(connection, path)` writes on the
    socket (HTTP or not), then closes; yields its base URL. For hosts no real server would imitate."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.2)
    stop = threading.Event()

    def serve(connection: socket.socket) -> None:
        with connection, contextlib.suppress(OSError):  # the fetcher hanging up is often the point
            request = connection.recv(65536).decode("latin-1")
            answer(connection, request.split(" ")[1] if " " in request else "/")

    def accept() -> None:
        while not stop.is_set():
            try:
                connection, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:  # the listener was closed: the test is over
                return
            threading.Thread(target=serve, args=(connection,), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        stop.set()
        listener.close()


class Counted(BaseHTTPRequestHandler):
    """The host's image at any path, whole (`trickle` off) or a byte every 0.1 s after the headers."""

    protocol_version = "HTTP/1.1"
    server: CountingHost

    def do_GET(self) -> None:
        with self.server.open_connection():
            body = self.server.image
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            try:
                self._send(body)
            except OSError:  # the fetcher gave up at its deadline, which is the point
                self.close_connection = True

    def _send(self, body: bytes) -> None:
        self.server.gate.wait()
        if not self.server.trickle:
            self.wfile.write(body)
            return
        for index in range(len(body)):
            self.wfile.write(body[index:index + 1])
            if self._hung_up(within=0.1):
                return

    def _hung_up(self, within: float) -> bool:
        """Whether the fetcher closed the connection (it sends nothing more), noticed at once: a closed
        connection counted as open would make more look open at once than there were."""
        readable, _, _ = select.select([self.connection], [], [], within)
        return bool(readable) and not self.connection.recv(1, socket.MSG_PEEK)

    def log_message(self, *args: Any) -> None:
        pass


class CountingHost(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256  # a batch connects all at once; a short backlog would delay some by a second

    def __init__(self, image: bytes, trickle: bool) -> None:
        super().__init__(("127.0.0.1", 0), Counted)
        self.image, self.trickle = image, trickle
        self.gate = threading.Event()  # cleared: every answer waits after its headers until it is set
        self.gate.set()
        self.peak = self.requests = 0
        self._open = 0
        self._lock = threading.Lock()
        self.arrived = threading.Event()  # set by each request; cleared by whoever waits for quiet

    @property
    def open(self) -> int:
        return self._open

    @contextmanager
    def open_connection(self) -> Iterator[None]:
        """One request being answered: counted while it lasts, and the most at once kept in `peak`."""
        with self._lock:
            self._open += 1
            self.requests += 1
            self.peak = max(self.peak, self._open)
            self.arrived.set()
        try:
            yield
        finally:
            with self._lock:
                self._open -= 1

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/{name}"


@contextmanager
def counting_host(image: bytes, trickle: bool = False) -> Iterator[CountingHost]:
    """A host serving `image` at every path, counting its connections; `trickle` sends the body so slowly
    that no fetch finishes it. Fetching from it needs ALLOW_LOOPBACK_FETCH."""
    server = CountingHost(image, trickle)
    with serving(server):
        yield server
