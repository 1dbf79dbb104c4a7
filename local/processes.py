"""Stopping `make run` and `make stack` cleanly, whether by Ctrl-C or by SIGTERM.

Python ends on SIGTERM at once, without running a single `finally`, so the emulator, the consumer's
function processes and Streamlit lived on after `kill`. Here SIGTERM is turned into the KeyboardInterrupt
that Ctrl-C raises, so both unwind the same way and every child is stopped on the way out.

A terminal sends Ctrl-C to its whole foreground group, children included. Had each child died of it at once,
the emulator would be gone while the event source still read from it, and every last call would print a
traceback. So children start with SIGINT blocked (`ctrl_c_left_to_us`), and this process alone stops them,
in order: the event source, then the emulator it reads, each with SIGTERM.
"""

from __future__ import annotations

import signal
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

STOP_SECONDS = 10


@contextmanager
def stopped_by_sigterm_or_ctrl_c() -> Iterator[None]:
    """Within the block, SIGTERM and SIGINT raise KeyboardInterrupt in the main thread, once."""
    previous = {sig: signal.signal(sig, _interrupt) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


@contextmanager
def ctrl_c_left_to_us() -> Iterator[None]:
    """Around starting a child: it starts with SIGINT blocked (a signal mask is per thread, and a child
    keeps it through fork and exec), so Ctrl-C reaches this process alone."""
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def _interrupt(signum: int, frame: FrameType | None) -> None:
    # Ctrl-C pressed twice, or a second kill, must not cut short the stopping of the children.
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    raise KeyboardInterrupt


def stop(process: subprocess.Popen[bytes] | subprocess.Popen[str], seconds: float = STOP_SECONDS) -> None:
    """SIGTERM, then SIGKILL if it has not ended within `seconds`; waits for it either way."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
