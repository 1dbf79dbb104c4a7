"""The stack the tests start from, made the slow way (see tests/conftest.py for the fast one)."""

from __future__ import annotations

import requests

from core.aws import AwsClients
from core.ops.provision import provision
from core.ops.resources import RESOURCES
from core.settings import Settings

StackNames = tuple[str, ...]


def stack_names(settings: Settings) -> StackNames:
    """What a provisioned stack depends on: the region and every resource's name."""
    return (settings.region, *(resource.name(settings) for resource in RESOURCES))


def provision_afresh(endpoint: str, clients: AwsClients) -> None:
    """Reset the emulator and create every resource, as `make run` does."""
    requests.post(f"{endpoint}/moto-api/reset", timeout=10).raise_for_status()
    provision(clients)
