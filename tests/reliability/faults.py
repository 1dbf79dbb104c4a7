"""A seeded fault injector for S3 and DynamoDB, built on botocore's own event hooks.

A share of API calls (20 % by default) is faulty. A faulty call fails 1 to 4 consecutive attempts,
so botocore's standard retries (4 attempts) absorb most of it, as they would in AWS, and one faulty
call in ten still reaches our code. The failures are what AWS sends when it is busy or broken:

- throttling: DynamoDB's 400 ThrottlingException / ProvisionedThroughputExceededException, S3's 503 SlowDown;
- 5xx: 500 InternalServerError (S3: InternalError) and 503 ServiceUnavailable;
- timeouts: ConnectTimeoutError before the request leaves, and ReadTimeoutError *after* the service has
  received and applied it (the answer is lost), which is what makes retries dangerous without idempotency.

Errors are answered from a `before-send` hook, so they go through botocore's parsing and retry logic,
including its retry quota (which a fault rate this high empties: botocore then stops retrying).
Which calls fail is seeded: it depends on the seed, the request (method, URL, DynamoDB body) and how
many times that request was made before, not on which worker thread got there first. (How many faults
get past botocore still varies a little from run to run: its retry quota is shared by the threads.)
"""

from __future__ import annotations

import hashlib
import json
import random
import threading
from collections import Counter
from dataclasses import dataclass
from typing import Any

from botocore.awsrequest import AWSResponse
from botocore.compat import HTTPHeaders
from botocore.exceptions import ConnectTimeoutError, ReadTimeoutError
from botocore.httpsession import URLLib3Session

from core.aws import AwsClients

BOTOCORE_ATTEMPTS = 4  # core.aws: standard retry mode, max_attempts 4
FAILED_ATTEMPTS = (1, 2, 3, 4)
FAILED_ATTEMPT_WEIGHTS = (4, 3, 2, 1)  # so 1 faulty call in 10 fails every attempt
FAULT_ID = "injected-fault"  # the request id of every answer made up here
REQUEST_ID_HEADERS = ("x-amzn-RequestId", "x-amz-request-id")  # DynamoDB's, S3's


@dataclass(frozen=True)
class Fault:
    kind: str  # "throttling", "5xx", "connect-timeout", "lost-answer"
    code: str = ""
    status: int = 0


FAULTS = {
    "dynamodb": (
        Fault("throttling", "ThrottlingException", 400),
        Fault("throttling", "ProvisionedThroughputExceededException", 400),
        Fault("5xx", "InternalServerError", 500),
        Fault("5xx", "ServiceUnavailable", 503),
        Fault("connect-timeout"),
        Fault("lost-answer"),
    ),
    "s3": (
        Fault("throttling", "SlowDown", 503),
        Fault("5xx", "InternalError", 500),
        Fault("5xx", "ServiceUnavailable", 503),
        Fault("connect-timeout"),
        Fault("lost-answer"),
    ),
}


@dataclass
class _Plan:
    service: str
    fault: Fault
    attempts_left: int


class _Raw:
    """The body of an answer we make up, in the shape AWSResponse reads it."""

    def __init__(self, body: bytes) -> None:
        self.body = body

    def stream(self, **_: Any) -> Any:
        yield self.body


class FaultInjector:
    """Fails a seeded share of the S3 and DynamoDB calls made through `clients` while `enabled`."""

    def __init__(self, clients: AwsClients, seed: int, rate: float = 0.2) -> None:
        self.seed, self.rate, self.enabled = seed, rate, True
        self.stats: Counter[str] = Counter()
        self._seen: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._current = threading.local()  # botocore retries a call on the thread that made it
        self._http = URLLib3Session()  # sends the requests whose answer is then "lost"
        for service in FAULTS:
            events = clients.client(service).meta.events
            events.register(f"before-call.{service}", self._plan_call)
            events.register(f"before-send.{service}", self._fail_attempt)
            events.register(f"after-call.{service}", self._answered)
            events.register(f"after-call-error.{service}", self._raised)

    def _plan_call(self, model: Any, params: dict[str, Any], **_: Any) -> None:
        self._current.plan = self._plan(model.service_model.service_name, params) if self.enabled else None
        with self._lock:
            self.stats["calls"] += self.enabled

    def _plan(self, service: str, params: dict[str, Any]) -> _Plan | None:
        identity = _identity(service, params)
        with self._lock:
            occurrence = self._seen[identity]
            self._seen[identity] += 1
        rng = random.Random(f"{self.seed}|{identity}|{occurrence}")
        if rng.random() >= self.rate:
            return None
        fault = rng.choice(FAULTS[service])
        attempts = rng.choices(FAILED_ATTEMPTS, FAILED_ATTEMPT_WEIGHTS)[0]
        with self._lock:
            self.stats["faulty calls"] += 1
        return _Plan(service, fault, attempts)

    def _fail_attempt(self, request: Any, **_: Any) -> AWSResponse | None:
        plan: _Plan | None = getattr(self._current, "plan", None)
        if plan is None or plan.attempts_left <= 0:
            return None
        plan.attempts_left -= 1
        with self._lock:
            self.stats[f"failed attempts: {plan.fault.kind}"] += 1
        if plan.fault.kind == "connect-timeout":
            raise ConnectTimeoutError(endpoint_url=request.url)
        if plan.fault.kind == "lost-answer":
            self._http.send(request)  # the service does the work; the client never hears back
            raise ReadTimeoutError(endpoint_url=request.url)
        return _error_answer(request.url, plan)

    def _answered(self, http_response: Any, parsed: dict[str, Any], **_: Any) -> None:
        """After botocore's last attempt: an error we made up is now our code's to handle."""
        if FAULT_ID in (http_response.headers.get(REQUEST_ID_HEADERS[0]),
                        http_response.headers.get(REQUEST_ID_HEADERS[1])):
            self._reached_our_code()
            if parsed.get("ResponseMetadata", {}).get("RetryQuotaReached"):
                with self._lock:  # botocore's retry quota ran dry, so it stopped retrying early
                    self.stats["errors not retried: retry quota empty"] += 1

    def _raised(self, **_: Any) -> None:
        if getattr(self._current, "plan", None) is not None:
            self._reached_our_code()

    def _reached_our_code(self) -> None:
        with self._lock:
            self.stats["errors that reached our code"] += 1


def _identity(service: str, params: dict[str, Any]) -> str:
    body = params.get("body") if service == "dynamodb" else b""
    digest = hashlib.sha256(body if isinstance(body, bytes) else str(body).encode()).hexdigest()
    return f"{params.get('method')} {params.get('url')} {digest}"


def _error_answer(url: str, plan: _Plan) -> AWSResponse:
    """The error as the service words it: JSON for DynamoDB, XML for S3."""
    code, message = plan.fault.code, "injected by the reliability suite"
    if plan.service == "dynamodb":
        body = json.dumps({"__type": f"com.amazonaws.dynamodb.v20120810#{code}", "message": message})
        headers = {"Content-Type": "application/x-amz-json-1.0", REQUEST_ID_HEADERS[0]: FAULT_ID}
    else:
        body = (f"<?xml version='1.0' encoding='UTF-8'?><Error><Code>{code}</Code>"
                f"<Message>{message}</Message><RequestId>{FAULT_ID}</RequestId></Error>")
        headers = {"Content-Type": "application/xml", REQUEST_ID_HEADERS[1]: FAULT_ID}
    return AWSResponse(url, plan.fault.status, HTTPHeaders.from_dict(headers), _Raw(body.encode()))
