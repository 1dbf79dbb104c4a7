"""`make run`'s process for the browser tests: on free ports, waited for until healthy, stopped."""

from __future__ import annotations

import os
import random
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
START_TIMEOUT_SECONDS = 60
STOP_TIMEOUT_SECONDS = 10


@dataclass
class App:
    """The running `python -m local.run`: where the dashboard and the emulator answer."""

    url: str
    endpoint: str
    log: Path


@contextmanager
def running_app() -> Iterator[App]:
    """`make run` as a user starts it, on free ports; its output goes to test-artifacts/dashboard.log."""
    emulator_port, dashboard_port = free_ports(2)
    ARTIFACTS.mkdir(exist_ok=True)
    log = ARTIFACTS / "dashboard.log"
    # Like a user's shell: no AWS settings of ours (tests/conftest.py sets fake ones); the app sets its own.
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    # One difference: a test plays an image host on loopback that fails, then recovers (Retry). The
    # metadata address and the private ranges stay refused (the "blocked URL" template is one of them).
    env["ALLOW_LOOPBACK_FETCH"] = "true"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "local.run",
             "--port", str(emulator_port), "--dashboard-port", str(dashboard_port)],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )
    try:
        url = f"http://127.0.0.1:{dashboard_port}"
        wait_healthy(url, process, log)
        yield App(url, f"http://127.0.0.1:{emulator_port}", log)
    finally:
        _stop(process)


def free_ports(count: int) -> list[int]:
    """Distinct free loopback ports below the kernel's ephemeral range.

    A port the kernel hands out (bind to 0) is also a candidate source port for outgoing connections:
    the stack's own boto3 connections to the emulator took the dashboard's port before Streamlit could
    bind it ("Port … is not available"). Ports below the range are never chosen as source ports.
    """
    low = _ephemeral_low() - 1
    chosen: list[int] = []
    for port in random.sample(range(max(1024, low - 10_000), low), 200):
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
        chosen.append(port)
        if len(chosen) == count:
            return chosen
    pytest.fail(f"No {count} free ports below {low} on 127.0.0.1")


def _ephemeral_low() -> int:
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768  # Linux's default


def wait_healthy(url: str, process: subprocess.Popen[Any], log: Path | None = None,
                 seconds: float = START_TIMEOUT_SECONDS) -> None:
    """Until Streamlit at `url` answers its health check; fails, with the end of `log`, if `process` ends
    first or `seconds` pass."""
    def tail() -> str:
        return f"; its output:\n{log.read_text(errors='replace')[-3000:]}" if log else ""

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"The dashboard exited with {process.returncode} before it answered{tail()}")
        try:
            if requests.get(f"{url}/_stcore/health", timeout=2).text == "ok":
                return
        except requests.RequestException:
            pass
        time.sleep(0.25)
    pytest.fail(f"The dashboard did not answer {url}/_stcore/health within {seconds:g} s{tail()}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM the whole process group (local.run and its streamlit child), SIGKILL if it lingers."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=STOP_TIMEOUT_SECONDS)
            return
        except subprocess.TimeoutExpired:
            continue
