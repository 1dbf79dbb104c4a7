"""One consumer run in a fresh child process, so its time, CPU and peak RSS are its own."""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from typing import Any

import requests

from core.aws import AwsClients
from core.settings import Settings
from local.template import Template


def run_child(consumer: str, workers: int, event: dict[str, Any], latency_ms: int = 0) -> dict[str, Any]:
    """One consumer on `event` in a fresh process: seconds, peak RSS (MB), batch item failures."""
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as file:
        json.dump(event, file)
    env = os.environ | function_allocator() | {"WORKER_COUNT": str(workers)}
    command = [sys.executable, "-m", "bench.bench_consumer", "--child", consumer, "--event", file.name,
               "--latency-ms", str(latency_ms)]
    emulator_cpu = emulator_cpu_seconds()
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
    emulator_cpu = emulator_cpu_seconds() - emulator_cpu
    os.unlink(file.name)
    return dict(json.loads(done.stdout.strip().splitlines()[-1])) | {"emulator_cpu": emulator_cpu}


def function_allocator() -> dict[str, str]:
    """The glibc malloc tuning the template gives the function (MALLOC_*): the child runs as the function."""
    environment = Template(Settings()).function().environment
    return {name: value for name, value in environment.items() if name.startswith("MALLOC_")}


def emulator_cpu_seconds() -> float:
    """The CPU time of the emulator's own process (local/server.py), which serves nothing else meanwhile."""
    state = requests.get(f"{os.environ['AWS_ENDPOINT_URL']}/_local/state", timeout=10).json()
    return float(state["cpu_seconds"])


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def child(consumer: str, event_path: str, latency_ms: int) -> None:
    """Runs in the child: clients built first (a warm container), then one timed invocation."""
    with open(event_path) as file:
        event = json.load(file)
    clients = AwsClients(Settings())

    def network(**_: Any) -> None:
        time.sleep(latency_ms / 1000)

    for service in ("s3", "dynamodb"):  # built before timing, as in a warm container
        client = clients.client(service)
        if latency_ms:
            client.meta.events.register("before-send", network)
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
    from local.event_source.invoke import LocalContext

    handler.aws_clients = lambda: clients  # type: ignore[assignment]  # the handler's getter builds the same
    arn = "arn:aws:lambda:us-east-1:123456789012:function:bench"
    context = LocalContext("bench", arn, 1024, "bench", "", "", time.monotonic() + 900)
    return dict(handler.handler(event, context))  # type: ignore[arg-type]  # LambdaContext's attributes
