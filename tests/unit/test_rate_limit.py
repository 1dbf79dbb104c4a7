"""The shared call rate: never more than N calls in any window, however many threads ask."""

from __future__ import annotations

import threading

import pytest

from core.logs.rate_limit import RateLimiter


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def test_calls_within_the_rate_go_at_once_and_the_next_waits_for_the_window() -> None:
    clock = FakeClock()
    limiter = RateLimiter(5, 1.0, clock=clock, sleep=clock.sleep)
    for _ in range(5):
        limiter.wait()
    assert clock.now == 100.0
    limiter.wait()
    assert clock.now == pytest.approx(101.0)


def test_a_quiet_spell_frees_the_window_again() -> None:
    clock = FakeClock()
    limiter = RateLimiter(2, 1.0, clock=clock, sleep=clock.sleep)
    limiter.wait(), limiter.wait()
    clock.now += 5
    limiter.wait(), limiter.wait()
    assert clock.now == 105.0


def test_many_threads_together_never_exceed_the_rate_in_any_window() -> None:
    limiter, per = RateLimiter(5, 0.2), 0.2
    sent: list[float] = []
    lock = threading.Lock()

    def tab() -> None:  # an open browser tab polling the logs
        for _ in range(4):
            let_go = limiter.wait()
            with lock:
                sent.append(let_go)

    threads = [threading.Thread(target=tab) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    sent.sort()
    assert len(sent) == 24
    busiest = max(sum(1 for t in sent if start <= t < start + per * 0.999) for start in sent)
    assert busiest <= 5


def test_a_rate_needs_at_least_one_call_per_positive_window() -> None:
    with pytest.raises(ValueError, match="calls >= 1"):
        RateLimiter(0)
