"""A batch's fetches at once (core/fetching/concurrent.py): no more than FETCH_CONCURRENCY open, and the
bodies they hold, from s3:// or http(s) alike, within the byte budget (FETCH_MEMORY_BYTES)."""

from __future__ import annotations

import itertools
import threading

from core.aws import AwsClients
from core.errors import NoRoom
from core.fetching.concurrent import Arrival, fetch_each
from core.fetching.fetch import Fetched
from core.fetching.limits import ByteBudget
from core.settings import Settings
from local.roles import admin_session
from tests import factories as make
from tests.hosts import CountingHost, counting_host

PNG = make.encode(make.halves((16, 16)), "PNG")
ROOM_FOR_TWO = 2 * len(PNG) + len(PNG) // 2  # two bodies fit, a third does not


def settings(**changes: object) -> Settings:
    base = Settings(allow_loopback_fetch=True, max_image_bytes=len(PNG), fetch_memory_bytes=ROOM_FOR_TWO,
                    fetch_timeout_seconds=1)
    return base.model_copy(update=changes)


def quiet(host: CountingHost, seconds: float) -> None:
    """Back once no request has arrived for `seconds`."""
    host.arrived.clear()
    while host.arrived.wait(seconds):
        host.arrived.clear()


def fetched(arrivals: list[Arrival]) -> list[Arrival]:
    return [arrival for arrival in arrivals if isinstance(arrival.result, Fetched)]


def no_room(arrivals: list[Arrival]) -> list[Arrival]:
    return [arrival for arrival in arrivals if isinstance(arrival.result, NoRoom)]


def test_no_more_than_fetch_concurrency_fetches_are_open_at_once() -> None:
    clients = AwsClients(settings(fetch_concurrency=8, fetch_timeout_seconds=10, fetch_memory_bytes=10**8),
                         session=admin_session())
    arrivals: list[Arrival] = []
    with counting_host(PNG) as host:
        host.gate.clear()  # every answer waits after its headers: no fetch ends, so none makes way
        urls = [host.url(f"{n}.png") for n in range(20)]
        budget = ByteBudget(10**8)
        def take() -> None:
            for arrival in fetch_each(urls, clients, budget):
                arrivals.append(arrival)
                arrival.release()  # its image is processed

        taking = threading.Thread(target=take)
        taking.start()
        quiet(host, 0.5)
        open_while_held = host.open
        host.gate.set()
        taking.join(30)

    assert open_while_held == 8
    assert host.peak == 8 and host.requests == 20
    assert len(fetched(arrivals)) == 20


def test_bodies_that_find_no_room_by_their_deadline_are_given_up_as_our_own_load() -> None:
    clients = AwsClients(settings(), session=admin_session())
    budget = ByteBudget(ROOM_FOR_TWO)
    with counting_host(PNG) as host:
        # Nothing is given back while the arrivals are kept: as if no worker had processed an image yet.
        arrivals = list(fetch_each([host.url(f"{n}.png") for n in range(6)], clients, budget))

    assert len(fetched(arrivals)) == 2 and len(no_room(arrivals)) == 4
    assert budget.used == budget.peak == 2 * len(PNG)
    assert all(arrival.claim.hold.size == 0 for arrival in no_room(arrivals))
    reason = str(no_room(arrivals)[0].result)
    assert "FETCH_MEMORY_BYTES" in reason and "delivered again" in reason


def test_a_body_given_back_makes_room_for_the_next() -> None:
    clients = AwsClients(settings(), session=admin_session())
    budget = ByteBudget(ROOM_FOR_TWO)
    arrivals = []
    with counting_host(PNG) as host:
        for arrival in fetch_each([host.url(f"{n}.png") for n in range(12)], clients, budget):
            arrivals.append(arrival)
            arrival.release()  # its image is processed

    assert len(fetched(arrivals)) == 12
    assert [arrival.result.data for arrival in fetched(arrivals)] == [PNG] * 12  # type: ignore[union-attr]
    assert budget.peak <= ROOM_FOR_TWO and budget.used == 0


def test_s3_sources_take_room_in_the_same_budget(aws: AwsClients) -> None:
    clients = AwsClients(settings(), session=admin_session())
    budget = ByteBudget(ROOM_FOR_TWO)
    in_bucket = [make.image_in_bucket(aws, f"{n}.png", PNG, "image/png") for n in range(3)]
    with counting_host(PNG) as host:
        arrivals = list(fetch_each([*in_bucket, host.url("a.png"), host.url("b.png")], clients, budget))

    # Had a GetObject taken no room, all three objects would have arrived, and both URLs with them.
    assert len(fetched(arrivals)) == 2 and len(no_room(arrivals)) == 3
    assert budget.peak == 2 * len(PNG)


def test_fast_sources_run_no_more_than_two_images_per_worker_ahead_of_the_workers() -> None:
    clients = AwsClients(settings(worker_count=2, fetch_memory_bytes=10**8), session=admin_session())
    with counting_host(PNG) as host:
        arrivals = fetch_each([host.url(f"{n}.png") for n in range(20)], clients, ByteBudget(10**8))
        waiting = [next(arrivals) for _ in range(4)]  # the workers are busy: nothing is processed yet
        quiet(host, 1.0)
        asked_while_busy = host.requests
        waiting[0].release()  # one image processed: one more fetch
        quiet(host, 0.5)
        asked_after_one = host.requests
        for arrival in itertools.chain(waiting[1:], arrivals):
            arrival.release()

    assert (asked_while_busy, asked_after_one) == (4, 5)
    assert host.requests == 20


def test_slow_hosts_stop_counting_against_the_lead_and_overlap() -> None:
    clients = AwsClients(settings(worker_count=1, fetch_concurrency=8, fetch_timeout_seconds=10,
                                  fetch_memory_bytes=10**8), session=admin_session())
    with counting_host(PNG) as host:
        host.gate.clear()  # every answer waits after its headers: the host is slow
        urls = [host.url(f"{n}.png") for n in range(8)]

        def take() -> None:
            for arrival in fetch_each(urls, clients, ByteBudget(10**8)):
                arrival.release()  # its image is processed

        taking = threading.Thread(target=take)
        taking.start()
        quiet(host, 1.0)
        open_while_slow = host.open
        host.gate.set()
        taking.join(30)

    assert open_while_slow == 8  # a lead of 2 does not hold slow fetches to 2
