"""The capacity model's arithmetic: compute counted per vCPU, the account's concurrency a hard limit."""

from __future__ import annotations

from bench import capacity_model as capacity
from bench.capacity_model import BUSY, Measured, Setting, bounds, cost_per_million, smallest_stream


def measured(cpu_ms: float) -> Measured:
    return Measured(cpu_seconds=cpu_ms / 1000, wcu=2.0, read_units=0.1,
                    puts={"originals/": 1.0, "previews/": 1.0, "thumbnails/": 1.0}, gets=1.0,
                    table_sustains=16_000, log_bytes=500, aggregator_gb_seconds=0.0)


def test_an_invocation_works_on_its_vcpus_and_no_more_than_its_workers() -> None:
    largest = Setting("x", 10, 10, 10_240, 12)
    assert largest.vcpu() == 10_240 / 1769
    assert largest.per_invocation(measured(100)) == 10_240 / 1769 * BUSY / 0.1
    assert Setting("x", 1, 1, 10_240, 2).per_invocation(measured(100)) == 2 * BUSY / 0.1
    assert Setting("x", 1, 1, 1769, 8).per_invocation(measured(100)) == BUSY / 0.1


def test_the_stream_sustains_the_least_of_compute_stream_and_table() -> None:
    ten = Setting("x", 10, 10, 10_240, 12)
    found = bounds(ten, measured(100))
    assert found.compute == 100 * ten.per_invocation(measured(100))
    assert found.sustained() == min(found.compute, 10_000, 16_000, 20_000) and found.limit() == "compute"
    assert bounds(Setting("x", 10, 10, 10_240, 12), measured(1)).limit() == "Kinesis writes"


def test_the_smallest_stream_is_the_fewest_shards_that_sustain_the_rate_within_the_concurrency() -> None:
    smallest = smallest_stream(10_000, measured(100))
    assert smallest is not None
    assert bounds(smallest, measured(100)).sustained() >= 10_000
    fewer = Setting("x", smallest.shards - 1, 10, 10_240, smallest.workers)
    assert bounds(fewer, measured(100)).sustained() < 10_000
    assert smallest_stream(10_000, measured(2_000)) is None  # would need more than 1,000 executions


def test_compute_costs_the_same_per_event_at_any_memory_when_the_work_is_cpu_bound() -> None:
    def compute(memory: int) -> float:
        rows = dict(cost_per_million(Setting("x", 10, 10, memory, 12), measured(100), 1000, "x86_64"))
        return rows["Lambda compute, consumer"]

    assert abs(compute(10_240) - compute(3538)) < 1e-9
    assert abs(compute(10_240) - 0.1 * 1769 / 1024 / BUSY * capacity.LAMBDA_GB_SECOND["x86_64"] * 1e6) < 1e-6
