"""The embedded local AWS: moto behind the strictness layers, in its own process on loopback.

Nothing is kept: the emulator holds everything in memory and forgets it when it stops.
"""

from __future__ import annotations

import os
import shlex
import socket
import subprocess
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from local.processes import ctrl_c_left_to_us, stop
from local.roles import ADMIN_CREDENTIALS


@contextmanager
def embedded_aws(host: str = "127.0.0.1", port: int = 0, lenient: Sequence[str] = ()) -> Iterator[str]:
    """Run the emulator on host:port (0: any free port) until the block ends; yields its endpoint URL.

    `lenient` names strictness layers to turn off (see local/server.py); by default all are on.
    """
    if port:
        check_free(host, port)
    command = [sys.executable, "-m", "local.server", "--host", host, "--port", str(port)]
    command += [arg for layer in lenient for arg in ("--lenient", layer)]
    environment = os.environ | ADMIN_CREDENTIALS
    with ctrl_c_left_to_us():  # the event source stops before the emulator it reads
        server = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env=environment)
    try:
        yield _endpoint(server)
    finally:
        stop(server)


def _endpoint(server: subprocess.Popen[str]) -> str:
    assert server.stdout is not None
    line = server.stdout.readline()  # the server prints its address once it answers
    if not line.startswith("listening on "):
        server.kill()
        raise OSError(f"The emulator did not start (exit code {server.wait()}); see the error above")
    return line.removeprefix("listening on ").strip()


def check_free(host: str, port: int) -> None:
    """Raise OSError now if the port is taken, with a message better than the server's."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind((host, port))


def local_environment(endpoint: str) -> dict[str, str]:
    """The variables that point boto3 (and the AWS CLI) in this and child processes at `endpoint`."""
    return {"AWS_ENDPOINT_URL": endpoint, **ADMIN_CREDENTIALS}


def shell_line(endpoint: str, region: str) -> str:
    """One line that, pasted into a shell, points the AWS CLI and `python -m core` at the emulator: the
    endpoint, the administrator's keys and the region (both spellings: boto3 reads AWS_DEFAULT_REGION, our
    settings AWS_REGION first, so a region left over in that shell cannot point them elsewhere)."""
    names = local_environment(endpoint) | {"AWS_REGION": region, "AWS_DEFAULT_REGION": region}
    return "export " + " ".join(f"{name}={shlex.quote(value)}" for name, value in names.items())


def use_endpoint(endpoint: str) -> None:
    """Point this process's boto3 at the emulator, the way a user would with `export`."""
    os.environ.update(local_environment(endpoint))
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
