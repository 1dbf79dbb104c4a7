"""Where an event came from, and the id that makes a redelivery change nothing."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from core import clock
from core.models import EventSource


@dataclass(frozen=True)
class Origin:
    """Where an event came from; its id makes a redelivery change nothing."""

    event_id: str
    received_at: datetime
    source: EventSource
    shard_id: str | None = None
    sequence_number: str | None = None
    request_id: str | None = None
    filename: str | None = None
    read_as: str | None = None  # how a stream record that was not plain JSON was read (core/wire.py)


def stream_event_id(shard_id: str, sequence_number: str) -> str:
    return hashlib.sha256(f"{shard_id}:{sequence_number}".encode()).hexdigest()[:32]


def upload_event_id(data: bytes, received_at: datetime) -> str:
    digest = hashlib.sha256(data)
    digest.update(clock.iso(received_at).encode())
    return digest.hexdigest()[:32]
