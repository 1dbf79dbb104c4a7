"""The reliability suite's report of its figures (its fixtures, the emulator's and `handler_aws`, come
from tests/conftest.py)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.reliability.harness import FIGURES, SOAK


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    """The figures the tests measured, after the results: `make soak` prints them without -s."""
    if FIGURES and (SOAK or config.getoption("verbose") > 0):
        terminalreporter.section("reliability figures")
        for figure in FIGURES:
            terminalreporter.write_line(figure)
