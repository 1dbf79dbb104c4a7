"""Kinesis's size limits, which moto does not enforce: a record's data and partition key together at
most 1 MiB, a PutRecords call at most 500 records and 5 MiB, a partition key 1 to 256 characters."""

from __future__ import annotations

import base64
import binascii
from typing import Any

from local.strict.answers import Answer, error
from local.strict.calls import AwsCall

MAX_RECORD_BYTES = 1024 * 1024
MAX_CALL_BYTES = 5 * 1024 * 1024
MAX_CALL_RECORDS = 500
MAX_PARTITION_KEY_CHARS = 256


def refuse(call: AwsCall) -> Answer | None:
    if call.operation == "PutRecord":
        return _record_problem(call, call.params, "")
    if call.operation != "PutRecords":
        return None
    records = call.params.get("Records", [])
    if len(records) > MAX_CALL_RECORDS:
        return error(call, 400, "ValidationException", "1 validation error detected: Value at 'records' "
                     "failed to satisfy constraint: Member must have length less than or equal to "
                     f"{MAX_CALL_RECORDS}")
    for index, record in enumerate(records):
        if (problem := _record_problem(call, record, f"records.{index + 1}.member.")) is not None:
            return problem
    total = sum(record_size(record) for record in records)
    if total > MAX_CALL_BYTES:
        return error(call, 400, "InvalidArgumentException",
                     f"Records size exceeds 5 MB limit: {total} bytes in one PutRecords request")
    return None


def _record_problem(call: AwsCall, record: dict[str, Any], where: str) -> Answer | None:
    key = str(record.get("PartitionKey", ""))
    if not 1 <= len(key) <= MAX_PARTITION_KEY_CHARS:
        return error(call, 400, "ValidationException", f"1 validation error detected: Value at '{where}"
                     f"partitionKey' failed to satisfy constraint: Member must have length between 1 and "
                     f"{MAX_PARTITION_KEY_CHARS}")
    if record_size(record) > MAX_RECORD_BYTES:
        return error(call, 400, "ValidationException", f"1 validation error detected: Value at '{where}data' "
                     f"failed to satisfy constraint: Member must have length less than or equal to "
                     f"{MAX_RECORD_BYTES - len(key.encode())}")
    return None


def record_size(record: dict[str, Any]) -> int:
    """A record's bytes as Kinesis counts them against its limits: its data decoded, and its partition key."""
    try:
        data = base64.b64decode(str(record.get("Data", "")), validate=True)
    except (binascii.Error, ValueError):
        data = str(record.get("Data", "")).encode()
    return len(data) + len(str(record.get("PartitionKey", "")).encode())
