"""Consumer benchmark: the handler vs a naive serial handler on 100 records of 2 MP JPEGs in S3, the
handler's import time, the zip's size, and peak RSS over 100 records of 12 MP JPEGs.

Run: `python -m bench.bench_consumer [--records 100]`. The embedded emulator runs in this process and
each consumer in a child process, as Lambda runs apart from S3 and DynamoDB: a child's time and peak
RSS are the consumer's own (on one machine they still share its CPUs with the emulator).
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from bench.consumer_child import child, run_child
from bench.consumer_data import clear_bucket, jpegs, prepare
from bench.consumer_startup import cold_import_ms, zip_figures
from bench.images import TWELVE_MP, TWO_MP
from bench.naive_consumer import naive_renditions
from bench.stats import machine
from core.aws import AwsClients
from core.imaging.renditions import renditions
from core.ops.provision import provision
from core.settings import Settings
from local.emulator import embedded_aws, use_endpoint

# (label, consumer, workers, image size, ms added to each AWS call)
THROUGHPUT = [
    ("naive: serial, full decode + resizes", "naive", 1, TWO_MP, 0),
    ("handler, 1 worker", "handler", 1, TWO_MP, 0),
    ("handler, 8 workers (WORKER_COUNT default)", "handler", 8, TWO_MP, 0),
    ("handler, 8 workers, 64x48 images (the emulator's floor)", "handler", 8, (64, 48), 0),
    # The emulator answers on loopback at once; AWS takes milliseconds a call, which a serial loop
    # waits out one call at a time. A botocore before-send hook sleeps that long in the consumer.
    ("naive, 15 ms network per AWS call", "naive", 1, TWO_MP, 15),
    ("handler, 8 workers, 15 ms network per AWS call", "handler", 8, TWO_MP, 15),
]


def throughput(clients: AwsClients, count: int, repeats: int) -> None:
    """Each variant `repeats` times, interleaved so a busy moment of the machine hits them all alike."""
    print(f"\n{count} records of {TWO_MP[0]}x{TWO_MP[1]} JPEGs in S3, one invocation each, median of "
          f"{repeats} (CPU ms per record: the consumer's + the emulator's):")
    runs: dict[int, list[dict[str, Any]]] = {number: [] for number in range(len(THROUGHPUT))}
    for repeat in range(repeats):
        for number, (_, consumer, workers, size, latency) in enumerate(THROUGHPUT):
            event = prepare(clients, size, count, f"t{repeat}-{number}")
            runs[number].append(run_child(consumer, workers, event, latency))
            clear_bucket(clients)
    baselines: dict[int, float] = {}  # naive's rate, for each added latency
    for number, (label, _, _, _, latency) in enumerate(THROUGHPUT):
        result = {key: statistics.median(run[key] for run in runs[number]) for key in runs[number][0]}
        rate = count / result["seconds"]
        baseline = baselines.setdefault(latency, rate)
        # The machine's CPU bound: its cores over the CPU one record takes, consumer and emulator together.
        bound = (os.cpu_count() or 1) * count / (result["cpu"] + result["emulator_cpu"])
        print(f"  {label:56} {result['seconds']:5.2f} s {rate:5.1f}/s x{rate / baseline:4.1f}  CPU "
              f"{result['cpu'] * 1000 / count:3.0f} + {result['emulator_cpu'] * 1000 / count:3.0f} ms "
              f"({rate / bound:4.0%} of the CPU bound)  peak RSS {result['rss_mb']:.0f} MB  "
              f"failures {result['failures']:.0f}")


def peak_memory(clients: AwsClients, count: int) -> None:
    event = prepare(clients, TWELVE_MP, count, "rss")
    result = run_child("handler", Settings().worker_count, event)
    print(f"\n{count} records of {TWELVE_MP[0]}x{TWELVE_MP[1]} (12 MP) JPEGs, handler with "
          f"{Settings().worker_count} workers: {result['seconds']:.2f} s, peak RSS {result['rss_mb']:.0f} MB")


def imaging_alone(count: int) -> None:
    """The same work without the store: what the emulator hides, and what AWS's parallel store allows."""
    images, settings = list(jpegs(TWO_MP, count)), Settings()
    workers = settings.worker_count
    naive = timed(lambda: [naive_renditions(data) for data in images])
    with ThreadPoolExecutor(workers) as pool:
        ours = timed(lambda: list(pool.map(lambda data: renditions(data, settings), images)))
    print(f"\nimaging alone, {count} 2 MP JPEGs, preview and thumbnail: naive serial {count / naive:.1f}/s, "
          f"core.imaging with {workers} threads {count / ours:.1f}/s (x{naive / ours:.1f})")


def timed(work: Callable[[], object]) -> float:
    started = time.perf_counter()
    work()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--records", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=3, help="runs of each variant (median shown)")
    parser.add_argument("--child", choices=("naive", "handler"), help=argparse.SUPPRESS)
    parser.add_argument("--event", help=argparse.SUPPRESS)
    parser.add_argument("--latency-ms", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(args.child, args.event, args.latency_ms)
    print(f"{machine()}; load average {os.getloadavg()[0]:.1f} at start")
    cold_import_ms()
    zip_figures()
    with embedded_aws() as endpoint:
        use_endpoint(endpoint)
        clients = AwsClients(Settings())
        provision(clients)
        throughput(clients, args.records, args.repeats)
        peak_memory(clients, args.records)
    imaging_alone(args.records)
    return None


if __name__ == "__main__":
    main()
