"""`make run` and `make stack` stop everything they started, on SIGTERM (`kill`) as on Ctrl-C: Streamlit,
the emulator and the local event source's function processes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.e2e.app_process import free_ports, wait_healthy

ROOT = Path(__file__).resolve().parents[2]
START_SECONDS = 90
STOP_SECONDS = 45


def group_members(group: int) -> set[int]:
    """Live processes in the process group (zombies have ended: their parent just has not reaped them)."""
    members = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # it ended while we looked
        state, pgrp = fields[0], int(fields[2])
        if pgrp == group and state != "Z":
            members.add(int(entry.name))
    return members


def start(module: str) -> tuple[subprocess.Popen[str], list[int]]:
    """`python -m <module>` in its own process group, as a terminal starts it, once it is ready."""
    emulator, dashboard = free_ports(2)
    argv = [sys.executable, "-m", module, "--port", str(emulator)]
    if module == "local.run":
        argv += ["--dashboard-port", str(dashboard)]
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    process = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True, start_new_session=True)
    assert process.stdout is not None
    deadline = time.monotonic() + START_SECONDS
    for line in process.stdout:
        if "Embedded AWS is up" in line or line.startswith("Dashboard:") or time.monotonic() > deadline:
            break
    if module == "local.run":
        wait_healthy(f"http://127.0.0.1:{dashboard}", process, seconds=deadline - time.monotonic())
    return process, [emulator, dashboard]


@pytest.mark.parametrize(("module", "how"), [
    ("local.stack", "kill"), ("local.stack", "ctrl-c"), ("local.run", "kill"), ("local.run", "ctrl-c"),
])
def test_stopping_leaves_no_process_behind(module: str, how: str) -> None:
    process, _ = start(module)
    group = process.pid
    try:
        started = group_members(group)
        # the command, the emulator, a function process (the samples were consumed); and Streamlit
        assert len(started) >= (4 if module == "local.run" else 3), started
        if how == "kill":
            os.kill(process.pid, signal.SIGTERM)  # `kill <pid>`: the command alone is told
        else:
            os.killpg(group, signal.SIGINT)  # Ctrl-C: the terminal tells the whole foreground group
        output, _ = process.communicate(timeout=STOP_SECONDS)
        assert "Stopped; the emulator's data is gone." in output
        # A line per part stopped, and nothing else: no child cut short by Ctrl-C, no traceback.
        expected = ["Stopped the local consumer and aggregator.", "Stopped; the emulator's data is gone."]
        if module == "local.run":
            expected.insert(0, "Stopped the dashboard.")
        assert [line for line in output.splitlines() if line.strip()][-len(expected):] == expected, output
        assert "Traceback" not in output and "Aborted!" not in output, output
        deadline = time.monotonic() + 5
        while group_members(group) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert group_members(group) == set()
    finally:
        if group_members(group):
            os.killpg(group, signal.SIGKILL)
