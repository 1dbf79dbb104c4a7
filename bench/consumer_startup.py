"""Cold-start figures for the consumer: the handler's import time (this venv, and the unpacked zip on
Python 3.12 when one is here), and the zip's size."""

from __future__ import annotations

import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from tools.lambda_zip import build_zip
from tools.wheels import interpreter

TIMED_IMPORT = ("import sys, time; sys.path[:0] = sys.argv[1:]; t = time.perf_counter(); "
                "import lambda_consumer.handler; print((time.perf_counter() - t) * 1000)")
# Lambda's Python runtime has these (the SDK and what botocore imports)
RUNTIME_SDK = ("boto3", "botocore", "s3transfer", "dateutil", "six.py", "urllib3")
VENV_SITE = Path(str(__import__("boto3").__file__)).parents[1]


def import_ms(command: list[str], runs: int) -> list[float]:
    return [float(subprocess.run(command, capture_output=True, text=True, check=True).stdout.split()[-1])
            for _ in range(runs)]


def importtime_ms() -> float:
    """`python -X importtime`'s cumulative figure for the handler module, in ms."""
    done = subprocess.run([sys.executable, "-X", "importtime", "-c", "import lambda_consumer.handler"],
                          capture_output=True, text=True, check=True)
    last = re.search(r"\|\s*(\d+) \| lambda_consumer\.handler\s*$", done.stderr, re.MULTILINE)
    return int(last.group(1)) / 1000 if last else float("nan")


def cold_import_ms(runs: int = 9) -> None:
    wall = import_ms([sys.executable, "-c", TIMED_IMPORT], runs)
    traced = [importtime_ms() for _ in range(runs)]
    print(f"handler import, this venv (Python {sys.version_info.major}.{sys.version_info.minor}, bytecode "
          f"cached): median {statistics.median(wall):.0f} ms, min {min(wall):.0f} ms; "
          f"-X importtime median {statistics.median(traced):.0f} ms")


def zip_figures(runs: int = 9) -> None:
    path, compiled = build_zip(output="build/bench/lambda_consumer.zip")
    print(f"zip: {path.stat().st_size / 1_000_000:.1f} MB, x86_64, Python 3.12, "
          f"{'with' if compiled else 'without'} bytecode")
    python = interpreter("3.12")
    if python:
        with tempfile.TemporaryDirectory() as folder:
            _zip_imports(path, python, Path(folder), runs)


def _zip_imports(path: Path, python: str, folder: Path, runs: int) -> None:
    """Cold imports from the unpacked zip with the runtime's SDK beside it (compiled, as Lambda's is)."""
    task, bare, runtime = folder / "task", folder / "bare", folder / "runtime"
    zipfile.ZipFile(path).extractall(task)
    shutil.copytree(task, bare, ignore=shutil.ignore_patterns("__pycache__"))
    runtime.mkdir()
    for name in RUNTIME_SDK:
        copy = shutil.copytree if (VENV_SITE / name).is_dir() else shutil.copy
        copy(VENV_SITE / name, runtime / name)
    compile_runtime = [python, "-m", "compileall", "-q", "-j", "0", str(runtime)]
    subprocess.run(compile_runtime, check=True, stdout=subprocess.DEVNULL)
    for label, code in (("bytecode in the zip", task), ("without bytecode", bare)):
        # -B: /var/task is read-only in Lambda, so nothing compiled at a cold start is kept.
        wall = import_ms([python, "-I", "-S", "-B", "-c", TIMED_IMPORT, str(code), str(runtime)], runs)
        print(f"handler import from the unpacked zip, Python 3.12, {label}: "
              f"median {statistics.median(wall):.0f} ms, min {min(wall):.0f} ms")
