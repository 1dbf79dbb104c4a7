"""Handlers for the local event source's tests, imported by name inside the function's own process
(`handler="tests.event_source_handlers.…"`): the real consumer, made to misbehave on cue."""

from __future__ import annotations

import base64
import time
from typing import Any

from lambda_consumer import handler as consumer


def _payloads(event: dict[str, Any]) -> list[bytes]:
    return [base64.b64decode(record["kinesis"]["data"]) for record in event.get("Records", [])]


def sleepy(event: dict[str, Any], context: Any) -> Any:
    """Runs past any timeout when a record says `sleep`; otherwise the real consumer."""
    if b"sleep" in _payloads(event):
        time.sleep(3600)
    return consumer.handler(event, context)


def poisoned(event: dict[str, Any], context: Any) -> Any:
    """Fails the whole invocation while a record says `poison`; otherwise the real consumer."""
    if b"poison" in _payloads(event):
        raise RuntimeError("a poison record in this batch")
    return consumer.handler(event, context)


def never_done(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Reports every record for retry, every time."""
    sequences = [record["kinesis"]["sequenceNumber"] for record in event.get("Records", [])]
    return {"batchItemFailures": [{"itemIdentifier": sequence} for sequence in sequences]}


_failed_once: set[str] = set()


def flaky_writes(event: dict[str, Any], context: Any) -> Any:
    """The real consumer, whose store write of a record described `flaky` fails (throttled) once."""
    _fail_writes(event, "flaky", times=1)
    return consumer.handler(event, context)


def stuck_writes(event: dict[str, Any], context: Any) -> Any:
    """The real consumer, whose store write of a record described `stuck` always fails (throttled)."""
    _fail_writes(event, "stuck", times=1_000)
    return consumer.handler(event, context)


def _fail_writes(event: dict[str, Any], description: str, times: int) -> None:
    from core.store.table import UNPROCESSED_ATTEMPTS
    from tests.awscalls import ThrottleWritesOf
    from tests.factories import stream_origin

    for record in event.get("Records", []):
        kinesis = record["kinesis"]
        if f'"Description": "{description}"'.encode() not in base64.b64decode(kinesis["data"]):
            continue
        origin = stream_origin(kinesis["sequenceNumber"], shard=record["eventID"].partition(":")[0])
        if origin.event_id not in _failed_once:
            _failed_once.add(origin.event_id)
            ThrottleWritesOf(consumer.aws_clients(), origin.event_id, calls=times * UNPROCESSED_ATTEMPTS)
