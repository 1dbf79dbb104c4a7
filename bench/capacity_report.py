"""The capacity model's section of the Capacity report: the table for the template's defaults, the most a
10-shard stream takes and the smallest stream for the design rate; the answer said plainly; the costs."""

from __future__ import annotations

from bench import capacity_model as capacity
from bench.compute import Compute
from local.template import FUNCTION, Template


def section(compute: Compute, measured: capacity.Measured, template: Template, rate: int,
            bound: float) -> list[str]:
    """Markdown lines: the table, whether `rate` events/s fit 10 shards (or what does), the costs."""
    function, source = template.function(FUNCTION), template.event_source()
    default = capacity.Setting("template defaults", 1, source.parallelization_factor, function.memory_mb,
                               int(function.environment["WORKER_COUNT"]), source.batch_size)
    ten = capacity.Setting("10 shards at the most per shard", 10, capacity.MAX_PARALLELIZATION,
                           capacity.MAX_MEMORY_MB, 12, source.batch_size)
    smallest = capacity.smallest_stream(rate, measured)
    settings = [default, ten, *([smallest] if smallest else [])]
    out = ["### Capacity that counts compute", "", compute.line() + ".", "",
           *capacity.table(settings, measured, rate), "", *answer(ten, smallest, measured, rate, bound)]
    chosen = smallest or ten
    at = min(rate, capacity.bounds(chosen, measured).sustained())
    costs = {arch: capacity.cost_per_million(chosen, measured, at, arch)
             for arch in capacity.LAMBDA_GB_SECOND}
    out += ["", f"| cost per million stored events, {chosen.label} ({at:,.0f} events/s) | x86_64 | arm64 |",
            "| --- | ---: | ---: |"]
    out += [f"| {name} | {value:,.2f} | {costs['arm64'][number][1]:,.2f} |"
            for number, (name, value) in enumerate(costs["x86_64"])]
    out += [f"| **total** | **{sum(v for _, v in costs['x86_64']):,.2f}** | "
            f"**{sum(v for _, v in costs['arm64']):,.2f}** |", "",
            "Prices (us-east-1, first tier): Lambda "
            + ", ".join(f"{arch} {price:g}/GB-s" for arch, price in capacity.LAMBDA_GB_SECOND.items())
            + f", {capacity.LAMBDA_REQUEST * 1e6:g}/million requests; S3 PUT {capacity.S3_PUT * 1e3:g}, GET "
            f"{capacity.S3_GET * 1e3:g} per 1,000; DynamoDB on-demand {capacity.WRITE_UNIT * 1e6:g} per "
            f"million write units, {capacity.READ_UNIT * 1e6:g} per million read units; Kinesis "
            f"(provisioned) {capacity.KINESIS_SHARD_HOUR:g}/shard-hour and "
            f"{capacity.KINESIS_PUT_UNIT * 1e6:g} per million 25 KB payload units; CloudWatch Logs "
            f"{capacity.LOG_GB:g}/GB. Compute is priced from the "
            "measured CPU (arm64 assumed to take the same CPU time: not measured here); the aggregator's "
            "from its time against the emulator."]
    return out



def answer(ten: capacity.Setting, smallest: capacity.Setting | None, measured: capacity.Measured,
           rate: int, bound: float) -> list[str]:
    """Whether 10,000 events/s fit a 10-shard stream within the account's default concurrency, and if not,
    the smallest stream that does: said plainly."""
    found = capacity.bounds(ten, measured)
    partitions = capacity.prefix_partitions(rate, measured)
    lines = []
    if found.sustained() >= rate:
        lines.append(f"- **{rate:,} events/s fit a 10-shard stream**: {ten.shards} shards × "
                     f"ParallelizationFactor {ten.parallelization}, ConsumerMemorySize {ten.memory_mb:,}, "
                     f"WorkerCount {ten.workers} sustain {found.sustained():,.0f} events/s.")
    else:
        needed = capacity.cpu_needed(ten, rate, measured)
        lines.append(f"- **{rate:,} events/s cannot be sustained on 10 shards** within "
                     f"{capacity.ACCOUNT_CONCURRENCY:,} concurrent executions: at most {ten.concurrency()} "
                     f"invocations run at once (10 shards × ParallelizationFactor 10), each sustaining "
                     f"{ten.per_invocation(measured):.1f} events/s at {measured.cpu_seconds * 1000:.0f} ms "
                     f"CPU per event, so the stream sustains {found.sustained():,.0f}; it would take "
                     f"{needed * 1000:.0f} ms CPU per event or less.")
    if smallest is None:
        lines.append(f"- **no stream sustains {rate:,} events/s within "
                     f"{capacity.ACCOUNT_CONCURRENCY:,} concurrent executions** at this CPU per event, even "
                     "at 10,240 MB and ParallelizationFactor 10: raise the account's concurrency quota, or "
                     "cut the CPU.")
    else:
        lines.append(f"- **smallest stream for {rate:,} events/s: {smallest.shards} shards × "
                     f"ParallelizationFactor {smallest.parallelization}, ConsumerMemorySize "
                     f"{smallest.memory_mb:,}, WorkerCount {smallest.workers}**: "
                     f"{capacity.bounds(smallest, measured).sustained():,.0f} events/s, "
                     f"{smallest.concurrency()} concurrent executions of {capacity.ACCOUNT_CONCURRENCY:,}.")
    lines += [f"- table at {rate:,} events/s: {rate * measured.wcu:,.0f} write units/s of the "
              f"{capacity.TABLE_WRITE_UNITS:,} an on-demand table takes by default; no partition above "
              f"{bound:,.0f} WCU/s up to {measured.table_sustains:,.0f} events/s",
              f"- S3 at {rate:,} events/s: "
              + ", ".join(f"{prefix} {rate * measured.puts[prefix]:,.0f} PUT/s = {count} partitions "
                          f"of {capacity.PREFIX_PUTS:,}" for prefix, count in partitions.items())
              + " (keys are content hashes, so they spread over any split S3 makes; it splits a prefix "
              "after sustained load and answers 503 Slow Down meanwhile, which the clients retry); source "
              f"GETs {rate * measured.gets:,.0f}/s against {capacity.PREFIX_GETS:,} per partitioned "
              "prefix of the producers' bucket"]
    return lines
