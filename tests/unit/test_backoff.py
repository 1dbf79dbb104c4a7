"""Waiting before trying again: full jitter under a doubling ceiling, capped, never before the first try."""

from __future__ import annotations

import random
import time

import pytest

from core.aws import backoff


def test_attempts_pause_before_each_try_but_the_first_under_a_doubling_capped_ceiling(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    slept: list[float] = []
    ceilings: list[float] = []
    monkeypatch.setattr(time, "sleep", slept.append)

    def middle(low: float, high: float) -> float:
        ceilings.append(high)
        return (low + high) / 2

    monkeypatch.setattr(random, "uniform", middle)
    assert list(backoff.attempts(5, 0.1, cap=0.3)) == [0, 1, 2, 3, 4]
    assert ceilings == pytest.approx([0.1, 0.2, 0.3, 0.3])
    assert slept == pytest.approx([0.05, 0.1, 0.15, 0.15])


def test_pauses_of_callers_that_failed_together_spread_out_within_the_ceiling(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    slept: list[float] = []
    monkeypatch.setattr(time, "sleep", slept.append)
    for _ in range(50):
        backoff.pause(3, 0.1)  # the third retry: up to 0.4 s
    assert len(set(slept)) > 40 and all(0 <= seconds <= 0.4 for seconds in slept)
