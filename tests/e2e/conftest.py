"""The browser tests' world: `make run`'s process on free ports, and Debian's Chromium under Playwright."""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Generator, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Dialog, sync_playwright

from core.aws import AwsClients
from core.settings import Settings
from tests.e2e.app_process import App, running_app
from tests.e2e.browser import CHROMIUM, CHROMIUM_ARGS, SCREENSHOTS, Tab


@pytest.fixture(scope="session")
def screenshots() -> Path:
    """test-artifacts/screenshots, emptied once per run so every file in it is from this run."""
    shutil.rmtree(SCREENSHOTS, ignore_errors=True)
    SCREENSHOTS.mkdir(parents=True)
    return SCREENSHOTS


@pytest.fixture(scope="module")
def app() -> Iterator[App]:
    """`make run` as a user starts it, on free ports; its output goes to test-artifacts/dashboard.log."""
    with running_app() as running:
        yield running


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
