"""The one command that serves the dashboard: for `make run`, the Dockerfile, apprunner.yaml and tests."""

from __future__ import annotations

APP_PATH = "dashboard/app.py"


def streamlit_command(port: int, address: str = "0.0.0.0") -> list[str]:
    """argv for `streamlit run`, headless, on the given port, from the repository root.

    `python -m` puts the working directory on sys.path, so the pages can import `core`.
    """
    return [
        "python", "-m", "streamlit", "run", APP_PATH,
        "--server.port", str(port),
        "--server.address", address,
        "--server.headless", "true",
        "--browser.gatherUsageStats", "false",
    ]
