"""`streamlit run` in a child process, as the container starts it, for tests that speak HTTP to it."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from local.processes import stop
from local.run import streamlit_command
from tests.e2e.app_process import free_ports, wait_healthy

ROOT = Path(__file__).resolve().parents[2]
COOKIE_SECRET = "the-cookie-secret-every-replica-shares-0123456789"


def write_secrets(home: Path, text: str) -> Path:
    (home / ".streamlit").mkdir(parents=True, exist_ok=True)
    (home / ".streamlit" / "secrets.toml").write_text(text)
    return home


def login_configured(home: Path, provider: str = "https://cognito-idp.eu-west-1.amazonaws.com/pool",
                     redirect_uri: str = "https://images.example.com/oauth2callback") -> Path:
    """Secrets as infra/entrypoint.sh writes them for Cognito (`provider`: where its metadata is)."""
    return write_secrets(home, f"""[auth]
redirect_uri = "{redirect_uri}"
cookie_secret = "{COOKIE_SECRET}"
client_id = "client"
client_secret = "secret"
server_metadata_url = "{provider}/.well-known/openid-configuration"
""")


@contextmanager
def serving(home: Path, script: str = "", port: int = 0, **env: str) -> Iterator[str]:
    """The dashboard (or `script`) served on `port` (a free loopback port unless given) with HOME=`home`;
    its base URL.

    HOME holds the Streamlit secrets (~/.streamlit/secrets.toml) the test wrote, as the entrypoint
    writes them in the container. AWS points at a closed port: these tests never reach a store.
    """
    port = port or free_ports(1)[0]
    command = streamlit_command(port, "127.0.0.1")
    if script:
        command[command.index("run") + 1] = script
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "STREAMLIT_"))}
    environment |= {"HOME": str(home), "AWS_ENDPOINT_URL": "http://127.0.0.1:9", "AWS_REGION": "us-east-1",
                    "AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "x", **env}
    log = home / "streamlit.log"
    with log.open("wb") as out:
        process = subprocess.Popen([sys.executable, *command[1:]], cwd=ROOT, env=environment,
                                   stdout=out, stderr=subprocess.STDOUT)
    try:
        url = f"http://127.0.0.1:{port}"
        wait_healthy(url, process, log)
        yield url
    finally:
        stop(process)
