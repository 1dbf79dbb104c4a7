"""HTTP servers on loopback for the tests: serving one for a block, an image host that fails, then recovers,
and a raw host that sends whatever a test writes."""

from __future__ import annotations

import contextlib
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
def raw_host(answer: Callable[[socket.socket], None]) -> Iterator[str]:
    """A host on loopback that reads a request and sends whatever `answer` writes on the socket (HTTP or not),
    then closes; yields its base URL. For hosts no real server would imitate."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.2)
    stop = threading.Event()

    def serve(connection: socket.socket) -> None:
        with connection, contextlib.suppress(OSError):  # the fetcher hanging up is often the point
            connection.recv(65536)
            answer(connection)

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
