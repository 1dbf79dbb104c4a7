"""Fixtures of the reliability suite (the emulator fixtures come from tests/conftest.py)."""

from __future__ import annotations

from typing import Any

import pytest

from core.aws import AwsClients
from lambda_consumer import handler as consumer
from tests.reliability.harness import FIGURES, SOAK


@pytest.fixture()
def handler_aws(aws: AwsClients, monkeypatch: pytest.MonkeyPatch) -> AwsClients:
    """A clean emulator, and the consumer's handler using its clients (as Lambda's cached getter would)."""
    monkeypatch.setattr(consumer, "aws_clients", lambda: aws)
    return aws


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    """The figures the tests measured, after the results: `make soak` prints them without -s."""
    if FIGURES and (SOAK or config.getoption("verbose") > 0):
        terminalreporter.section("reliability figures")
        for figure in FIGURES:
            terminalreporter.write_line(figure)
