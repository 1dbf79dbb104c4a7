"""The bytes of fetched images a batch holds at once (FETCH_MEMORY_BYTES).

Up to FETCH_CONCURRENCY fetches run at once, and an image waits in memory from its fetch until a worker has
made its event: without a bound, 64 bodies of 20 MB would be 1.3 GB. So a fetch reserves room for its body
before reading it (its Content-Length, or MAX_IMAGE_BYTES when the source does not say), gives back what the
body did not need once read, and the rest when its image is processed or the fetch failed.
"""

from __future__ import annotations

import threading
import time

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
