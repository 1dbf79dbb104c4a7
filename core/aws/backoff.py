"""Waiting before trying again: AWS's "full jitter" (a random pause up to a doubling ceiling), so callers
that failed together spread out instead of retrying in lockstep. Throttled puts, unprocessed batch items,
conflicting transactions and raced conditional writes all wait this way."""

from __future__ import annotations

import random
import time
from collections.abc import Iterator


def pause(retry: int, first_ceiling: float, cap: float = 5.0) -> None:
    """Sleep before retry number `retry` (1 for the first): up to `first_ceiling` seconds, doubling for each
    retry after it, never more than `cap`."""
    time.sleep(random.uniform(0, min(cap, first_ceiling * 2 ** (retry - 1))))


def attempts(count: int, first_ceiling: float, cap: float = 5.0) -> Iterator[int]:
    """0, 1, … count - 1, pausing (see `pause`) before each attempt but the first."""
    for attempt in range(count):
        if attempt:
            pause(attempt, first_ceiling, cap)
        yield attempt
