"""Debian's Chromium as the browser tests launch it, a tab on the dashboard, and what Streamlit drew."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from playwright.sync_api import Locator, Page, expect

from tests.e2e.app_process import ARTIFACTS, App

SCREENSHOTS = ARTIFACTS / "screenshots"
CHROMIUM = Path("/usr/bin/chromium")
# Without the background-networking flags Chromium dials out at start, and this machine refuses it.
CHROMIUM_ARGS = [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


@dataclass
class Tab:
    """A browser page on the dashboard, with every JavaScript dialog it raised (there should be none)."""

    page: Page
    app: App
    dialogs: list[str] = field(default_factory=list)


# While Streamlit runs a script it shows its status widget, skeletons where elements will go, and marks
# the elements of the previous run stale.
BUSY = '[data-testid="stStatusWidget"], [data-testid="stSkeleton"], [data-stale="true"]'
SETTLED = """([busy, quietMs]) => {
    const now = performance.now();
    if (document.querySelector(busy) || window.__lastBusy === undefined) window.__lastBusy = now;
    return now - window.__lastBusy >= quietMs;
}"""


def wait_idle(page: Page, quiet_ms: int = 300) -> None:
    """Wait until nothing has been in progress for `quiet_ms` (Live reruns its panel every second)."""
    page.evaluate("() => { delete window.__lastBusy; }")
    page.wait_for_function(SETTLED, arg=[BUSY, quiet_ms], polling=50)


def grid(page: Page, header: str) -> Locator:
    """The st.dataframe that has a column `header`: glide-data-grid draws on a canvas and mirrors the
    visible cells in an accessible <table> inside it, which is what these tests read."""
    tables = page.locator('[data-testid="stDataFrame"] table[role="grid"]')
    return tables.filter(has=page.locator("th", has_text=header)).first


def column(table: Locator, header: str) -> Locator:
    """The body cells of the column whose header is exactly `header`."""
    expect(table.locator("th").first).to_be_attached()
    headers = [text.strip() for text in table.locator("thead th").all_text_contents()]
    return table.locator(f'tbody td[aria-colindex="{headers.index(header) + 1}"]')
