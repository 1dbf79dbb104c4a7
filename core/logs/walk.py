"""The walk behind core.logs.reader.read_logs: a log group's time window from its newest end down, in slices.

FilterLogEvents answers oldest first. A slice small enough for one page gives its lines newest first by
reversing them; a slice too big for a page is narrowed to its newest part, from the density that page
showed. Nothing read is read twice where it can be helped.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from core import clock
from core.aws import AwsClients
from core.aws.errors import aws_call
from core.errors import RequestRefused, ResourceMissing
from core.logs.entries import LogEntry, parse_line

MAX_CALLS = 30  # per read; at 5 calls/s, six seconds
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class Walk:
    """The window from its newest end down, a slice at a time.

    A slice that does not fit in one page is not lost: its page holds every line from the slice's start to
    just before the page's last line. When that slice started at the window's oldest unread millisecond
    (the first slice is the whole window), those lines are kept and the walk never reads them again.
    """

    def __init__(self, reader: SliceReader, low: int, high: int) -> None:
        self.reader, self.high = reader, high
        self.width = high - low + 1  # the whole window first: sparse lines take one call
        self.known: list[LogEntry] = []  # every line from the window's start to known_high, oldest first
        self.known_high = low - 1
        self._first = True

    def next_slice(self) -> list[LogEntry]:
        """The lines of the next slice down, newest first; [] when it had to be narrowed first."""
        low = max(self.known_high + 1, self.high - self.width + 1)
        lines, complete = self.reader.read(low, self.high, everything=low == self.high)
        if complete:
            self.high = low - 1
            self.width *= _growth(len(lines), self.reader.slice_lines)
            return lines[::-1]
        if not lines:  # the call budget ran out on empty pages
            return []
        last = ms(lines[-1].timestamp)
        clamped = low == self.known_high + 1
        if clamped:
            if last == low:  # the page was one millisecond's lines: read that millisecond to its end
                lines, last = self.reader.read(low, low, everything=True)[0], low + 1
            self.known += [line for line in lines if ms(line.timestamp) < last]
            self.known_high = last - 1
        if self._first or not clamped:  # otherwise the dense lines are just above the known ones: page on
            self.width = _narrower(self.width, lines, self.reader.slice_lines)
        self._first = False
        return []

    def known_up_to_high(self) -> list[LogEntry]:
        return [line for line in reversed(self.known) if ms(line.timestamp) <= self.high]


def _growth(lines: int, slice_lines: int) -> int:
    """How much wider the next slice may be after one that held `lines`: much when it was nearly empty."""
    if lines < slice_lines // 4:
        return 8
    return 2 if lines < slice_lines // 2 else 1


def _narrower(width: int, lines: list[LogEntry], slice_lines: int) -> int:
    """A width that should hold about half a slice's lines, at the density the page showed."""
    spanned = ms(lines[-1].timestamp) - ms(lines[0].timestamp) + 1
    wanted = int(spanned * (slice_lines / 2) / len(lines))
    return max(1, min(width // 2, wanted))


class SliceReader:
    """FilterLogEvents over one slice of the window, page after page, up to a slice's worth of lines."""

    def __init__(self, clients: AwsClients, group: str, pattern: str, slice_lines: int,
                 before_call: Callable[[], object] | None) -> None:
        self.clients, self.group, self.pattern = clients, group, pattern
        self.slice_lines, self.before_call = slice_lines, before_call
        self.calls = 0

    def read(self, low: int, high: int, everything: bool = False) -> tuple[list[LogEntry], bool]:
        """(the slice's lines oldest first, whether that is all of them); `everything` pages to the end."""
        request: dict[str, Any] = {"logGroupName": self.group, "startTime": low, "endTime": high,
                                   "limit": self.slice_lines}
        if self.pattern:
            request["filterPattern"] = self.pattern
        lines: list[LogEntry] = []
        while True:
            page = self._call(request)
            lines += [_entry(event) for event in page.get("events", [])]
            token = page.get("nextToken")
            if not token or token == request.get("nextToken"):  # a repeated token would loop forever
                return sorted(lines, key=lambda e: e.timestamp), True
            if (len(lines) >= self.slice_lines and not everything) or self.calls >= MAX_CALLS:
                return sorted(lines, key=lambda e: e.timestamp), False
            request["nextToken"] = token  # CloudWatch may answer with few or no lines and a token

    def _call(self, request: dict[str, Any]) -> dict[str, Any]:
        if self.before_call:
            self.before_call()
        self.calls += 1
        try:
            with aws_call(f"log group {self.group}", setting="CONSUMER_LOG_GROUP"):
                return dict(self.clients.logs.filter_log_events(**request))
        except ResourceMissing:
            return {}  # the consumer has not logged anything yet
        except RequestRefused as exc:
            raise ValueError(f"CloudWatch Logs refused the query: {exc}") from exc


def _entry(event: dict[str, Any]) -> LogEntry:
    timestamp = _EPOCH + timedelta(milliseconds=int(event["timestamp"]))
    return parse_line(str(event.get("message", "")), timestamp, str(event.get("logStreamName", "")))


def ms(moment: datetime) -> int:
    """Milliseconds since the epoch, as CloudWatch takes times; exact, unlike a float's."""
    return int((clock.utc(moment) - _EPOCH) // timedelta(milliseconds=1))
