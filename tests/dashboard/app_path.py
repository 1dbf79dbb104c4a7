"""Where the dashboard's entry file is, for AppTest.from_file."""

from __future__ import annotations

from pathlib import Path

APP = str(Path(__file__).resolve().parents[2] / "dashboard" / "app.py")
