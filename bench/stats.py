"""Timing helpers shared by the benchmarks: warm-up, repeats, median and range, the machine."""

from __future__ import annotations

import os
import platform
import statistics
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from importlib import metadata


@dataclass(frozen=True)
class Timing:
    median: float
    low: float
    high: float
    runs: int
    cpu: float | None = None  # median CPU seconds of this process (all its threads), where measured
    cpu_low: float | None = None
    cpu_high: float | None = None

    def ms(self) -> str:
        return f"{self.median * 1000:.1f} ms ({self.low * 1000:.1f}–{self.high * 1000:.1f}, n={self.runs})"

    def cpu_ms(self) -> str:
        """CPU time: median (min–max), n."""
        assert self.cpu is not None and self.cpu_low is not None and self.cpu_high is not None
        low, high = self.cpu_low * 1000, self.cpu_high * 1000
        return f"{self.cpu * 1000:.1f} ms ({low:.1f}–{high:.1f}, n={self.runs})"


def measure(work: Callable[[], object], runs: int = 5, warmup: int = 1) -> Timing:
    """Median and range of `runs` timed calls after `warmup` untimed ones."""
    for _ in range(warmup):
        work()
    seconds = []
    for _ in range(runs):
        start = time.perf_counter()
        work()
        seconds.append(time.perf_counter() - start)
    return Timing(statistics.median(seconds), min(seconds), max(seconds), runs)


def measure_interleaved(works: Mapping[str, Callable[[], object]], runs: int = 5) -> dict[str, Timing]:
    """Like measure(), but one call of each in turn per round, and the process's CPU time too: on a shared
    machine, load that comes and goes falls on all of them alike, and CPU time hardly sees it at all."""
    for work in works.values():
        work()
    seconds: dict[str, list[float]] = {name: [] for name in works}
    cpu: dict[str, list[float]] = {name: [] for name in works}
    for _ in range(runs):
        for name, work in works.items():
            start, start_cpu = time.perf_counter(), time.process_time()
            work()
            seconds[name].append(time.perf_counter() - start)
            cpu[name].append(time.process_time() - start_cpu)
    return {name: Timing(statistics.median(s), min(s), max(s), runs, statistics.median(cpu[name]),
                         min(cpu[name]), max(cpu[name]))
            for name, s in seconds.items()}


def machine() -> str:
    """One line naming the machine, Python and the libraries the figures depend on."""
    versions = ", ".join(f"{name} {_version(name)}" for name in ("pillow", "boto3", "moto", "streamlit"))
    return (f"{platform.machine()}, {os.cpu_count()} CPUs, {platform.system()} {platform.release()}; "
            f"Python {platform.python_version()}; {versions}")


def _version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "absent"
