"""The capacity model that counts compute: what a setting sustains and what a million events cost.

events/s = shards × ParallelizationFactor × events/s per invocation, where an invocation works on
min(vCPU, WORKER_COUNT) images at once and each stored event takes the measured CPU seconds; Lambda gives
vCPU in proportion to memory (1 at 1,769 MB, at most 6; 10,240 MB is 5.79), and the threads keep BUSY
of them working. Beside that sit the bounds
the code does not set: concurrent executions (shards × ParallelizationFactor, within the account's 1,000
by default), Kinesis (1,000 records/s per shard written), the table (the layout's sustained rate, and
40,000 write units/s per on-demand table by default) and S3 (3,500 PUT/s per partitioned prefix; S3
splits a busy prefix into more partitions after minutes of load, answering 503 Slow Down meanwhile).

Pure arithmetic on figures measured elsewhere (bench/capacity.py measures them); prices and limits are
AWS's published ones for us-east-1 in 2026.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

MB_PER_VCPU = 1769  # Lambda: 1 vCPU's worth of CPU at 1,769 MB, in proportion below and above
MAX_VCPU = 6
MAX_MEMORY_MB = 10_240
MAX_PARALLELIZATION = 10  # concurrent batches per Kinesis shard
ACCOUNT_CONCURRENCY = 1_000  # concurrent executions, the default quota of an account in a Region
SHARD_RECORDS = 1_000  # records/s one shard takes from producers
TABLE_WRITE_UNITS = 40_000  # write request units/s an on-demand table takes by default (a quota)
PREFIX_PUTS = 3_500  # PUT/COPY/POST/DELETE per second per partitioned S3 prefix
PREFIX_GETS = 5_500  # GET/HEAD per second per partitioned S3 prefix
# Share of its vCPUs an invocation keeps busy with WORKER_COUNT at twice the vCPUs: the Consumer benchmark
# measured the handler at 91–95 % of the CPU bound on a quiet 2-core machine (the rest waits on AWS calls).
# A run on a shared machine cannot measure it again: other processes take the cores it would use.
BUSY = 0.9
# us-east-1 list prices, USD per unit (first pricing tier).
LAMBDA_GB_SECOND = {"x86_64": 0.0000166667, "arm64": 0.0000133334}
LAMBDA_REQUEST = 0.20 / 1e6
S3_PUT = 0.005 / 1e3
S3_GET = 0.0004 / 1e3
WRITE_UNIT = 0.625 / 1e6  # DynamoDB on-demand write request unit
READ_UNIT = 0.125 / 1e6
KINESIS_SHARD_HOUR = 0.015  # provisioned mode
KINESIS_PUT_UNIT = 0.014 / 1e6  # per 25 KB payload unit: one per event record
LOG_GB = 0.50  # CloudWatch Logs ingestion


@dataclass(frozen=True)
class Measured:
    """What a run measured, per stored event: every record is taken to be a photo that is stored (the
    run's failed events and bad records are counted in, so the figures lean high)."""

    cpu_seconds: float  # the consumer's CPU per stored 2 MP phone photo
    wcu: float  # DynamoDB write units, consumer and aggregator
    read_units: float
    puts: dict[str, float]  # S3 PUTs by top-level prefix (originals/, thumbnails/, previews/)
    gets: float  # S3 GETs (sources in a bucket)
    table_sustains: float  # events/s before a partition or item of the layout passes its bound
    log_bytes: float  # CloudWatch bytes
    aggregator_gb_seconds: float  # the aggregator's compute


@dataclass(frozen=True)
class Setting:
    """A deployment's sizing: the stream's shards and the consumer's template parameters."""

    label: str
    shards: int
    parallelization: int  # ParallelizationFactor
    memory_mb: int  # ConsumerMemorySize
    workers: int  # WorkerCount
    batch_size: int = 100

    def vcpu(self) -> float:
        return min(MAX_VCPU, self.memory_mb / MB_PER_VCPU)

    def concurrency(self) -> int:
        return self.shards * self.parallelization

    def per_invocation(self, measured: Measured) -> float:
        """Events/s one invocation sustains: its busy vCPUs over the CPU one stored event takes."""
        return min(self.vcpu(), self.workers) * BUSY / measured.cpu_seconds


@dataclass(frozen=True)
class Bounds:
    """Events/s each part allows at a setting; the least of them is what the setting sustains."""

    compute: float
    concurrency_ok: bool
    stream: float
    table: float
    table_quota: float

    def sustained(self) -> float:
        return min(self.compute, self.stream, self.table, self.table_quota) if self.concurrency_ok else 0.0

    def limit(self) -> str:
        if not self.concurrency_ok:
            return "account concurrency"
        named = {"compute": self.compute, "Kinesis writes": self.stream, "table partitions": self.table,
                 "table quota": self.table_quota}
        return min(named, key=lambda name: named[name])


def bounds(setting: Setting, measured: Measured) -> Bounds:
    return Bounds(
        compute=setting.concurrency() * setting.per_invocation(measured),
        concurrency_ok=setting.concurrency() <= ACCOUNT_CONCURRENCY,
        stream=setting.shards * SHARD_RECORDS,
        table=measured.table_sustains,
        table_quota=TABLE_WRITE_UNITS / measured.wcu,
    )


def prefix_partitions(rate: float, measured: Measured) -> dict[str, int]:
    """S3 partitions each prefix needs at `rate` events/s (S3 makes them under sustained load)."""
    return {prefix: math.ceil(rate * puts / PREFIX_PUTS) for prefix, puts in sorted(measured.puts.items())}


def smallest_stream(rate: float, measured: Measured, workers_per_vcpu: int = 2) -> Setting | None:
    """The fewest shards that sustain `rate` events/s, each at the largest ParallelizationFactor and
    memory (per event, CPU-bound work costs the same GB-s at any memory, so the most vCPU per invocation
    is free speed); None when no stream within the account's concurrency can."""
    memory = MAX_MEMORY_MB
    workers = math.ceil(min(MAX_VCPU, memory / MB_PER_VCPU)) * workers_per_vcpu
    for shards in range(max(1, math.ceil(rate / SHARD_RECORDS)), ACCOUNT_CONCURRENCY + 1):
        setting = Setting(f"smallest for {rate:,.0f} events/s", shards, MAX_PARALLELIZATION, memory, workers)
        if setting.concurrency() > ACCOUNT_CONCURRENCY:
            return None
        if bounds(setting, measured).sustained() >= rate:
            return setting
    return None


def cpu_needed(setting: Setting, rate: float, measured: Measured) -> float:
    """The CPU seconds per stored event at which `setting`'s compute would sustain `rate`."""
    return setting.concurrency() * min(setting.vcpu(), setting.workers) * BUSY / rate


def cost_per_million(setting: Setting, measured: Measured, rate: float,
                     architecture: str) -> list[tuple[str, float]]:
    """USD per million stored events at `rate` events/s, by item."""
    gb_seconds = setting.memory_mb / 1024 / setting.per_invocation(measured)  # the consumer's, per event
    rows = [
        ("Lambda compute, consumer", gb_seconds * LAMBDA_GB_SECOND[architecture]),
        ("Lambda compute, aggregator", measured.aggregator_gb_seconds * LAMBDA_GB_SECOND[architecture]),
        ("Lambda requests", LAMBDA_REQUEST / setting.batch_size),
        ("S3 PUT", sum(measured.puts.values()) * S3_PUT),
        ("S3 GET", measured.gets * S3_GET),
        ("DynamoDB writes", measured.wcu * WRITE_UNIT),
        ("DynamoDB reads", measured.read_units * READ_UNIT),
        ("Kinesis shard-hours and payload", setting.shards * KINESIS_SHARD_HOUR / 3600 / rate
         + KINESIS_PUT_UNIT),
        ("CloudWatch Logs", measured.log_bytes / 1e9 * LOG_GB),
    ]
    return [(name, value * 1e6) for name, value in rows]


def _rate(value: float) -> str:
    return f"{value:,.1f}" if value < 10 else f"{value:,.0f}"


def table(settings: list[Setting], measured: Measured, rate: float) -> list[str]:
    """The capacity table in Markdown: each setting's bounds, what it sustains and its cost."""
    lines = ["| setting | shards × PF | memory (vCPU) | WORKER_COUNT | concurrent executions | events/s per "
             "invocation | compute bound | Kinesis bound | table bound (partitions, quota) | **sustains** "
             "(limit) | USD per million, x86_64 | arm64 |", "| --- |" + " ---: |" * 11]
    for setting in settings:
        found = bounds(setting, measured)
        sustained = found.sustained()
        at = min(rate, sustained) or 1.0
        costs = {arch: sum(v for _, v in cost_per_million(setting, measured, at, arch))
                 for arch in LAMBDA_GB_SECOND}
        lines.append(
            f"| {setting.label} | {setting.shards} × {setting.parallelization} | {setting.memory_mb:,} MB "
            f"({setting.vcpu():.2f}) | {setting.workers} | {setting.concurrency():,} of "
            f"{ACCOUNT_CONCURRENCY:,} | {setting.per_invocation(measured):.1f} | {_rate(found.compute)} | "
            f"{found.stream:,.0f} | {found.table:,.0f}, {found.table_quota:,.0f} | **{_rate(sustained)}** "
            f"({found.limit()}) | {costs['x86_64']:.2f} | {costs['arm64']:.2f} |")
    return lines
