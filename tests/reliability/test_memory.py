"""Memory: a batch's records are thumbnailed WORKER_COUNT at a time, so the worst batch is that many images
at the pixel limit. It must fit the function's memory (MemorySize in infra/template.yaml), or Lambda kills
the invocation and retries the whole batch. Measured in a child process, whose peak RSS is its own."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from core.settings import Settings
from tests import factories as make

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "infra" / "template.yaml"
# WORKER_COUNT images at once, as ConcurrentBatchProcessor runs them; prints the child's peak RSS in MB.
CHILD = """
import sys
from concurrent.futures import ThreadPoolExecutor
from core.images import process_image
from core.settings import Settings
settings = Settings()
files = [open(path, "rb").read() for path in sys.argv[1:]]
with ThreadPoolExecutor(settings.worker_count) as pool:
    list(pool.map(lambda data: process_image(data, settings), files))
print(next(int(line.split()[1]) // 1024 for line in open("/proc/self/status") if line.startswith("VmHWM")))
"""


def function_memory_mb() -> int:
    found = re.search(r"^\s+MemorySize: (\d+)$", TEMPLATE.read_text(), re.MULTILINE)
    assert found, "the consumer's MemorySize is no longer in infra/template.yaml"
    return int(found[1])


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
    workers = Settings().worker_count
    # PNG and GIF: neither can be decoded at a reduced scale, as JPEG can.
    files = {"png": largest_allowed("PNG", "RGB"), "gif": largest_allowed("GIF", "L")}
    paths = [tmp_path / f"{index}.{'png' if index % 2 else 'gif'}" for index in range(workers)]
    for path in paths:
        path.write_bytes(files[path.suffix[1:]])
    child = subprocess.run([sys.executable, "-c", CHILD, *map(str, paths)], cwd=ROOT,
                           env={**os.environ, **allocator_settings()},
                           capture_output=True, text=True, timeout=120, check=True)
    peak_mb = int(child.stdout.split()[-1])
    assert peak_mb < function_memory_mb(), f"{workers} images at once peaked at {peak_mb} MB"
