"""The reliability suite's harness: sizes, a fresh emulator per batch, one delivery of a batch to the
real handler, and what the store holds afterwards (read back from DynamoDB and SQS, never from the code
under test). Images, payloads and events come from tests/factories.py."""

from __future__ import annotations

import ipaddress
import json
import os
import socket
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest
import requests

from core.aws import AwsClients
from core.models import StoredEvent
from core.ops.provision import provision
from core.settings import Settings
from core.store import keys
from core.store.items import from_items
from core.stream.producer import SentRecord
from lambda_consumer import handler as consumer
from tests.factories import event_id, lambda_context, put_and_read_back, stored

SOAK = os.environ.get("SOAK") == "1"
FIGURES: list[str] = []  # measured figures, shown in the run's summary (see conftest.py)


def size(fast: int, soak: int) -> int:
    """`fast` in `make test`; `soak` under `make soak` (SOAK=1)."""
    return soak if SOAK else fast


def report(figure: str) -> None:
    """Keep a measured figure for the summary of a soak run (or any run with -v)."""
    FIGURES.append(figure)


# --- the emulator and the handler -------------------------------------------------------------------


@contextmanager
def fresh_emulator(endpoint: str, settings: Settings) -> Iterator[AwsClients]:
    """The session's emulator, reset, with every resource, and the handler using these clients.

    For module-scoped fixtures that run a whole batch once and keep only plain results.
    """
    requests.post(f"{endpoint}/moto-api/reset", timeout=10).raise_for_status()
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AWS_ENDPOINT_URL", endpoint)
        clients = AwsClients(settings)
        provision(clients)
        patch.setattr(consumer, "aws_clients", lambda: clients)
        yield clients


@dataclass
class Delivery:
    """One batch: what was put on the stream, the Lambda event read back, the handler's answer."""

    sent: list[SentRecord]
    event: dict[str, Any]
    response: Any = None
    stored: list[StoredEvent | None] = field(default_factory=list)


def deliver(clients: AwsClients, payloads: Sequence[bytes]) -> Delivery:
    """Put the payloads on the stream, read them back as one Lambda event, run the real handler once."""
    delivery = Delivery(*put_and_read_back(clients, payloads))
    delivery.response = consumer.handler(delivery.event, lambda_context())
    delivery.stored = [stored(clients, record) for record in delivery.sent]
    return delivery


# --- what the store holds ---------------------------------------------------------------------------


def event_items_in_table(clients: AwsClients) -> list[dict[str, Any]]:
    """Every event's item, as DynamoDB holds it (a Scan: the tests' tables are small)."""
    paginator = clients.dynamodb.get_paginator("scan")
    pages = paginator.paginate(TableName=clients.settings.table_name, FilterExpression="sk = :event",
                               ExpressionAttributeValues={":event": {"S": keys.EVENT_SK}})
    return [item for page in pages for item in page["Items"]]


def event_ids_in_table(clients: AwsClients) -> list[str]:
    """The event id of every event item, read as the store reads it (the item keeps it in its time key)."""
    return [from_items([item]).event_id for item in event_items_in_table(clients)]


def object_keys(clients: AwsClients) -> list[str]:
    paginator = clients.s3.get_paginator("list_objects_v2")
    pages = paginator.paginate(Bucket=clients.settings.bucket_name)
    return sorted(item["Key"] for page in pages for item in page.get("Contents", []))


def failure_messages(clients: AwsClients) -> list[dict[str, Any]]:
    """Every message on the consumer's on-failure queue (drained)."""
    url = clients.sqs.get_queue_url(QueueName=clients.settings.failure_queue_name)["QueueUrl"]
    found: list[dict[str, Any]] = []
    while True:
        answer = clients.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0)
        messages = answer.get("Messages", [])
        if not messages:
            return found
        for message in messages:
            found.append(json.loads(message["Body"]))
            clients.sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])


def failed_over(messages: list[dict[str, Any]], sent: list[SentRecord]) -> set[str]:
    """The event ids of the sent records that on-failure messages name (shard and sequence range)."""
    named: set[str] = set()
    for message in messages:
        batch = message["KinesisBatchInfo"]
        low, high = int(batch["startSequenceNumber"]), int(batch["endSequenceNumber"])
        named |= {
            event_id(r) for r in sent
            if r.shard_id == batch["shardId"] and low <= int(r.sequence_number) <= high
        }
    return named


def percentile(values: Sequence[float], share: float) -> float:
    """Nearest-rank percentile (share in 0..1) of a non-empty sample."""
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(share * len(ordered) + 0.5) - 1))]


# --- the network ------------------------------------------------------------------------------------

RealGetaddrinfo = socket.getaddrinfo


@contextmanager
def fake_dns(names: dict[str, list[str]]) -> Iterator[None]:
    """DNS as a test needs it: `names` resolve to the given addresses; addresses and localhost resolve as
    they do; any other name fails at once, so no test waits on, or leaks to, a real resolver."""

    def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        name = host.decode() if isinstance(host, bytes) else str(host)
        if name in names:
            return [_addrinfo(address, port) for address in names[name]]
        if name == "localhost" or _is_address(name):
            return RealGetaddrinfo(host, port, *args, **kwargs)
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(socket, "getaddrinfo", getaddrinfo)
        yield


def _is_address(name: str) -> bool:
    try:
        ipaddress.ip_address(name.strip("[]").split("%")[0])
    except ValueError:
        return False
    return True


def _addrinfo(address: str, port: Any) -> tuple[Any, ...]:
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    where = (address, int(port or 0), 0, 0) if family == socket.AF_INET6 else (address, int(port or 0))
    return (family, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", where)
