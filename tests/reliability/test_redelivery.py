"""Redelivery: Lambda delivers a batch again after any failure, so the same records must change nothing.
One batch of N records (stored and failed ones) delivered three times, one after another and at once."""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from core.aws import AwsClients
from core.settings import Settings
from core.store.reads import last_hour_minutes, latest_event
from lambda_consumer import handler as consumer
from tests.factories import (
    counted,
    event_id,
    image_event,
    image_in_bucket,
    lambda_context,
    put_and_read_back,
    small_jpeg,
)
from tests.reliability.harness import (
    Delivery,
    event_ids_in_table,
    event_items_in_table,
    object_keys,
    report,
    size,
)

N = size(100, 1_000)
N_AT_ONCE = size(50, 1_000)
FAILED_EVERY = 5  # every fifth record is not a valid event: the failed path is redelivered too


@pytest.fixture()
def settings() -> Settings:
    return Settings(allow_loopback_fetch=True, worker_count=8)  # the consumer's default pool


def batch(aws: AwsClients, n: int) -> Delivery:
    """n records on the stream, read back as the one Lambda event that carries them all."""
    url = image_in_bucket(aws, "shared.jpg", small_jpeg(1))  # shared: cheap records, one image stored
    payloads = [
        image_event(url, f"record {i}") if i % FAILED_EVERY else b'{"ImageUrl": "ftp://example.com/x.jpg"}'
        for i in range(n)
    ]
    return Delivery(*put_and_read_back(aws, payloads))


def snapshot(aws: AwsClients) -> tuple[Any, ...]:
    items = sorted(event_items_in_table(aws), key=lambda item: item["pk"]["S"])
    minutes = last_hour_minutes(counted(aws))
    counts = (sum(m.events for m in minutes), sum(m.failed for m in minutes))
    return items, counts, latest_event(counted(aws)), object_keys(aws)


def timed(deliver: Callable[[], object]) -> float:
    """Seconds one delivery took; it must report no record for retry."""
    started = time.perf_counter()
    assert deliver() == {"batchItemFailures": []}
    return time.perf_counter() - started


def check_exactly_once(aws: AwsClients, delivery: Delivery) -> None:
    n = len(delivery.sent)
    ids = event_ids_in_table(aws)
    assert len(ids) == n and set(ids) == {event_id(r) for r in delivery.sent}
    assert snapshot(aws)[1] == (n, len(range(0, n, FAILED_EVERY)))  # last-hour count n, failed counted once


@pytest.mark.timeout(size(300, 1200))
def test_the_same_batch_delivered_three_times_keeps_exactly_one_event_per_record(
    handler_aws: AwsClients,
) -> None:
    delivery = batch(handler_aws, N)
    seconds = [timed(lambda: consumer.handler(delivery.event, lambda_context()))]
    first = snapshot(handler_aws)
    seconds += [timed(lambda: consumer.handler(delivery.event, lambda_context())) for _ in range(2)]
    check_exactly_once(handler_aws, delivery)
    assert snapshot(handler_aws) == first  # items, counters, latest and objects all unchanged
    report(f"redelivery: one batch of {N} records delivered 3 times in turn: "
           + ", ".join(f"{s:.1f} s" for s in seconds) + f"; {N} events, last-hour count {N}")


@pytest.mark.timeout(size(300, 1200))
def test_the_same_batch_delivered_three_times_at_once_keeps_exactly_one_event_per_record(
    handler_aws: AwsClients,
) -> None:
    # As when an invocation overruns and its retry starts, or two consumers read one shard.
    delivery = batch(handler_aws, N_AT_ONCE)
    with ThreadPoolExecutor(3) as pool:
        responses = list(pool.map(lambda _: consumer.handler(delivery.event, lambda_context()), range(3)))
    assert responses == [{"batchItemFailures": []}] * 3
    check_exactly_once(handler_aws, delivery)
