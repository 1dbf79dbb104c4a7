"""Consumer benchmark: the handler vs a naive serial handler on 100 records of 2 MP JPEGs in S3, the
handler's import time, the zip's size, and peak RSS over 100 records of 12 MP JPEGs.

Run: `python -m bench.bench_consumer [--records 100]`. The embedded emulator runs in this process and
each consumer in a child process, as Lambda runs apart from S3 and DynamoDB: a child's time and peak
RSS are the consumer's own (on one machine they still share its CPUs with the emulator).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from bench.consumer_data import jpegs, prepare
from bench.consumer_startup import cold_import_ms, zip_figures
from bench.images import TWELVE_MP, TWO_MP
from bench.naive_consumer import naive_thumbnail
from bench.stats import machine
from core.aws import AwsClients
from core.bootstrap import bootstrap
from core.emulator import embedded_aws, use_endpoint
from core.images import process_image
from core.settings import Settings

# (label, consumer, workers, image size)
THROUGHPUT = [
    ("naive: serial, full decode + resize", "naive", 1, TWO_MP),
    ("handler, 1 worker", "handler", 1, TWO_MP),
    ("handler, 8 workers (WORKER_COUNT default)", "handler", 8, TWO_MP),
    ("handler, 8 workers, 64x48 images (the emulator's floor)", "handler", 8, (64, 48)),
]


def run_child(consumer: str, workers: int, event: dict[str, Any]) -> dict[str, Any]:
    """One consumer on `event` in a fresh process: seconds, peak RSS (MB), batch item failures."""
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as file:
        json.dump(event, file)
    env = os.environ | {"WORKER_COUNT": str(workers)}
    command = [sys.executable, "-m", "bench.bench_consumer", "--child", consumer, "--event", file.name]
    emulator_cpu = cpu_seconds()  # this process serves the emulator and does nothing else meanwhile
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
    emulator_cpu = cpu_seconds() - emulator_cpu
    os.unlink(file.name)
    return dict(json.loads(done.stdout.strip().splitlines()[-1])) | {"emulator_cpu": emulator_cpu}


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def child(consumer: str, event_path: str) -> None:
    """Runs in the child: clients built first (a warm container), then one timed invocation."""
    with open(event_path) as file:
        event = json.load(file)
    clients = AwsClients(Settings())
    clients.s3, clients.dynamodb  # noqa: B018 - build both clients before timing, as a warm container has
    started, cpu = time.perf_counter(), cpu_seconds()
    response = invoke(consumer, event, clients)
    seconds, cpu = time.perf_counter() - started, cpu_seconds() - cpu
    failures = len(response["batchItemFailures"])
    print(json.dumps({"seconds": seconds, "cpu": cpu, "rss_mb": peak_rss_mb(), "failures": failures}))


def peak_rss_mb() -> float:
    """This process's peak RSS. Linux carries ru_maxrss across exec, so a child started from this
    (large) emulator process would report the parent's size: VmHWM belongs to the new image alone."""
    try:
        with open("/proc/self/status") as status:
            line = next(line for line in status if line.startswith("VmHWM:"))
        return int(line.split()[1]) / 1024
    except (OSError, StopIteration):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def invoke(consumer: str, event: dict[str, Any], clients: AwsClients) -> dict[str, Any]:
    if consumer == "naive":
        from bench.naive_consumer import naive_handler

        return naive_handler(event, clients)
    from lambda_consumer import handler
    from lambda_consumer.invoke import LocalContext

    handler.aws_clients = lambda: clients  # the handler's own getter would build the same clients
    arn = "arn:aws:lambda:us-east-1:123456789012:function:bench"
    context = LocalContext("bench", arn, 1024, "bench", "", "", time.monotonic() + 900)
    return dict(handler.handler(event, context))


def throughput(clients: AwsClients, count: int) -> None:
    print(f"\n{count} records of {TWO_MP[0]}x{TWO_MP[1]} JPEGs in S3, one invocation each "
          "(CPU ms per record: the consumer's, the emulator's):")
    baseline = None
    for number, (label, consumer, workers, size) in enumerate(THROUGHPUT):
        result = run_child(consumer, workers, prepare(clients, size, count, f"t{number}"))
        rate = count / result["seconds"]
        baseline = baseline or rate
        print(f"  {label:56} {result['seconds']:5.2f} s {rate:5.1f}/s x{rate / baseline:4.1f}  CPU "
              f"{result['cpu'] * 1000 / count:3.0f} + {result['emulator_cpu'] * 1000 / count:3.0f} ms  "
              f"peak RSS {result['rss_mb']:.0f} MB  failures {result['failures']}")


def peak_memory(clients: AwsClients, count: int) -> None:
    event = prepare(clients, TWELVE_MP, count, "rss")
    result = run_child("handler", Settings().worker_count, event)
    print(f"\n{count} records of {TWELVE_MP[0]}x{TWELVE_MP[1]} (12 MP) JPEGs, handler with "
          f"{Settings().worker_count} workers: {result['seconds']:.2f} s, peak RSS {result['rss_mb']:.0f} MB")


def imaging_alone(count: int) -> None:
    """The same work without the store: what the emulator hides, and what AWS's parallel store allows."""
    images, settings = list(jpegs(TWO_MP, count)), Settings()
    workers = settings.worker_count
    naive = timed(lambda: [naive_thumbnail(data) for data in images])
    with ThreadPoolExecutor(workers) as pool:
        ours = timed(lambda: list(pool.map(lambda data: process_image(data, settings), images)))
    print(f"\nimaging alone, {count} 2 MP JPEGs: naive serial {count / naive:.1f}/s, "
          f"core.images with {workers} threads {count / ours:.1f}/s (x{naive / ours:.1f})")


def timed(work: Callable[[], object]) -> float:
    started = time.perf_counter()
    work()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--records", type=int, default=100)
    parser.add_argument("--child", choices=("naive", "handler"), help=argparse.SUPPRESS)
    parser.add_argument("--event", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(args.child, args.event)
    print(machine())
    cold_import_ms()
    zip_figures()
    with embedded_aws() as endpoint:
        use_endpoint(endpoint)
        clients = AwsClients(Settings())
        bootstrap(clients)
        throughput(clients, args.records)
        peak_memory(clients, args.records)
    imaging_alone(args.records)
    return None


if __name__ == "__main__":
    main()
