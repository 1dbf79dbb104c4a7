"""What a batch's fetches may hold at once: bytes of images (FETCH_MEMORY_BYTES), and a lead over the workers.

Up to FETCH_CONCURRENCY fetches run at once, and an image waits in memory from its fetch until a worker has
made its event: without a bound, 64 bodies of 20 MB would be 1.3 GB. So a fetch reserves room for its body
before reading it (its Content-Length, or MAX_IMAGE_BYTES when the source does not say), gives back what the
body did not need once read, and the rest when its image is processed or the fetch failed.

Room alone lets fast sources (a bucket, a nearby host) run far ahead: all of a batch's fetches answer at once
and then wait for a worker, their reads crowding whatever else the source serves. So a fetch starts only while
fewer than LEAD_PER_WORKER × WORKER_COUNT fetches are either under way and young or done and waiting for a
worker. A URL not answered within YOUNG_SECONDS is waiting on its host and uses nothing of ours, so it stops
counting: slow hosts still overlap up to FETCH_CONCURRENCY. An object in our own bucket never stops counting:
S3 does not trickle, so a slow GetObject means our own machine is busy, and starting more would add to it.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from core.errors import NoRoom


class ByteBudget:
    """Room for `capacity` bytes, taken by Holds and given back by them; a request waits for room."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._used = 0
        self._peak = 0
        self._changed = threading.Condition()

    @property
    def used(self) -> int:
        return self._used

    @property
    def peak(self) -> int:
        """The most bytes held at once so far."""
        return self._peak

    def hold(self, until: float) -> Hold:
        """An empty hold; a room request made through it waits until `until` (time.monotonic) at most."""
        return Hold(self, until)

    def take(self, size: int, until: float) -> None:
        """`size` bytes more in use, once they fit; NoRoom when they do not by `until`."""
        with self._changed:
            while self._used + size > self.capacity:
                left = until - time.monotonic()
                if left <= 0 or not self._changed.wait(left):
                    if self._used + size <= self.capacity:
                        break
                    raise NoRoom(f"no room to read a {size:,}-byte image before its deadline: this batch "
                                 f"already holds {self._used:,} of {self.capacity:,} bytes of images "
                                 "(FETCH_MEMORY_BYTES); it will be delivered again")
            self._used += size
            self._peak = max(self._peak, self._used)

    def give(self, size: int) -> None:
        """`size` bytes back, and the waiting told."""
        with self._changed:
            self._used -= size
            self._changed.notify_all()


class Hold:
    """One fetch's share of the budget: what it reserved, until it is released."""

    def __init__(self, budget: ByteBudget, until: float) -> None:
        self._budget, self._until = budget, until
        self._size = 0
        self._lock = threading.Lock()

    @property
    def size(self) -> int:
        return self._size

    def reserve(self, size: int) -> None:
        """Room for `size` more bytes (at most the whole budget), waiting for it; NoRoom at the deadline."""
        size = min(size, self._budget.capacity - self._size)
        self._budget.take(size, self._until)
        with self._lock:
            self._size += size

    def keep(self, size: int) -> None:
        """Give back all but `size` bytes: the body turned out smaller than reserved."""
        with self._lock:
            excess, self._size = max(0, self._size - size), min(self._size, size)
        if excess:
            self._budget.give(excess)

    def release(self) -> None:
        """Give back everything (safe to call more than once)."""
        self.keep(0)


LEAD_PER_WORKER = 2  # fetched images waiting per worker: enough that a worker never waits for its next one
YOUNG_SECONDS = 0.25  # a bucket's or a nearby host's answer comes sooner; a slow host's later


class Lead:
    """How far a batch's fetches run ahead of its workers: at most `most` fetches young or waiting."""

    def __init__(self, most: int, young_seconds: float = YOUNG_SECONDS) -> None:
        self.most, self.young_seconds = most, young_seconds
        self._young: dict[object, float] = {}  # fetch under way -> when it started
        self._waiting = 0  # fetched, not yet processed
        self._closed = False
        self._changed = threading.Condition()

    def close(self) -> None:
        """The batch lets go of its fetches (it ended, or failed): those still waiting to start never do."""
        with self._changed:
            self._closed = True
            self._changed.notify_all()

    @contextmanager
    def fetching(self, ages: bool = True) -> Iterator[Ticket]:
        """Once the lead allows, a fetch under way; its ticket says when its image waits and is processed.
        A fetch that `ages` stops counting against the lead after `young_seconds`; one that does not counts
        until it ends."""
        ticket = Ticket(self)
        with self._changed:
            while (wait := self._wait_seconds()) is not None:
                if self._closed:
                    raise Abandoned("the batch let go of its fetches before this one started")
                self._changed.wait(wait if wait > 0 else None)
            self._young[ticket] = time.monotonic() if ages else math.inf
        try:
            yield ticket
        finally:
            with self._changed:
                self._young.pop(ticket, None)
                self._changed.notify_all()

    def _wait_seconds(self) -> float | None:
        """None when a fetch may start now, else how long until one of the young ones ages (0: no limit)."""
        now = time.monotonic()
        young = [started for started in self._young.values() if now - started < self.young_seconds]
        if len(young) + self._waiting < self.most:
            return None
        ageing = min(young, default=math.inf) + self.young_seconds - now
        return ageing if ageing < math.inf else 0

    def _arrived(self, ticket: Ticket) -> None:
        with self._changed:
            self._young.pop(ticket, None)
            self._waiting += 1

    def _processed(self) -> None:
        with self._changed:
            self._waiting -= 1
            self._changed.notify_all()


class Abandoned(Exception):
    """A fetch that never started: nobody waits for its image any more."""


class Ticket:
    """One fetch's place in the lead: `arrived` once its image waits for a worker, `processed` after."""

    def __init__(self, lead: Lead) -> None:
        self._lead = lead
        self._state = "young"
        self._lock = threading.Lock()

    def arrived(self) -> None:
        with self._lock:
            if self._state != "young":
                return
            self._state = "waiting"
        self._lead._arrived(self)

    def processed(self) -> None:
        """Its image made (or it had none); safe to call more than once."""
        with self._lock:
            state, self._state = self._state, "done"
        if state == "waiting":
            self._lead._processed()
