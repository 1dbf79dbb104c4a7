"""Read a CloudWatch Logs group newest first, without reading the whole time window.

FilterLogEvents answers oldest first, page after page, so the newest lines of a busy hour are on its last
page. Here the window is walked backwards in slices: the newest slice first, sized so that one page holds
it (a slice that does not fit is narrowed to its newest part, from the density its first page showed);
the walk stops once it has enough lines. Where CloudWatch can narrow the lines itself it is asked to: an id
(or any exact text) is sent as a quoted term, and a level as the term its lines carry; the level and text
filters are then applied here to every line, because terms match anywhere in a line (and the emulator
ignores patterns other than one term).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from core.aws import AwsClients
from core.aws.errors import aws_call
from core.logs.entries import LogEntry, level_name
from core.logs.walk import MAX_CALLS, SliceReader, Walk, ms

SLICE_LINES = 1_000  # lines read per slice: one call, unless CloudWatch splits it into several pages
# The terms a level's lines carry: "WARN" is in WARN and WARNING; an ERROR is also the runtime's report of
# a crash (errorType, no level) and Lambda's timeout line. `?` means "any of" (CloudWatch's syntax).
_LEVEL_TERMS = {"DEBUG": '"DEBUG"', "INFO": '"INFO"', "WARNING": '"WARN"', "CRITICAL": '"CRITICAL"',
                "ERROR": '?"ERROR" ?"errorType" ?"Task timed out"'}


@dataclass(frozen=True)
class LogFilter:
    level: str | None = None  # exactly this level (WARN and WARNING are one)
    contains: str = ""  # case-insensitive, in what a line says (see LogEntry.has_text)
    search: str = ""  # exact text, e.g. an event id or a request id: sent to CloudWatch as a quoted term

    def pattern(self) -> str:
        """The one term CloudWatch filters on: the search if any (the narrowest), else the level's."""
        if self.search and '"' not in self.search:
            return f'"{self.search}"'
        return _LEVEL_TERMS.get(level_name(self.level) or "", "")

    def keeps(self, entry: LogEntry) -> bool:
        if self.level and entry.level != level_name(self.level):
            return False
        if self.search and self.search not in entry.message:
            return False
        return not self.contains or entry.has_text(self.contains)


def read_logs(
    clients: AwsClients, log_group: str, start: datetime, end: datetime, *,
    limit: int = 1000, filters: LogFilter | None = None, slice_lines: int = SLICE_LINES,
    before_call: Callable[[], object] | None = None,
) -> list[LogEntry]:
    """Up to `limit` entries between start and end (inclusive), newest first; [] if no group yet.

    `before_call` runs before each FilterLogEvents call (the dashboard's shared rate limiter).
    """
    filters = filters or LogFilter()
    walk = Walk(SliceReader(clients, log_group, filters.pattern(), slice_lines, before_call),
                 ms(start), ms(end))
    found: list[LogEntry] = []
    while walk.high > walk.known_high and len(found) < limit and walk.reader.calls < MAX_CALLS:
        found += [entry for entry in walk.next_slice() if filters.keeps(entry)]
    if walk.high <= walk.known_high:  # the walk came down to the oldest lines, read on the way
        found += [entry for entry in walk.known_up_to_high() if filters.keeps(entry)]
    return found[:limit]


def log_groups(clients: AwsClients, limit: int = 50) -> list[str]:
    """Names of the account's log groups (first `limit`), for the viewer's group picker."""
    with aws_call("CloudWatch Logs"):
        groups = clients.logs.describe_log_groups(limit=limit)["logGroups"]
    return [g["logGroupName"] for g in groups if "logGroupName" in g]
