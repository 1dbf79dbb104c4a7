"""Count and fail AWS calls with botocore's own event hooks (no stand-in clients)."""

from __future__ import annotations

from collections import Counter
from typing import Any

from core.aws import AwsClients


class CallCounter:
    """Counts every API call made through the factory's clients, by 'service.Operation'."""

    def __init__(self, clients: AwsClients, services: tuple[str, ...] = ("dynamodb", "s3")) -> None:
        self.calls: Counter[str] = Counter()
        for service in services:
            clients.client(service).meta.events.register(f"before-call.{service}", self._count)

    def _count(self, model: Any, **_: Any) -> None:
        self.calls[f"{model.service_model.service_name}.{model.name}"] += 1

    @property
    def total(self) -> int:
        return sum(self.calls.values())

    def reset(self) -> None:
        self.calls.clear()
