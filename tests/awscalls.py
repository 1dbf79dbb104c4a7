"""Count and fail AWS calls with botocore's own event hooks (no stand-in clients)."""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any

from botocore.awsrequest import AWSResponse
from botocore.compat import HTTPHeaders

from core.aws import AwsClients
from core.store.table import UNPROCESSED_ATTEMPTS


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


class ThrottleWritesOf:
    """DynamoDB throttling one event's items in BatchWriteItem: they are taken out of the request and
    handed back as UnprocessedItems (what DynamoDB answers), the other items written for real; for the
    next `calls` calls that carry them (by default, every try one batch makes)."""

    def __init__(self, clients: AwsClients, event_id: str, calls: int = UNPROCESSED_ATTEMPTS) -> None:
        self.partition, self.calls_left = f"E#{event_id}", calls
        self._held = threading.local()
        events = clients.client("dynamodb").meta.events
        events.register("before-parameter-build.dynamodb.BatchWriteItem", self._withhold)
        events.register("before-call.dynamodb.BatchWriteItem", self._nothing_left)
        events.register("after-call.dynamodb.BatchWriteItem", self._hand_back)

    def _withhold(self, params: dict[str, Any], **_: Any) -> None:
        self._held.items, self._held.everything = {}, False
        if self.calls_left <= 0:
            return
        for table, requests in params["RequestItems"].items():
            mine = [r for r in requests if r["PutRequest"]["Item"]["pk"]["S"] == self.partition]
            if mine and len(mine) == len(requests):
                self._held.everything = True  # DynamoDB takes no empty request: answer it here
            elif mine:
                params["RequestItems"][table] = [r for r in requests if r not in mine]
            if mine:
                self._held.items[table] = mine
        if self._held.items:
            self.calls_left -= 1

    def _nothing_left(self, **_: Any) -> tuple[Any, dict[str, Any]] | None:
        if not getattr(self._held, "everything", False):
            return None
        unprocessed, self._held.items = self._held.items, {}
        return AWSResponse("http://throttled", 200, HTTPHeaders(), None), {
            "UnprocessedItems": unprocessed, "ResponseMetadata": {"HTTPStatusCode": 200},
        }

    def _hand_back(self, parsed: dict[str, Any], **_: Any) -> None:
        for table, requests in getattr(self._held, "items", {}).items():
            parsed.setdefault("UnprocessedItems", {}).setdefault(table, []).extend(requests)
