"""The byte budget a batch's fetched bodies share (core/fetching/limits.py)."""

from __future__ import annotations

import threading
import time

import pytest

from core.errors import NoRoom, StoreError
from core.fetching.limits import Abandoned, ByteBudget, Lead
from core.settings import Settings


def later(seconds: float = 5) -> float:
    return time.monotonic() + seconds


def test_a_body_of_unknown_length_gives_back_what_it_did_not_need() -> None:
    budget = ByteBudget(1000)
    hold = budget.hold(later())
    hold.reserve(1000)  # the most an image may be
    hold.keep(300)  # what the body turned out to be
    assert (hold.size, budget.used) == (300, 300)
    hold.release()
    hold.release()
    assert budget.used == 0 and budget.peak == 1000


def test_a_reservation_waits_until_room_is_given_back() -> None:
    budget = ByteBudget(1000)
    first = budget.hold(later())
    first.reserve(800)
    threading.Timer(0.2, first.release).start()
    second = budget.hold(later())
    second.reserve(500)
    assert budget.used == 500 and budget.peak == 800


def test_no_room_by_the_deadline_is_our_own_load_and_holds_nothing() -> None:
    budget = ByteBudget(1000)
    budget.hold(later()).reserve(800)
    hold = budget.hold(later(0.2))
    with pytest.raises(NoRoom) as refused:
        hold.reserve(500)
    assert isinstance(refused.value, StoreError) and refused.value.retryable  # delivered again, not blamed
    assert hold.size == 0 and budget.used == 800


def test_the_budget_must_hold_the_largest_image() -> None:
    with pytest.raises(ValueError, match=r"FETCH_MEMORY_BYTES .* must be at least MAX_IMAGE_BYTES"):
        Settings(max_image_bytes=2_000_000, fetch_memory_bytes=1_000_000)


def test_a_fetch_waiting_for_the_lead_never_starts_once_its_batch_lets_go() -> None:
    lead = Lead(1)
    started: list[str] = []

    def second() -> None:
        try:
            with lead.fetching():
                started.append("second")
        except Abandoned:
            started.append("abandoned")

    with lead.fetching() as first:
        first.arrived()  # its image waits for a worker, who never comes
        waiting = threading.Thread(target=second)
        waiting.start()
        waiting.join(0.3)
        assert waiting.is_alive()
        lead.close()
        waiting.join(5)
    assert started == ["abandoned"]


def test_a_url_waiting_on_its_host_makes_way_and_an_object_in_our_bucket_does_not() -> None:
    def second_starts_within(ages: bool) -> bool:
        lead = Lead(1, young_seconds=0.05)
        started = threading.Event()

        def second() -> None:
            with lead.fetching():
                started.set()

        with lead.fetching(ages=ages):  # under way, not answered yet
            waiting = threading.Thread(target=second)
            waiting.start()
            begun = started.wait(0.5)
        waiting.join(5)
        return begun

    assert second_starts_within(ages=True)  # a URL: after 0.05 s it is the host's time, not ours
    assert not second_starts_within(ages=False)  # s3://: it counts until it ends
