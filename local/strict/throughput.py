"""Kinesis's per-shard throughput, which moto does not enforce: writes of 1 MiB/s and 1,000 records/s per
shard, reads of 5 GetRecords calls/s per shard, each with a token bucket holding one second's worth (the
short burst Kinesis allows); a GetRecords call returns at most 10 MB and takes a Limit of at most 10,000.

A throttled PutRecord is refused whole; a PutRecords call loses only the records whose shard is over its
limit: moto stores the others, and the answer marks the refused ones as Kinesis does (ErrorCode,
ErrorMessage, FailedRecordCount), in their places. The limits are settable through /_local/kinesis."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from io import BytesIO
from typing import Any

from local.strict.answers import Answer, error
from local.strict.calls import AwsCall
from local.strict.kinesis import record_size

THROTTLED = "ProvisionedThroughputExceededException"
MAX_GET_LIMIT = 10_000
MAX_GET_BYTES = 10 * 1024 * 1024


@dataclass(frozen=True)
class Limits:
    """Per shard; `on=False` lets every call through (the emulator as moto alone)."""

    on: bool = True
    records_per_second: float = 1000
    bytes_per_second: float = 1024 * 1024
    reads_per_second: float = 5
    burst_seconds: float = 1.0  # how much unused allowance a shard may save up


@dataclass
class Bucket:
    rate: float
    capacity: float
    level: float
    at: float

    def has(self, amount: float, now: float) -> bool:
        self.level = min(self.capacity, self.level + (now - self.at) * self.rate)
        self.at = now
        return self.level >= amount


class Throughput:
    """The buckets of every shard written or read so far, refilled as time passes."""

    def __init__(self, limits: Limits | None = None) -> None:
        self.limits = limits or Limits()
        self._buckets: dict[tuple[str, str, str], Bucket] = {}
        self._lock = threading.Lock()
        self.throttled = 0  # records and reads refused so far, for the tests to see

    def configure(self, changes: dict[str, Any]) -> None:
        """Change some limits (the others kept); every bucket starts full again."""
        with self._lock:
            self.limits = replace(self.limits, **changes)
            self._buckets.clear()

    def reset(self) -> None:
        with self._lock:
            self.limits, self.throttled = Limits(), 0
            self._buckets.clear()

    def state(self) -> dict[str, Any]:
        return {**asdict(self.limits), "throttled": self.throttled}

    def serve(self, call: AwsCall, environ: dict[str, Any], moto: Callable[[], Answer]) -> Answer:
        """moto's answer to `call`, unless a shard is over its limit (the caller holds Kinesis's lock)."""
        if not self.limits.on:
            return moto()
        if call.operation == "PutRecord":
            return self._put_record(call, moto)
        if call.operation == "PutRecords":
            return self._put_records(call, environ, moto)
        if call.operation == "GetRecords":
            return self._get_records(call, environ, moto)
        return moto()

    def _put_record(self, call: AwsCall, moto: Callable[[], Answer]) -> Answer:
        stream = _stream(call.params)
        if stream is None:
            return moto()
        shard = _shard_for(stream, call.params)
        if shard is not None and not self._admit_write(stream, shard, record_size(call.params)):
            return error(call, 400, THROTTLED, _rate_exceeded(stream, shard))
        return moto()

    def _put_records(self, call: AwsCall, environ: dict[str, Any], moto: Callable[[], Answer]) -> Answer:
        stream, records = _stream(call.params), list(call.params.get("Records", []))
        if stream is None:
            return moto()
        refused: dict[int, str] = {}
        for index, record in enumerate(records):
            shard = _shard_for(stream, record)
            if shard is not None and not self._admit_write(stream, shard, record_size(record)):
                refused[index] = _rate_exceeded(stream, shard)
        if not refused:
            return moto()
        kept = [record for index, record in enumerate(records) if index not in refused]
        stored: list[dict[str, Any]] = []
        if kept:
            answer = moto_with(environ, {**call.params, "Records": kept}, moto)
            if answer[0] != 200:
                return answer
            stored = json.loads(answer[2])["Records"]
        merged, accepted = [], iter(stored)
        for index in range(len(records)):
            merged.append({"ErrorCode": THROTTLED, "ErrorMessage": refused[index]} if index in refused
                          else next(accepted))
        body = json.dumps({"FailedRecordCount": len(refused), "Records": merged}).encode()
        return 200, [("Content-Type", "application/x-amz-json-1.1")], body

    def _get_records(self, call: AwsCall, environ: dict[str, Any], moto: Callable[[], Answer]) -> Answer:
        limit = int(call.params.get("Limit") or MAX_GET_LIMIT)
        if limit > MAX_GET_LIMIT:
            return error(call, 400, "InvalidArgumentException",
                         f"Limit {limit} is above the maximum of {MAX_GET_LIMIT} records for GetRecords")
        position = _iterator_position(str(call.params.get("ShardIterator", "")))
        if position is None:
            return moto()
        stream, shard_id, after = position
        if not self._admit(("read", stream.stream_name, shard_id), 1, self.limits.reads_per_second):
            return error(call, 400, THROTTLED, _rate_exceeded(stream, shard_id))
        fitting = _records_within(stream, shard_id, after, limit, MAX_GET_BYTES)
        if fitting < limit:  # moto would return more than 10 MB: stop where Kinesis stops
            return moto_with(environ, {**call.params, "Limit": max(1, fitting)}, moto)
        return moto()

    def _admit_write(self, stream: Any, shard: str, size: int) -> bool:
        key = stream.stream_name
        records_ok = self._has(("records", key, shard), 1, self.limits.records_per_second)
        bytes_ok = self._has(("bytes", key, shard), size, self.limits.bytes_per_second)
        if not (records_ok and bytes_ok):
            self.throttled += 1
            return False
        self._take(("records", key, shard), 1)
        self._take(("bytes", key, shard), size)
        return True

    def _admit(self, key: tuple[str, str, str], amount: float, rate: float) -> bool:
        if not self._has(key, amount, rate):
            self.throttled += 1
            return False
        self._take(key, amount)
        return True

    def _has(self, key: tuple[str, str, str], amount: float, rate: float) -> bool:
        now = time.monotonic()
        with self._lock:
            capacity = rate * self.limits.burst_seconds
            bucket = self._buckets.setdefault(key, Bucket(rate, capacity, capacity, now))
            # A record bigger than a full bucket still goes through once the bucket is full.
            return bucket.has(min(amount, capacity), now)

    def _take(self, key: tuple[str, str, str], amount: float) -> None:
        with self._lock:
            self._buckets[key].level -= amount


def moto_with(environ: dict[str, Any], params: dict[str, Any], moto: Callable[[], Answer]) -> Answer:
    """moto's answer to the same call with other parameters (moto does not check the signature)."""
    body = json.dumps(params).encode()
    environ["wsgi.input"], environ["CONTENT_LENGTH"] = BytesIO(body), str(len(body))
    environ.pop("wsgi.input_terminated", None)
    return moto()


