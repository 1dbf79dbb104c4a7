"""Where the deployment files are, and the linters the infra tests run on them."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "infra" / "template.yaml"


def venv_tool(name: str) -> str | None:
    """A console script installed next to this interpreter (the venv), else one on PATH."""
    beside = Path(sys.executable).parent / name
    return str(beside) if beside.exists() else shutil.which(name)


def checkov_tool() -> Path:
    """checkov, in its own virtualenv beside this one's (the Makefile's CHECKOV_VENV: .venv/checkov)."""
    return Path(sys.executable).parents[1] / "checkov" / "bin" / "checkov"
