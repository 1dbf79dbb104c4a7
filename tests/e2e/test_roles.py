"""Two people logged in, in Chromium, through a local OpenID Connect provider (tests/oidc.py) to the dashboard
as the container serves it (`streamlit run dashboard/server.py`, its login gate on): a viewer reads every
page, is offered no action and finds the acting pages refused (and recorded); an operator's delete is on the
Audit page under their name, for the viewer to read too."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from core.aws import AwsClients
from core.ingest.upload import ingest_upload
from core.ops import audit
from core.ops.audit import Action, Outcome
from core.store.reads import get_event
from local.roles import role_credentials
from tests.dashboard.served import login_configured, serving
from tests.e2e.app_process import free_ports
from tests.e2e.browser import column, grid, wait_idle
from tests.factories import counted, jpeg
from tests.oidc import User, oidc_provider

pytestmark = pytest.mark.e2e

VIEWER = User("vera@example.com")
OPERATOR = User("otto@example.com", ("operators",))
READ_ONLY = {"": "Live", "gallery": "Gallery", "logs": "Logs", "health": "Health", "audit": "Audit"}


@pytest.fixture()
def dashboard(aws: AwsClients, browser: Browser, tmp_path: Path) -> Iterator[str]:
    """The dashboard with login through the local provider, acting as its task role on the test's store.
    `browser` first: a missing Chromium fails (or skips) before anything starts."""
    (port,) = free_ports(1)
    with oidc_provider(VIEWER, OPERATOR) as provider:
        home = login_configured(tmp_path, provider.url, f"http://127.0.0.1:{port}/oauth2callback")
        store = {"AWS_ENDPOINT_URL": os.environ["AWS_ENDPOINT_URL"], **role_credentials("dashboard")}
        with serving(home, port=port, **store) as url:
            yield url


def log_in(browser: Browser, url: str, user: User) -> Page:
    """A browser of its own (its own cookies) that opens the dashboard and logs in as `user`."""
    page = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
    page.set_default_timeout(20_000)
    page.goto(url)  # the gate sends it to the provider's login
    page.get_by_role("link", name=user.email).click()
    expect(page.get_by_role("heading", name="Live", exact=True)).to_be_visible()
    expect(page.get_by_test_id("stSidebar")).to_contain_text(f"Logged in as {user.email}")
    return page


def open_page(page: Page, url: str, path: str, title: str) -> None:
    page.goto(f"{url}/{path}")
    expect(page.get_by_role("heading", name=title, exact=True)).to_be_visible()
    wait_idle(page)
    expect(page.get_by_test_id("stException")).to_have_count(0)


def open_details(page: Page, url: str, description: str) -> None:
    open_page(page, url, "gallery", "Gallery")
    details = page.get_by_role("button", name="Details")
    tiles = page.get_by_test_id("stVerticalBlock").filter(has=page.get_by_text(description, exact=True))
    tiles.filter(has=details).last.get_by_role("button", name="Details").click()  # the innermost: its tile
    expect(page.get_by_role("dialog")).to_be_visible()
    wait_idle(page)


def test_a_viewer_reads_every_page_and_acts_on_nothing_an_operators_delete_is_audited(
    dashboard: str, browser: Browser, aws: AwsClients
) -> None:
    now = datetime.now(UTC)
    kept = ingest_upload(aws, jpeg((64, 48), "teal"), "kept.jpg", "a picture to keep", now)
    doomed = ingest_upload(aws, jpeg((64, 48), "plum"), "doomed.jpg", "a picture to delete", now)
    counted(aws)

    viewer = log_in(browser, dashboard, VIEWER)
    expect(viewer.get_by_test_id("stSidebarNav").get_by_role("link")).to_have_text(
        [re.compile(title) for title in READ_ONLY.values()])
    expect(viewer.get_by_test_id("stSidebar")).to_contain_text("Role: viewer (read-only)")
    for path, title in READ_ONLY.items():
        open_page(viewer, dashboard, path, title)
    open_details(viewer, dashboard, "a picture to keep")
    expect(viewer.get_by_role("button", name="Delete event")).to_have_count(0)
    expect(viewer.get_by_text("Yes, delete this event")).to_have_count(0)
    for path, title, action in (("upload", "Upload", "upload"), ("send", "Send test event", "send")):
        open_page(viewer, dashboard, path, title)  # a deep link: the page refuses, with no form
        expect(viewer.get_by_text(f"only operators may {action}")).to_be_visible()
        expect(viewer.get_by_role("button", name=re.compile("^(Store images|Send)$"))).to_have_count(0)

    operator = log_in(browser, dashboard, OPERATOR)
    expect(operator.get_by_test_id("stSidebarNav").get_by_role("link")).to_have_count(7)
    open_details(operator, dashboard, "a picture to delete")
    operator.get_by_text("Yes, delete this event").click()
    operator.get_by_role("button", name="Delete event").click()
    expect(operator.get_by_role("dialog")).to_have_count(0)
    assert get_event(aws, doomed.event_id) is None and get_event(aws, kept.event_id) is not None

    open_page(viewer, dashboard, "audit", "Audit")
    table = grid(viewer, "outcome")
    expect(column(table, "who")).to_have_text(["otto@example.com", VIEWER.email, VIEWER.email])
    expect(column(table, "action")).to_have_text(["delete", "send", "upload"])
    expect(column(table, "outcome")).to_have_text(["done", "refused", "refused"])
    expect(column(table, "event ids")).to_have_text([doomed.event_id, "", ""])
    trail = audit.entries(aws, datetime.now(UTC) - timedelta(hours=1))
    assert [(e.who, e.role, e.action, e.outcome) for e in trail] == [
        (OPERATOR.email, "operator", Action.DELETE, Outcome.DONE),
        (VIEWER.email, "viewer", Action.SEND, Outcome.REFUSED),
        (VIEWER.email, "viewer", Action.UPLOAD, Outcome.REFUSED)]
