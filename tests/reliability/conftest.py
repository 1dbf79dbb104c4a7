"""Fixtures of the reliability suite (the emulator fixtures come from tests/conftest.py)."""

from __future__ import annotations

import pytest

from core.aws import AwsClients
from lambda_consumer import handler as consumer


@pytest.fixture()
def handler_aws(aws: AwsClients, monkeypatch: pytest.MonkeyPatch) -> AwsClients:
    """A clean emulator, and the consumer's handler using its clients (as Lambda's cached getter would)."""
    monkeypatch.setattr(consumer, "aws_clients", lambda: aws)
    return aws
