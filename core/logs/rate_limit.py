"""A call rate shared by every thread of a process: at most N calls in any window of W seconds.

CloudWatch Logs allows FilterLogEvents 5 times a second per account and region; the dashboard serves
every open tab from one process, so one limiter there keeps them all under it together.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable


class RateLimiter:
    """`wait()` returns once a call may go (with the clock's time it was let go at): never more than
    `calls` in any `per` seconds."""

    def __init__(
        self, calls: int, per: float = 1.0, *,
        clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], object] = time.sleep,
    ) -> None:
        if calls < 1 or per <= 0:
            raise ValueError(f"a rate needs calls >= 1 and per > 0, not {calls} per {per}")
        self.calls, self.per = calls, per
        self._clock, self._sleep = clock, sleep
        self._sent: deque[float] = deque()  # when the last `calls` calls went
        self._lock = threading.Lock()

    def wait(self) -> float:
        # Callers queue on the lock, so they go in turn and none can slip in while another sleeps.
        with self._lock:
            while True:
                now = self._clock()
                while self._sent and self._sent[0] <= now - self.per:
                    self._sent.popleft()
                if len(self._sent) < self.calls:
                    self._sent.append(now)
                    return now
                self._sleep(self._sent[0] + self.per - now)
