"""Debian's Chromium as the browser tests launch it, and a tab on the dashboard."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from playwright.sync_api import Page

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
