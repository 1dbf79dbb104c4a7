"""Dashboard benchmark: the Live page's data load at 100, 1,000 and 10,000 events, and AWS calls per refresh.

Run: `python -m bench.bench_dashboard [--sizes 100 1000 10000]`. Uses the embedded emulator, so the
figures measure our reads plus the emulator's answer time; the targets are ratios, which carry over.
"""

from __future__ import annotations

import argparse
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

from bench.stats import Timing, machine, measure
from core.aws import AwsClients
from core.models import EventSource, EventStatus, StoredEvent
from core.ops.provision import provision
from core.settings import Settings
from core.store.reads import last_hour_minutes, newest_events
from core.store.writes import put_events
from local.emulator import embedded_aws, use_endpoint
from local.event_source.table_stream import TableStreamSource


def live_page_data(clients: AwsClients) -> None:
    """What one Live refresh reads (dashboard/resources.py: live_snapshot)."""
    newest_events(clients)
    last_hour_minutes(clients)


def fill(clients: AwsClients, counter: TableStreamSource, start: int, stop: int, now: datetime) -> None:
    """Events spread over the last 3 days, written as the consumer writes them, then counted."""
    events = [StoredEvent(event_id=f"bench-{n}", received_at=now - timedelta(seconds=n * 25),
                          source=EventSource.STREAM, status=EventStatus.STORED, description=f"event {n}",
                          sha256=f"{n:064x}") for n in range(start, stop)]
    put_events(clients, events)
    counter.poll_once()


def calls_per_refresh(clients: AwsClients) -> int:
    calls: Counter[str] = Counter()

    def count(model: Any, **_: Any) -> None:
        calls[model.name] += 1

    clients.dynamodb.meta.events.register("before-call.dynamodb", count)
    live_page_data(clients)
    clients.dynamodb.meta.events.unregister("before-call.dynamodb", count)
    return sum(calls.values())


def run(sizes: list[int], runs: int) -> list[tuple[int, Timing, int]]:
    rows: list[tuple[int, Timing, int]] = []
    with embedded_aws() as endpoint:
        use_endpoint(endpoint)
        clients = AwsClients(Settings())
        provision(clients)
        counter = TableStreamSource(clients, in_process=True)
        now, stored = datetime.now(UTC), 0
        for size in sorted(sizes):
            fill(clients, counter, stored, size, now)
            stored = size
            rows.append((size, measure(lambda: live_page_data(clients), runs), calls_per_refresh(clients)))
    return rows


def report(rows: list[tuple[int, Timing, int]]) -> str:
    lines = ["| events in the store | Live data load | AWS calls per refresh |", "| --- | --- | --- |"]
    lines += [f"| {size:,} | {timing.ms()} | {calls} |" for size, timing, calls in rows]
    ratio = rows[-1][1].median / rows[0][1].median
    lines.append(f"\n{rows[-1][0]:,} vs {rows[0][0]:,} events: {ratio:.2f}× (target ≤ 1.2×); "
                 f"calls per refresh ≤ {max(r[2] for r in rows)} (target ≤ 5).")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1_000, 10_000])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    print(machine())
    print(report(run(args.sizes, args.runs)))


if __name__ == "__main__":
    main()
