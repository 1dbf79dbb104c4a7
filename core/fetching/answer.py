"""The answer to a request as http.client parses it, telling how far it has come (for the reason a deadline
gives) and naming what a status line should have been: interim 1xx answers, or no HTTP at all."""

from __future__ import annotations

import http.client


class Progress:
    """How far the answer has come: status line (after any interim 1xx answers), headers, body."""

    def __init__(self) -> None:
        self.received = 0
        self.status_line = False  # the final one
        self.headers = False
        self.interim = 0  # 1xx answers before the final one
        self.last_interim = ""

    def saw(self, data: bytes) -> None:
        self.received += len(data)

    @property
    def part(self) -> str:
        if not self.status_line and self.interim:
            return (f"waiting for the final status line after {self.interim} interim answers "
                    f"({self.last_interim!a})")
        if not self.status_line:
            return "waiting for the status line"
        if not self.headers:
            return "receiving the headers"
        return "receiving the body"


class TooManyInterim(Exception):
    """The server sent interim (1xx) answers past any reason to, and no final one."""

    def __init__(self, count: int, line: str) -> None:
        super().__init__(f"{count} interim answers ({line!a})")
        self.count, self.line = count, line


class NotHttp(Exception):
    """The answer has no HTTP status line (HTTP/0.9, or not a web server); `start` holds its first bytes."""

    def __init__(self, start: bytes) -> None:
        super().__init__(start)
        self.start = start


MAX_INTERIM = 10  # real servers send one 100 Continue or a 103 Early Hints; more is a flood


class Answer(http.client.HTTPResponse):
    """http.client's response, telling `progress` where it is. Every interim 1xx answer is skipped
    (http.client skips only 100 Continue), and a flood of them is cut short, naming the status line."""

    progress: Progress

    def _read_status(self) -> tuple[str, int, str]:
        while True:
            version, status, reason = self._status_line()
            if not 100 <= status < 200 or status == 101:
                self.progress.status_line = True
                return version, status, reason
            self.progress.interim += 1
            self.progress.last_interim = f"{version} {status} {reason}".strip()
            if self.progress.interim > MAX_INTERIM:
                raise TooManyInterim(self.progress.interim, self.progress.last_interim)
            if status != 100:  # http.client reads a 100's headers itself
                http.client.parse_headers(self.fp)
                continue
            return version, status, reason

    def _status_line(self) -> tuple[str, int, str]:
        start = self.fp.peek(24)[:24]  # kept to name what came instead of a status line
        try:
            return super()._read_status()  # type: ignore[misc,no-any-return]
        except http.client.RemoteDisconnected:  # a BadStatusLine too, but nothing came: the connection broke
            raise
        except (http.client.BadStatusLine, http.client.LineTooLong):
            raise NotHttp(start) from None

    def begin(self) -> None:
        super().begin()
        self.progress.headers = True
