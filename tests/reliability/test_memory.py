"""Memory: a batch's records are thumbnailed WORKER_COUNT at a time while its other fetched images wait, so
the worst batch is that many images at the pixel limit with FETCH_MEMORY_BYTES of bodies held. It must fit
the function's memory (MemorySize in infra/template.yaml), or Lambda kills the invocation and retries the
whole batch. The dashboard decodes uploads the same way, one session's script per thread in one process, and
must fit its task's memory (DashboardMemory). Measured in a child process, whose peak RSS is its own."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from core.aws import AwsClients
from core.settings import Settings
from local.roles import role_credentials
from local.template import Template
from tests import factories as make
from tests.reliability.harness import report

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "infra" / "template.yaml"
# WORKER_COUNT images at once (preview and thumbnail), as the batch service runs them, while the rest of the
# fetch budget is full of bodies waiting for a worker; prints the child's peak RSS in MB.
CHILD = """
import sys
from concurrent.futures import ThreadPoolExecutor
from core.imaging.renditions import renditions
from core.settings import Settings
settings = Settings()
files = [open(path, "rb").read() for path in sys.argv[1:]]
waiting = b"\\x01" * (settings.fetch_memory_bytes - sum(map(len, files)))
with ThreadPoolExecutor(settings.worker_count) as pool:
    list(pool.map(lambda data: renditions(data, settings), files))
print(next(int(line.split()[1]) // 1024 for line in open("/proc/self/status") if line.startswith("VmHWM")))
"""


# Uploads at the same time, each through core.ingest as the Upload page runs them (a thread per session),
# in a process that imports what the dashboard imports; each holds its own copy of the file, as Streamlit's
# upload manager and the page do. Prints the peak RSS in MB.
DASHBOARD_CHILD = """
import sys, datetime
from concurrent.futures import ThreadPoolExecutor
import streamlit, pandas, pyarrow  # the server's own weight
import dashboard.resources
from core.aws import AwsClients
from core.ingest.upload import ingest_upload
from core.settings import Settings
clients = AwsClients(Settings())
uploads = [bytearray(open(sys.argv[1], "rb").read()) for _ in range(int(sys.argv[2]))]
def upload(data):
    now = datetime.datetime.now(datetime.UTC)
    return ingest_upload(clients, bytes(data), "big.png", "as large as allowed", now)
with ThreadPoolExecutor(len(uploads)) as pool:
    assert all(event.width for event in pool.map(upload, uploads))
print(next(int(line.split()[1]) // 1024 for line in open("/proc/self/status") if line.startswith("VmHWM")))
"""
CONCURRENT_UPLOADS = 4
DOCKERFILE = ROOT / "Dockerfile"


def dashboard_memory_mb() -> int:
    parameter = r"^  DashboardMemory:\n(?:    .*\n)*?    Default: \"(\d+)\""
    found = re.search(parameter, TEMPLATE.read_text(), re.MULTILINE)
    assert found, "DashboardMemory's default is no longer in infra/template.yaml"
    return int(found[1])


def image_environment() -> dict[str, str]:
    """glibc malloc tuning the dashboard's image sets (ENV MALLOC_*): the child runs with it."""
    return dict(re.findall(r"\b(MALLOC_\w+)=\"?(\d+)\"?", DOCKERFILE.read_text()))


def largest_upload(settings: Settings) -> bytes:
    """A 16-bit greyscale PNG just under MAX_IMAGE_PIXELS and close to MAX_IMAGE_BYTES: noise where the
    bytes allow, a gradient after. 16 bits per sample is the mode that needs the most memory per pixel."""
    side = int(settings.max_image_pixels ** 0.5) - 1
    ramp = np.arange(side, dtype=np.uint32)
    samples = np.add.outer(ramp, ramp).astype(np.uint16)
    noisy_rows = int(settings.max_image_bytes * 0.9) // (2 * side)  # random samples do not compress
    samples[:noisy_rows] = np.random.default_rng(7).integers(0, 65536, (noisy_rows, side), dtype=np.uint16)
    data = make.encode(Image.fromarray(samples), "PNG")
    assert len(data) <= settings.max_image_bytes
    return data


def function_memory_mb() -> int:
    """The consumer's MemorySize at the template's defaults (its ConsumerMemorySize parameter)."""
    return Template(Settings()).function().memory_mb


def function_workers() -> int:
    """The consumer's WORKER_COUNT at the template's defaults (its WorkerCount parameter)."""
    return int(Template(Settings()).function().environment["WORKER_COUNT"])


def allocator_settings() -> dict[str, str]:
    """glibc malloc tuning the template gives the function (MALLOC_*), if any: the child runs with it."""
    found = re.findall(r"^\s+(MALLOC_\w+): \"?([^\"\n]+)\"?$", TEMPLATE.read_text(), re.MULTILINE)
    return dict(found)


def largest_allowed(fmt: str, mode: str) -> bytes:
    """A plain square just under MAX_IMAGE_PIXELS: tens of KB on the wire, ~150 MB once decoded."""
    side = int(Settings().max_image_pixels ** 0.5) - 1
    return make.encode(Image.new(mode, (side, side), "white"), fmt)


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads the peak RSS from /proc")
def test_a_batch_of_images_at_the_pixel_limit_fits_the_functions_memory(tmp_path: Path) -> None:
    workers = function_workers()
    # PNG and GIF: neither can be decoded at a reduced scale, as JPEG can.
    files = {"png": largest_allowed("PNG", "RGB"), "gif": largest_allowed("GIF", "L")}
    paths = [tmp_path / f"{index}.{'png' if index % 2 else 'gif'}" for index in range(workers)]
    for path in paths:
        path.write_bytes(files[path.suffix[1:]])
    child = subprocess.run([sys.executable, "-c", CHILD, *map(str, paths)], cwd=ROOT,
                           env={**os.environ, **allocator_settings(), "WORKER_COUNT": str(workers)},
                           capture_output=True, text=True, timeout=120, check=True)
    peak_mb = int(child.stdout.split()[-1])
    assert peak_mb < function_memory_mb(), f"{workers} images, the fetch budget full, peaked at {peak_mb} MB"


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads the peak RSS from /proc")
def test_concurrent_largest_uploads_fit_the_dashboard_tasks_memory(
    aws: AwsClients, moto_endpoint: str, tmp_path: Path
) -> None:
    settings = Settings()
    upload = tmp_path / "big.png"
    upload.write_bytes(largest_upload(settings))
    environment = {**os.environ, **image_environment(), **role_credentials("dashboard"),
                   "AWS_ENDPOINT_URL": moto_endpoint}
    command = [sys.executable, "-c", DASHBOARD_CHILD, str(upload), str(CONCURRENT_UPLOADS)]
    child = subprocess.run(command, cwd=ROOT, env=environment, capture_output=True, text=True, timeout=300,
                           check=False)
    assert child.returncode == 0, child.stderr[-3000:]
    peak_mb = int(child.stdout.split()[-1])
    # A fifth of the task is left for what a child process does not have: the running server, its sessions.
    budget_mb = dashboard_memory_mb() * 0.8
    assert peak_mb < budget_mb, f"{CONCURRENT_UPLOADS} uploads at once peaked at {peak_mb} MB"
    report(f"dashboard: {CONCURRENT_UPLOADS} largest uploads at once peaked at {peak_mb} MB")
