"""Count and fail AWS calls with botocore's own event hooks (no stand-in clients)."""

from __future__ import annotations

from collections import Counter
from typing import Any

from botocore.awsrequest import AWSResponse
from botocore.compat import HTTPHeaders

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


class FailCalls:
    """Answers the next `times` calls of service.operation with an AWS error, before they are sent.

    A botocore `before-call` hook that returns a response short-circuits the request, so the client
    raises ClientError exactly as it would for the real service's answer.
    """

    def __init__(
        self, clients: AwsClients, service: str, operation: str,
        code: str = "ThrottlingException", status: int = 400, times: int = 1,
    ) -> None:
        self.code, self.status, self.times_left, self.failed = code, status, times, 0
        clients.client(service).meta.events.register(f"before-call.{service}.{operation}", self._answer)

    def _answer(self, **_: Any) -> tuple[Any, dict[str, Any]] | None:
        if self.times_left <= 0:
            return None
        self.times_left -= 1
        self.failed += 1
        error = {"Code": self.code, "Message": "injected by the test"}
        return AWSResponse("http://fault", self.status, HTTPHeaders(), None), {
            "Error": error, "ResponseMetadata": {"HTTPStatusCode": self.status},
        }


class FailWritesOf(FailCalls):
    """FailCalls on TransactWriteItems, for one event only: records of a batch run concurrently."""

    def __init__(self, clients: AwsClients, event_id: str, times: int = 1) -> None:
        self.event_id = event_id
        super().__init__(clients, "dynamodb", "TransactWriteItems", "ThrottlingException", times=times)

    def _answer(self, **kwargs: Any) -> tuple[Any, dict[str, Any]] | None:
        if self.event_id not in str(kwargs.get("params", {}).get("body", "")):
            return None
        return super()._answer(**kwargs)
