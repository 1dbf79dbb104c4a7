"""The strict emulator: moto's WSGI app behind the strictness layers, serving requests concurrently.

Order for each request: read it as AWS would (calls.py); refuse what AWS refuses (SigV2 to S3,
oversized Kinesis records, a role's call its policy does not allow, a write to an item a transaction
holds); then let moto answer, under the narrowest locks that keep it consistent: a readers-writer
lock per DynamoDB table (dynamodb.py), and one lock per other service, whose moto backends are plain
dicts too (S3's also holds a conditional write's key: s3.py).
`/_local/…` answers the tests: denials and conflicts so far, a way to take one action
away from a role or to grant a role the policies IAM holds for it, and a snapshot of the whole state to
restore before each test (snapshots.py).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import asdict, dataclass
from typing import Any
from urllib.parse import parse_qs

from local.roles import ROLE_SESSION_SECONDS, container_credentials, secret_of, session_end
from local.strict import kinesis, presign
from local.strict.answers import Answer, error
from local.strict.calls import AwsCall, read_call
from local.strict.dynamodb import DynamoDBLayer
from local.strict.iam import Authorizer, policy_statements
from local.strict.s3 import ConditionalWrites
from local.strict.snapshots import Snapshot
from local.strict.throughput import Throughput

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
SIGV2 = "The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256."


@dataclass(frozen=True)
class Strictness:
    """Which layers are on (all of them unless a caller says otherwise)."""

    sigv2: bool = True
    kinesis_limits: bool = True
    iam: bool = True
    presigned_links: bool = True
    transaction_hold_seconds: float = 0.005
    conditional_write_hold_seconds: float = 0.0  # beyond moto's own time: no latency unless a test asks


class StrictEmulator:
    def __init__(self, moto: WsgiApp, authorizer: Authorizer, dynamodb: DynamoDBLayer,
                 strictness: Strictness) -> None:
        self.moto, self.authorizer, self.dynamodb, self.strictness = moto, authorizer, dynamodb, strictness
        self._service_locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()
        self._snapshot: Snapshot | None = None
        self.throughput = Throughput()
        self.s3 = ConditionalWrites(strictness.conditional_write_hold_seconds)

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path.startswith("/_local/"):
            return _respond(start_response, self._control(environ, path))
        if path.startswith("/moto-api/reset") and environ["REQUEST_METHOD"] == "POST":
            self._reset()
        call = read_call(environ)
        answer = self._refusal(call) or self._served(call, environ)
        return _respond(start_response, answer)

    def _refusal(self, call: AwsCall) -> Answer | None:
        if self.strictness.sigv2 and call.service == "s3" and call.sigv2:
            return error(call, 400, "InvalidRequest", SIGV2)
        if self.strictness.presigned_links and (refused := presign.refuse(call, secret_of, session_end)):
            return refused
        if self.strictness.iam and (denied := self.authorizer.refuse(call)) is not None:
            return denied
        if self.strictness.kinesis_limits and call.service == "kinesis":
            return kinesis.refuse(call)
        if call.service == "dynamodb":
            return self.dynamodb.refuse(call)
        return None

    def _served(self, call: AwsCall, environ: dict[str, Any]) -> Answer:
        if self.strictness.kinesis_limits and call.service == "kinesis":  # per-shard rates (throughput.py)
            with self._lock_for("kinesis"):
                return self.throughput.serve(call, environ, lambda: _run(self.moto, environ))
        with self._serving(call) as replaced:
            answer = replaced or _run(self.moto, environ)
        return self._after(call, answer)

    @contextmanager
    def _serving(self, call: AwsCall) -> Iterator[Answer | None]:
        if call.service == "dynamodb":
            with self.dynamodb.serving(call) as replaced:
                yield replaced
            return
        with self.s3.writing(call) if call.service == "s3" else nullcontext() as conflict:
            if conflict is not None:
                yield conflict
                return
            with self._lock_for(call.service or "moto-api"):
                yield None

    def _after(self, call: AwsCall, answer: Answer) -> Answer:
        status = answer[0]
        if (call.service == "s3" and status == 404 and call.method in ("GET", "HEAD")
                and self.strictness.iam and not self.authorizer.may_list(call)):
            self.authorizer.hid_missing_key(call)
            return error(call, 403, "AccessDenied", "Access Denied")  # S3 hides what you may not list
        return answer

    def _lock_for(self, service: str) -> threading.Lock:
        with self._guard:
            return self._service_locks.setdefault(service, threading.Lock())

    def _reset(self) -> None:
        self.authorizer.denials.clear()
        self.authorizer.restore()
        self.dynamodb.reset()
        self.dynamodb.hold_seconds = self.strictness.transaction_hold_seconds
        self.throughput.reset()
        self.s3.reset(self.strictness.conditional_write_hold_seconds)

    def _control(self, environ: dict[str, Any], path: str) -> tuple[int, list[tuple[str, str]], bytes]:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        request = json.loads(environ["wsgi.input"].read(length) or b"{}") if length else {}
        if path.startswith("/_local/credentials/"):  # as ECS's credentials endpoint; ?seconds= a short one
            asked = parse_qs(environ.get("QUERY_STRING", "")).get("seconds", [])
            seconds = float(asked[0]) if asked else ROLE_SESSION_SECONDS
            session = container_credentials(path.rsplit("/", 1)[-1], seconds)
            return 200, [("Content-Type", "application/json")], json.dumps(session).encode()
        if path == "/_local/iam/remove":
            self.authorizer.remove(request["role"], request["action"])
        elif path == "/_local/iam/restore":
            self.authorizer.restore()
        elif path == "/_local/iam/grant":  # a role's policies, as IAM holds them (a rehearsal's roles)
            try:
                statements = [s for document in request["policies"] for s in policy_statements(document)]
            except ValueError as exc:  # loudly: a policy the local IAM would read wrongly
                return 400, [("Content-Type", "text/plain")], str(exc).encode()
            self.authorizer.grant(request["role"], statements)
        elif path == "/_local/snapshot":  # keep the state as it is now (the tests: once provisioned)
            with self._lock_for("moto-api"):
                self._snapshot = Snapshot.take()
        elif path == "/_local/restore":  # /moto-api/reset, then the snapshot's state
            if self._snapshot is None:
                return 409, [("Content-Type", "text/plain")], b"no snapshot: POST /_local/snapshot first"
            with self._lock_for("moto-api"):
                self._reset()
                self._snapshot.restore()
        elif path == "/_local/transactions":  # how long a transaction holds its items, for a test to widen
            self.dynamodb.hold_seconds = float(request["hold_seconds"])
        elif path == "/_local/kinesis":  # per-shard throughput limits, for a test to change (throughput.py)
            self.throughput.configure(request)
        elif path == "/_local/s3/conditional-writes":  # how long a conditional PutObject holds its key
            self.s3.hold_seconds = float(request["hold_seconds"])
        state = {
            "denials": [asdict(denial) for denial in self.authorizer.denials],
            "grants": {role: [asdict(statement) for statement in statements]
                       for role, statements in self.authorizer.granted().items()},
            "transactions": self.dynamodb.transactions, "conflicts": self.dynamodb.conflicts,
            "s3_conflicts": self.s3.conflicts,
            "strictness": asdict(self.strictness), "hold_seconds": self.dynamodb.hold_seconds,
            "kinesis": self.throughput.state(),
            "cpu_seconds": time.process_time(),  # the emulator's own, for benchmarks to charge it
        }
        return 200, [("Content-Type", "application/json")], json.dumps(state).encode()


def _run(app: WsgiApp, environ: dict[str, Any]) -> Answer:
    """moto's whole answer, so the layers can look at it and send it with its length (keep-alive)."""
    started: list[Any] = []

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> None:
        started[:] = [int(status.split()[0]), headers]

    chunks = app(environ, start_response)
    try:
        body = b"".join(chunks)
    finally:
        close = getattr(chunks, "close", None)
        if close:
            close()
    return started[0], list(started[1]), body


def _respond(start_response: Callable[..., Any], answer: Answer) -> list[bytes]:
    status, headers, body = answer
    framing = ("content-length", "transfer-encoding", "connection")
    kept = [(k, v) for k, v in headers if k.lower() not in framing]
    start_response(f"{status} {_REASONS.get(status, 'Status')}", [*kept, ("Content-Length", str(len(body)))])
    return [body]


_REASONS = {200: "OK", 204: "No Content", 206: "Partial Content", 301: "Moved Permanently",
            304: "Not Modified", 307: "Temporary Redirect", 400: "Bad Request", 403: "Forbidden",
            404: "Not Found", 405: "Method Not Allowed", 409: "Conflict", 412: "Precondition Failed",
            416: "Range Not Satisfiable", 500: "Internal Server Error", 501: "Not Implemented",
            503: "Service Unavailable"}
