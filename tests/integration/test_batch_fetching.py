"""A batch's fetches overlap: slow hosts cost a batch about one deadline, not one per WORKER_COUNT records,
and the batch's outcomes still come back in its records' order."""

from __future__ import annotations

import gc

import pytest

from core.aws import AwsClients
from core.fetching import Fetched
from core.ingest.batch import Job, counts, run
from core.models import EventStatus, FailureKind
from core.settings import Settings
from local.roles import admin_session
from tests import factories as make
from tests.hosts import counting_host

RECORDS = 100
PNG = make.encode(make.halves((16, 16)), "PNG")


@pytest.fixture()
def settings() -> Settings:
    return Settings(allow_loopback_fetch=True, worker_count=4, fetch_timeout_seconds=1.5)


def jobs(urls: list[str]) -> list[Job]:
    return [Job(make.stream_origin(str(n)), f"record {n}", url) for n, url in enumerate(urls, start=1)]


def test_a_batch_of_trickling_hosts_is_fetched_at_once_not_worker_count_at_a_time(aws: AwsClients) -> None:
    settings = aws.settings
    with counting_host(PNG, trickle=True) as host:
        batch = jobs([host.url(f"{n}.png") for n in range(RECORDS)])
        outcomes = run(aws, batch)

    # Far more connections open at once than there are workers (the bound: test_fetch_concurrent.py).
    assert host.peak > settings.worker_count
    assert host.peak >= min(RECORDS, settings.fetch_concurrency) // 2, f"only {host.peak} at once"
    assert host.requests == RECORDS
    assert [outcome.job for outcome in outcomes] == batch
    for outcome in outcomes:
        event = outcome.event
        assert event is not None and event.status is EventStatus.FAILED
        assert event.image_url == outcome.job.image_url
        assert event.failure_kind is FailureKind.RETRYABLE
        assert "still receiving the body" in (event.failure_reason or "")


def test_a_batch_with_room_for_two_images_at_a_time_stores_them_all(aws: AwsClients) -> None:
    # Each body is given back once its image is made, so a small budget takes turns and never stalls.
    tight = aws.settings.model_copy(update={"max_image_bytes": len(PNG), "fetch_memory_bytes": 2 * len(PNG)})
    clients = AwsClients(tight, session=admin_session())
    with counting_host(PNG) as host:
        batch = jobs([host.url(f"{n}.png") for n in range(20)])
        outcomes = run(clients, batch)

    assert counts(outcomes)["stored"] == 20
    assert [outcome.job for outcome in outcomes] == batch


def test_an_image_is_let_go_once_its_event_is_made_not_when_the_batch_ends(aws: AwsClients) -> None:
    alive: list[int] = []  # fetched images still in memory each time a job is made

    def made(_: int) -> None:
        alive.append(sum(isinstance(thing, Fetched) for thing in gc.get_objects()))

    with counting_host(PNG) as host:
        outcomes = run(aws, jobs([host.url(f"{n}.png") for n in range(40)]), done=made)

    assert counts(outcomes)["stored"] == 40
    # At most those waiting for a worker (two each), those being made and the one just handed on.
    assert max(alive) <= 3 * aws.settings.worker_count + 1, alive
