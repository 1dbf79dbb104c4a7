"""The browser tests' world: `make run`'s process on free ports, and Debian's Chromium under Playwright."""

from __future__ import annotations

import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Generator, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests
from playwright.sync_api import Browser, Dialog, Page, sync_playwright

from core.aws import AwsClients
from core.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
SCREENSHOTS = ARTIFACTS / "screenshots"
CHROMIUM = Path("/usr/bin/chromium")
# Without the background-networking flags Chromium dials out at start, and this machine refuses it.
CHROMIUM_ARGS = [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
START_TIMEOUT_SECONDS = 60
STOP_TIMEOUT_SECONDS = 10


@dataclass
class App:
    """The running `python -m local.run`: where the dashboard and the emulator answer."""

    url: str
    endpoint: str
    log: Path


@dataclass
class Tab:
    """A browser page on the dashboard, with every JavaScript dialog it raised (there should be none)."""

    page: Page
    app: App
    dialogs: list[str] = field(default_factory=list)


def _free_ports(count: int) -> list[int]:
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


def _wait_healthy(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"The dashboard exited with {process.returncode} before it answered; "
                        f"its output:\n{log.read_text(errors='replace')[-3000:]}")
        try:
            if requests.get(f"{url}/_stcore/health", timeout=2).text == "ok":
                return
        except requests.RequestException:
            pass
        time.sleep(0.25)
    pytest.fail(f"The dashboard did not answer {url}/_stcore/health within {START_TIMEOUT_SECONDS} s; "
                f"its output:\n{log.read_text(errors='replace')[-3000:]}")


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


@pytest.fixture(scope="session")
def screenshots() -> Path:
    """test-artifacts/screenshots, emptied once per run so every file in it is from this run."""
    shutil.rmtree(SCREENSHOTS, ignore_errors=True)
    SCREENSHOTS.mkdir(parents=True)
    return SCREENSHOTS


@pytest.fixture(scope="module")
def app() -> Iterator[App]:
    """`make run` as a user starts it, on free ports; its output goes to test-artifacts/dashboard.log."""
    emulator_port, dashboard_port = _free_ports(2)
    ARTIFACTS.mkdir(exist_ok=True)
    log = ARTIFACTS / "dashboard.log"
    # Like a user's shell: no AWS settings of ours (tests/conftest.py sets fake ones); the app sets its own.
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "local.run",
             "--port", str(emulator_port), "--dashboard-port", str(dashboard_port)],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )
    try:
        url = f"http://127.0.0.1:{dashboard_port}"
        _wait_healthy(url, process, log)
        yield App(url, f"http://127.0.0.1:{emulator_port}", log)
    finally:
        _stop(process)


@pytest.fixture()
def app_store(app: App, monkeypatch: pytest.MonkeyPatch) -> AwsClients:
    """The app's own emulator, read directly: the truth the pages are checked against."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", app.endpoint)
    return AwsClients(Settings())


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Debian's Chromium; missing, it fails the run (CI installs it) unless SKIP_BROWSER_TESTS=1."""
    if os.environ.get("SKIP_BROWSER_TESTS") == "1":
        pytest.skip("SKIP_BROWSER_TESTS=1: the browser tests were asked not to run")
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (`apt-get install chromium`, as "
                    ".ci/run does), or set SKIP_BROWSER_TESTS=1 to skip the browser tests.", pytrace=False)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Keep each phase's report on the test, so `tab` can tell whether the test failed."""
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture()
def tab(browser: Browser, app: App, screenshots: Path, request: pytest.FixtureRequest) -> Iterator[Tab]:
    """A fresh browser context per test; any alert/confirm/prompt is recorded and dismissed.

    `browser` comes first so a missing Chromium fails (or skips) before the app starts.
    A failed test leaves a screenshot of where the page was: screenshots/failed-<test>.png.
    """
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.set_default_timeout(15_000)
    page = context.new_page()
    opened = Tab(page, app)

    def on_dialog(dialog: Dialog) -> None:
        opened.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    page.on("dialog", on_dialog)
    yield opened
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        name = re.sub(r"[^\w.-]+", "-", request.node.name)
        page.screenshot(path=screenshots / f"failed-{name}.png", full_page=True)
    context.close()
