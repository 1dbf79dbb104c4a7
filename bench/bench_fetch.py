"""Slow hosts in a batch: records of which none, a tenth or all point at a host that trickles its body
past the fetch deadline (2 s), each batch through the batch service (fetches FETCH_CONCURRENCY at once,
apart from the WORKER_COUNT decode workers) and through the path before it (bench/batch_before.py:
WORKER_COUNT fetches at once), interleaved in the same run; and through the batch service again with
FETCH_CONCURRENCY as large as the batch, the one wave a batch of slow hosts then takes.

Run: `python -m bench.bench_fetch [--records 100] [--runs 3] [--deadline 2]`. The embedded emulator and the
image host run on this machine; the quick records are 640x480 photo-like JPEGs.
"""

from __future__ import annotations

import argparse
import itertools
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from bench import batch_before
from bench.image_host import ImageHost, image_host
from bench.images import encoded
from bench.stats import Timing, machine, measure_interleaved
from core.aws import AwsClients
from core.ingest import batch
from core.ingest.origin import Origin, stream_event_id
from core.models import EventSource
from core.ops.provision import provision
from core.settings import Settings
from local.emulator import embedded_aws, use_endpoint

TARGET_SECONDS = 5.0  # a batch whose every host trickles, at a 2 s deadline
Run = Callable[[AwsClients, Sequence[batch.Job]], list[batch.Outcome]]
_sequence = itertools.count(1)


def jobs(host: ImageHost, records: int, slow: int) -> list[batch.Job]:
    """`records` new jobs (never seen, so none is skipped as kept), `slow` of them spread among the rest."""
    made = []
    for index in range(records):
        sequence = str(next(_sequence))
        origin = Origin(stream_event_id("shardId-0", sequence), datetime.now(UTC), EventSource.STREAM,
                        "shardId-0", sequence)
        is_slow = slow > 0 and index % (records // slow) == 0
        made.append(batch.Job(origin, "bench", host.url(f"{sequence}.jpg", is_slow)))
    return made


def one_batch(run: Run, clients: AwsClients, host: ImageHost, records: int, slow: int) -> Callable[[], None]:
    def work() -> None:
        outcomes = run(clients, jobs(host, records, slow))
        found = batch.counts(outcomes)
        if (found["failed"], found["stored"]) != (slow, records - slow):
            raise SystemExit(f"expected {slow} failed and {records - slow} stored, got {found}")
    return work


def seconds(timing: Timing) -> str:
    return f"{timing.median:.1f} s ({timing.low:.1f}–{timing.high:.1f}, n={timing.runs})"


def report(clients: AwsClients, host: ImageHost, records: int, runs: int) -> str:
    settings = clients.settings
    wide = AwsClients(settings.model_copy(update={"fetch_concurrency": records}))
    paths: dict[str, tuple[Run, AwsClients]] = {
        "before": (batch_before.run, clients), "now": (batch.run, clients), "wide": (batch.run, wide)}
    lines = [f"{records} records a batch; fetch deadline {settings.fetch_timeout_seconds:g} s, WORKER_COUNT "
             f"{settings.worker_count}, FETCH_CONCURRENCY {settings.fetch_concurrency}. Time per batch "
             "(fetch, renditions, S3 and the event writes), median (min–max):", "",
             f"| records whose host trickles | before: fetches WORKER_COUNT at once | now: "
             f"FETCH_CONCURRENCY at once | before / now | now, FETCH_CONCURRENCY {records} |",
             "| ---: | ---: | ---: | ---: | ---: |"]
    verdict = ""
    for slow in (0, records // 10, records):
        works = {name: one_batch(run, on, host, records, slow) for name, (run, on) in paths.items()}
        timed = measure_interleaved(works, runs)
        before, now = timed["before"], timed["now"]
        lines.append(f"| {slow} | {seconds(before)} | {seconds(now)} | {before.median / now.median:.1f}× "
                     f"| {seconds(timed['wide'])} |")
        if slow == records:
            met = "met" if now.median <= TARGET_SECONDS else "not met"
            verdict = f"\nAll {records} trickling: {now.median:.1f} s (target ≤ {TARGET_SECONDS:g} s, {met})."
    return "\n".join(lines) + "\n" + verdict


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--records", type=int, default=100)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--deadline", type=float, default=2.0, help="FETCH_TIMEOUT_SECONDS, s")
    args = parser.parse_args()
    print(machine())
    with embedded_aws() as endpoint:
        use_endpoint(endpoint)
        clients = AwsClients(Settings(allow_loopback_fetch=True, fetch_timeout_seconds=args.deadline))
        provision(clients)
        with image_host(encoded((640, 480), "JPEG")) as host:
            print(report(clients, host, args.records, args.runs))


if __name__ == "__main__":
    main()
