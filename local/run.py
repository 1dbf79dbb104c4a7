"""`make run`: the embedded AWS with sample data, then the dashboard against it.

Ctrl-C or SIGTERM stops all of it: Streamlit, the local event source's function processes and the emulator.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys

from core.settings import Settings
from local.emulator import check_free, local_environment, shell_line
from local.processes import ctrl_c_left_to_us, stop, stopped_by_sigterm_or_ctrl_c
from local.roles import task_role_environment
from local.stack import local_stack

APP_PATH = "dashboard/server.py"  # the app behind its login gate (dashboard/gate.py)


def streamlit_command(port: int, address: str = "0.0.0.0") -> list[str]:
    """argv for `streamlit run`, headless, on the given port, from the repository root.

    The one definition of how the dashboard is served: the Dockerfile's CMD and apprunner.yaml's
    command must equal it (tests/infra/test_container.py). `python -m` puts the working directory on
    sys.path, so the pages can import `core`.
    """
    return [
        "python", "-m", "streamlit", "run", APP_PATH,
        "--server.port", str(port),
        "--server.address", address,
        "--server.headless", "true",
        "--browser.gatherUsageStats", "false",
    ]


def serve(port: int, dashboard_port: int) -> int:
    """The stack, then Streamlit in the foreground until it ends or this process is interrupted."""
    with local_stack(port) as endpoint:
        print(f"{shell_line(endpoint, Settings().region)}   # for the AWS CLI and python -m core elsewhere")
        print(f"Dashboard: http://localhost:{dashboard_port}", flush=True)
        # The dashboard acts as its task role does in AWS: with exactly the template's permissions, and
        # sessions that end and rotate.
        env = task_role_environment("dashboard", endpoint, os.environ | local_environment(endpoint))
        command = streamlit_command(dashboard_port, "127.0.0.1")
        with ctrl_c_left_to_us():  # stopped below with SIGTERM, not cut short by Ctrl-C ("Aborted!")
            dashboard = subprocess.Popen([sys.executable, *command[1:]], env=env)
        try:
            return dashboard.wait()
        finally:
            stop(dashboard)
            print("Stopped the dashboard.", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=4566, help="emulator port (default 4566)")
    parser.add_argument("--dashboard-port", type=int, default=8501, help="dashboard port (default 8501)")
    args = parser.parse_args()
    try:
        check_free("127.0.0.1", args.dashboard_port)
    except OSError:
        raise SystemExit(f"Port {args.dashboard_port} is taken; use `make run DASHBOARD_PORT=…`") from None
    with stopped_by_sigterm_or_ctrl_c():
        try:
            code = serve(args.port, args.dashboard_port)
        except KeyboardInterrupt:
            code = 0
    print("Stopped; the emulator's data is gone.", flush=True)
    raise SystemExit(code)


if __name__ == "__main__":
    main()