def _stream(params: dict[str, Any]) -> Any | None:
    """moto's stream the call names (by name or ARN), or None: moto then answers as it would."""
    from moto.kinesis.models import kinesis_backends

    arn = str(params.get("StreamARN") or "")
    name = str(params.get("StreamName") or arn.rpartition("/")[2])
    for account in list(kinesis_backends):
        for region, backend in list(kinesis_backends[account].items()):
            if arn and f":{region}:{account}:" not in arn:
                continue
            if name in backend.streams:
                return backend.streams[name]
    return None


def _shard_for(stream: Any, record: dict[str, Any]) -> str | None:
    explicit = record.get("ExplicitHashKey")
    try:
        point = int(explicit) if explicit else int(
            hashlib.md5(str(record.get("PartitionKey", "")).encode(), usedforsecurity=False).hexdigest(), 16)
    except ValueError:
        return None
    for shard in stream.shards.values():
        if shard.is_open and shard.starting_hash <= point < shard.ending_hash:
            return str(shard.shard_id)
    return None


def _iterator_position(iterator: str) -> tuple[Any, str, int] | None:
    """(stream, shard id, last sequence read) from moto's iterator (base64 of `stream:shard:sequence`)."""
    try:
        name, shard_id, after = base64.b64decode(iterator).decode().split(":")
        stream = _stream({"StreamName": name})
        return (stream, shard_id, int(after)) if stream is not None else None
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return None


def _records_within(stream: Any, shard_id: str, after: int, limit: int, most_bytes: int) -> int:
    """How many of the next `limit` records fit in `most_bytes` (at least one); `limit` when all do."""
    shard = stream.shards.get(shard_id)
    count, total = 0, 0
    for sequence, record in (shard.records.items() if shard is not None else ()):
        if sequence <= after:
            continue
        total += len(base64.b64decode(record.data)) + len(record.partition_key.encode())
        if count == limit or (count and total > most_bytes):
            return count
        count += 1
    return limit


def _rate_exceeded(stream: Any, shard: str) -> str:
    return (f"Rate exceeded for shard {shard} in stream {stream.stream_name} "
            f"under account {stream.account_id}.")
