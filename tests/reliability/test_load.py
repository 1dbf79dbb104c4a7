"""Load: a burst of N events through the local stack's consumer (the local event source in the background,
the real handler, the default 8 workers) while the dashboard's reads run every quarter second.
All N must be stored exactly once. The reads' times are printed; p95 < 1 s is asserted only under
`make soak` (SOAK=1): speed targets live in benchmarks and soak runs, `make test` asserts behaviour."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest

from core.aws import AwsClients
from core.settings import Settings
from core.store.browse import recent_events
from core.store.reads import last_hour_count, last_hour_minutes, latest_event
from core.stream.producer import encode_event, send_events
from local.event_source.runner import EventSourceConfig, LocalEventSource
from local.event_source.table_stream import TableStreamSource
from tests.factories import image_in_bucket, small_jpeg
from tests.reliability.harness import SOAK, event_ids_in_table, percentile, report, size

N = size(200, 10_000)
READ_EVERY_SECONDS = 0.25  # Live: far more often than its 5 s refresh, as if many browsers had it open
# The Gallery does not refresh by itself: a person pages through it, looking at each page. A page is 32
# queries of up to 25 items each; the emulator spends ~1.4 s of CPU serializing them at 10,000 events
# (moto's response serializer), which DynamoDB answers side by side.
GALLERY_EVERY_SECONDS = 10.0
P95_TARGET_SECONDS = 1.0


@pytest.fixture()
def settings() -> Settings:
    return Settings(allow_loopback_fetch=True)  # the local stack's: WORKER_COUNT 8


class Reads(threading.Thread):
    """One dashboard load, timed, every `every` seconds until stopped."""

    def __init__(self, name: str, load: Callable[[], object], every: float = READ_EVERY_SECONDS) -> None:
        super().__init__(name=name, daemon=True)
        self.load, self.every, self.seconds, self.done = load, every, list[float](), threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            started = time.perf_counter()
            self.load()
            self.seconds.append(time.perf_counter() - started)
            self.done.wait(self.every)

    def summary(self) -> str:
        p50, p95, most = percentile(self.seconds, 0.5), percentile(self.seconds, 0.95), max(self.seconds)
        return f"{self.name}: {len(self.seconds)} loads, p50 {p50:.3f} s, p95 {p95:.3f} s, max {most:.3f} s"


@pytest.mark.timeout(size(300, 3600))
def test_a_burst_is_stored_exactly_once_while_the_dashboard_keeps_loading(handler_aws: AwsClients) -> None:
    aws = handler_aws
    url = image_in_bucket(aws, "load.jpg", small_jpeg(3))  # shared: the burst measures the pipeline
    payloads = [encode_event(url, f"load test event {i}") for i in range(N)]
    dashboard = AwsClients(aws.settings)  # the dashboard's own clients, as in its own process
    live = Reads("Live (latest event + last-hour minutes)",
                 lambda: (latest_event(dashboard), last_hour_minutes(dashboard)))
    gallery = Reads("Gallery (first page)", lambda: recent_events(dashboard, limit=24), GALLERY_EVERY_SECONDS)
    consumer = LocalEventSource(aws, EventSourceConfig.from_template(aws.settings, poll_seconds=0.05))
    aggregator = TableStreamSource(aws)  # as the local stack runs it: counting while events arrive
    consumer.start()
    aggregator.start()
    live.start()
    gallery.start()
    try:
        started = time.perf_counter()
        send_events(aws, payloads)
        sent = time.perf_counter() - started
        assert consumer.wait_until_caught_up(timeout=60 + N / 10)
        elapsed = time.perf_counter() - started
        aggregator.poll_once()  # whatever the last round left
        counted_in = time.perf_counter() - started
    finally:
        live.done.set()
        gallery.done.set()
        consumer.stop()
        aggregator.stop()
    live.join()
    gallery.join()

    ids = event_ids_in_table(aws)
    report(f"load: {N} events sent in {sent:.1f} s, all stored in {elapsed:.1f} s ({N / elapsed:.0f}/s), "
           f"counted in {counted_in:.1f} s; {live.summary()}; {gallery.summary()}")
    assert len(ids) == len(set(ids)) == N and last_hour_count(aws) == N
    if SOAK:
        assert percentile(live.seconds, 0.95) < P95_TARGET_SECONDS
