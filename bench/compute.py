"""The consumer's CPU per stored event on 2 MP phone photos, for the capacity model.

The handler runs in a child process, as Lambda runs apart from S3 and DynamoDB, warm as a container is
after its first batch (imported, one batch done untimed); then each round's batch is timed: its CPU
(all threads: what Lambda's vCPUs do), its wall time, and the emulator's CPU meanwhile. The share of the
cores it kept busy is shown, not used: on a shared machine other processes take cores too (the model's
BUSY comes from a quiet machine).
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from typing import Any

from bench.capacity_model import BUSY
from bench.consumer_child import cpu_seconds, emulator_cpu_seconds, invoke
from bench.consumer_data import read_back
from bench.phone_photo import SIZE, phone_photo
from core.aws import AwsClients
from core.settings import Settings
from core.stream.producer import encode_event, send_events


@dataclass(frozen=True)
class Compute:
    cpu_seconds: list[float]  # per stored event, one figure per round
    utilisation: list[float]
    photo_bytes: int
    workers: int

    def cpu(self) -> float:
        return statistics.median(self.cpu_seconds)

    def busy(self) -> float:
        return statistics.median(self.utilisation)

    def line(self) -> str:
        low, high = min(self.cpu_seconds), max(self.cpu_seconds)
        return (f"CPU per stored event, 2 MP phone photo ({SIZE[0]}×{SIZE[1]} JPEG q90, Display P3, phone "
                f"Exif, {self.photo_bytes / 1e3:.0f} kB; see bench/phone_photo.py): "
                f"**{self.cpu() * 1000:.0f} ms** (median of {len(self.cpu_seconds)} rounds, "
                f"{low * 1000:.0f}–{high * 1000:.0f}); the "
                f"consumer's {self.workers} threads kept {self.busy():.0%} of the CPU the emulator left them "
                f"busy on this machine (shared; the model assumes {BUSY:.0%})")


def measure(admin: AwsClients, records: int, rounds: int, workers: int = 4) -> Compute:
    """`rounds` timed batches of `records` distinct photos each, after one untimed batch."""
    events = [_batch(admin, records, number) for number in range(rounds + 1)]
    paths = []
    for event in events:
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as file:
            json.dump(event, file)
        paths.append(file.name)
    env = os.environ | {"WORKER_COUNT": str(workers)}
    done = subprocess.run([sys.executable, "-m", "bench.compute", *paths], env=env, capture_output=True,
                          text=True, check=True)
    for path in paths:
        os.unlink(path)
    timed = json.loads(done.stdout.strip().splitlines()[-1])
    cores = os.cpu_count() or 1
    return Compute(
        cpu_seconds=[run["cpu"] / records for run in timed],
        utilisation=[run["cpu"] / max(run["seconds"] * min(cores, workers) - run["emulator_cpu"], 1e-9)
                     for run in timed],
        photo_bytes=len(phone_photo()), workers=workers)


def _batch(admin: AwsClients, records: int, number: int) -> dict[str, Any]:
    """`records` phone photos in S3 under keys as long as a phone's uploads, and their stream records."""
    bucket = admin.settings.bucket_name
    payloads = []
    for index in range(records):
        variant = number * records + index
        key = f"uploads/2026/11/26/device-4821/IMG_{variant:05}-7f3c9a2e-5b1d-4c8e-9f2a-1d3e5b7c9a0b.jpg"
        admin.s3.put_object(Bucket=bucket, Key=key, Body=phone_photo(variant=variant))
        payloads.append(encode_event(f"s3://{bucket}/{key}", f"phone photo {variant}"))
    return read_back(admin, send_events(admin, payloads, partition_key=f"compute-{number}"))


def child(paths: list[str]) -> None:
    """In the child: the first event untimed (a warm container), then each of the others timed."""
    clients = AwsClients(Settings())
    events = []
    for path in paths:
        with open(path) as file:
            events.append(json.load(file))
    invoke("handler", events[0], clients)
    timed = []
    for event in events[1:]:
        emulator, cpu = emulator_cpu_seconds(), cpu_seconds()
        started = time.perf_counter()
        response = invoke("handler", event, clients)
        assert not response["batchItemFailures"], response
        timed.append({"seconds": time.perf_counter() - started, "cpu": cpu_seconds() - cpu,
                      "emulator_cpu": emulator_cpu_seconds() - emulator})
    print(json.dumps(timed))


if __name__ == "__main__":
    child(sys.argv[1:])
