"""Shared fixtures: one moto server over real HTTP for the session, reset before each test."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
import requests

from core.aws import AwsClients
from core.provision import provision
from core.settings import Settings
from lambda_consumer import handler as consumer
from local.emulator import embedded_aws

# The tests never reach AWS: fake credentials, and the endpoint set per test below.
for _name, _value in {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}.items():
    os.environ[_name] = _value
for _name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_REGION"):
    os.environ.pop(_name, None)


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    """The same embedded emulator `make run` uses: moto's ThreadedMotoServer on a free port."""
    with embedded_aws() as endpoint:
        yield endpoint


@pytest.fixture()
def settings() -> Settings:
    return Settings(allow_loopback_fetch=True, worker_count=4)


@pytest.fixture()
def aws(moto_endpoint: str, settings: Settings, monkeypatch: pytest.MonkeyPatch) -> AwsClients:
    """A clean emulator with every resource created, reached over HTTP through AWS_ENDPOINT_URL."""
    requests.post(f"{moto_endpoint}/moto-api/reset", timeout=10).raise_for_status()
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_endpoint)
    clients = AwsClients(settings)
    provision(clients)
    return clients


@pytest.fixture()
def handler_aws(aws: AwsClients, monkeypatch: pytest.MonkeyPatch) -> AwsClients:
    """A clean emulator, and the consumer's handler using its clients (as Lambda's cached getter would)."""
    monkeypatch.setattr(consumer, "aws_clients", lambda: aws)
    return aws
