"""Dashboard benchmark: the Live page's data load at 100, 1,000 and 10,000 events, and AWS calls per refresh.

Run: `python -m bench.bench_dashboard [--sizes 100 1000 10000]`. Uses the embedded emulator, so the
figures measure our reads plus the emulator's answer time; the targets are ratios, which carry over.
"""

from __future__ import annotations

import argparse
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

from bench.stats import Timing, machine, measure
from core.aws import AwsClients
from core.models import EventSource, EventStatus, StoredEvent
from core.provision import provision
from core.settings import Settings
from core.store.reads import last_hour_minutes, latest_event
from core.store.writes import advance_latest, save_event
from local.emulator import embedded_aws, use_endpoint


def live_page_data(clients: AwsClients) -> None:
    """What one Live refresh reads (dashboard/resources.py: live_snapshot)."""
    latest_event(clients)
    last_hour_minutes(clients)


def fill(clients: AwsClients, start: int, stop: int, now: datetime) -> None:
    """Events spread over the last 3 days through the real transaction, as the consumer writes them."""
    def one(n: int) -> None:
        event = StoredEvent(event_id=f"bench-{n}", received_at=now - timedelta(seconds=n * 25),
                            source=EventSource.STREAM, status=EventStatus.STORED, description=f"event {n}",
                            thumbnail_key=f"thumbnails/{n}.webp", original_key=f"originals/{n}.jpg")
        save_event(clients, event)
        advance_latest(clients, event)

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(one, range(start, stop)))


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
        now, stored = datetime.now(UTC), 0
        for size in sorted(sizes):
            fill(clients, stored, size, now)
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
