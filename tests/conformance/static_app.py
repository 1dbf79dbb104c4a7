"""A WSGI app serving a folder's files, each path prefix a way image hosts answer; waitress runs it.

`python -m tests.conformance.static_app FOLDER OTHER_BASE LISTEN...` serves it with waitress on each
`host:port`. The HTTP itself (framing, keep-alive, chunking, closing) is waitress's: this app only
chooses the headers and the bodies.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

StartResponse = Callable[..., Any]
REDIRECTS = {"301": "301 Moved Permanently", "302": "302 Found", "303": "303 See Other",
             "307": "307 Temporary Redirect", "308": "308 Permanent Redirect"}
TYPES = {".jpg": "image/jpeg", ".png": "image/png"}


def app(folder: Path, other_base: str) -> Callable[[dict[str, Any], StartResponse], Iterable[bytes]]:
    """Routes: /<behaviour>/<file>; a redirect's target is /plain/<file> here, or on `other_base`."""

    def serve(environ: dict[str, Any], start: StartResponse) -> Iterable[bytes]:
        _, behaviour, name = [*environ["PATH_INFO"].split("/", 2), "", ""][:3]
        path = folder / name
        if environ["REQUEST_METHOD"] == "HEAD" and behaviour == "headless":
            start("405 Method Not Allowed", [("Allow", "GET"), ("Content-Length", "0")])
            return [b""]
        if not name or not path.is_file():
            start("404 Not Found", [("Content-Type", "text/plain"), ("Content-Length", "9")])
            return [b"not found"]
        status, where = behaviour.partition("-")[::2]
        if status in REDIRECTS:
            base = other_base if where == "absolute" else ""
            start(REDIRECTS[status], [("Location", f"{base}/plain/{name}"), ("Content-Length", "0")])
            return [b""]
        return _file(behaviour, path, start)

    return serve


def _file(behaviour: str, path: Path, start: StartResponse) -> Iterable[bytes]:
    kind = TYPES.get(path.suffix, "application/octet-stream")
    body, headers = path.read_bytes(), [("Content-Type", kind)]
    if behaviour in ("gzip", "deflate"):
        body = path.with_name(path.name + (".gz" if behaviour == "gzip" else ".zz")).read_bytes()
        headers.append(("Content-Encoding", behaviour))
    elif behaviour == "wrong-type":
        headers = [("Content-Type", "text/html; charset=utf-8")]
    elif behaviour == "no-type":
        headers = []
    if behaviour != "chunked":  # without a length waitress chunks the body, and closes the connection after
        headers.append(("Content-Length", str(len(body))))
    start("200 OK", headers)
    if behaviour == "chunked":
        return [body[i:i + 65536] for i in range(0, len(body), 65536)]
    return [body]


def main(folder: str, other_base: str, *listen: str) -> None:
    import waitress  # only in the server's process

    waitress.serve(app(Path(folder), other_base), listen=" ".join(listen), threads=4)


if __name__ == "__main__":
    main(*sys.argv[1:])
