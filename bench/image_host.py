"""The benchmark's image host on loopback: a JPEG at any path, sent whole, or under /slow/ a byte every
0.1 s after the headers, so that no fetch finishes it before its deadline. Bench only."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class _Answer(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: ImageHost

    def do_GET(self) -> None:
        body = self.server.image
        self.send_response(200)
        self.send_header("Content-Type", "image/jpeg")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        try:
            if not self.path.startswith("/slow/"):
                self.wfile.write(body)
                return
            for index in range(len(body)):
                self.wfile.write(body[index:index + 1])
                time.sleep(0.1)
        except OSError:  # the fetcher gave up at its deadline
            self.close_connection = True

    def log_message(self, *args: Any) -> None:
        pass


class ImageHost(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256  # a batch connects all at once; a short backlog would delay some by a second

    def __init__(self, image: bytes) -> None:
        super().__init__(("127.0.0.1", 0), _Answer)
        self.image = image

    def url(self, name: str, slow: bool) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/{'slow/' if slow else ''}{name}"


@contextmanager
def image_host(image: bytes) -> Iterator[ImageHost]:
    """The host, answering on its own threads for the block."""
    server = ImageHost(image)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
