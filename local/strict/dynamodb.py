"""DynamoDB served concurrently, consistently, and with DynamoDB's transaction conflicts.

moto's DynamoDB is not safe under concurrent writes (its tables are plain dicts: counters lose
updates, iterations fail with "dictionary changed size"). A readers-writer lock per table is the
narrowest lock that keeps it right: reads of a table run side by side, writes to it one at a time,
and every other table and service is untouched.

A serialized emulator can never show what DynamoDB does to overlapping transactions, so this layer
models their duration: a TransactWriteItems holds its items for `hold_seconds` (DynamoDB's two-phase
commit) before it applies. Another transaction touching one of them meanwhile is cancelled with
TransactionConflict, and a single-item write to one is refused with TransactionConflictException.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

from local.strict import dynamodb_limits
from local.strict.answers import Answer, error
from local.strict.calls import AwsCall

ItemKey = tuple[str, str]  # (table, the item's key attributes as canonical JSON)
WRITES = {"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems", "CreateTable",
          "DeleteTable", "UpdateTable", "UpdateTimeToLive", "TagResource"}
_CATALOG = "*"  # the lock for calls on no table in particular (ListTables, CreateTable…)


class ReadersWriterLock:
    """Many readers or one writer; a waiting writer stops new readers, so writes never starve."""

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._readers = 0
        self._writing = False
        self._writers_waiting = 0

    @contextmanager
    def reading(self) -> Iterator[None]:
        with self._changed:
            self._changed.wait_for(lambda: not self._writing and not self._writers_waiting)
            self._readers += 1
        try:
            yield
        finally:
            with self._changed:
                self._readers -= 1
                self._changed.notify_all()

    @contextmanager
    def writing(self) -> Iterator[None]:
        with self._changed:
            self._writers_waiting += 1
            self._changed.wait_for(lambda: not self._writing and not self._readers)
            self._writers_waiting -= 1
            self._writing = True
        try:
            yield
        finally:
            with self._changed:
                self._writing = False
                self._changed.notify_all()


class DynamoDBLayer:
    def __init__(self, key_schema: Any, hold_seconds: float) -> None:
        self._key_schema = key_schema  # table name -> (hash attribute, range attribute or None)
        self.hold_seconds = hold_seconds
        self._locks: dict[str, ReadersWriterLock] = {}
        self._held: set[ItemKey] = set()  # items of transactions in progress
        self._guard = threading.Lock()
        self.transactions = 0
        self.conflicts = 0

    def reset(self) -> None:
        with self._guard:
            self.transactions = self.conflicts = 0

    def refuse(self, call: AwsCall) -> Answer | None:
        """DynamoDB's answer to a call over its limits, or to a write that touches an item a transaction
        holds; else None."""
        if (over := dynamodb_limits.refuse(call)) is not None:
            return over
        if call.operation not in ("PutItem", "UpdateItem", "DeleteItem"):
            return None
        key = self._item_key(call.params.get("TableName", ""), call.params)
        with self._guard:
            busy = key in self._held
            self.conflicts += busy
        if busy:
            return error(call, 400, "TransactionConflictException", "Transaction is ongoing for the item")
        return None

    @contextmanager
    def serving(self, call: AwsCall) -> Iterator[Answer | None]:
        """Around moto's handling of `call`: its tables locked, its transaction's items held.

        Yields an answer to send instead of moto's (a cancelled transaction), or None.
        """
        if call.operation == "TransactWriteItems":
            keys = [self._transact_key(item) for item in call.params.get("TransactItems", [])]
            with self._holding(call, keys) as cancelled:
                if cancelled is not None:
                    yield cancelled
                    return
                time.sleep(self.hold_seconds)  # DynamoDB's prepare phase, during which others conflict
                with self._tables(call):
                    yield None
            return
        with self._tables(call):
            yield None

    @contextmanager
    def _holding(self, call: AwsCall, keys: list[ItemKey | None]) -> Iterator[Answer | None]:
        with self._guard:
            self.transactions += 1
            overlapping = [key is not None and key in self._held for key in keys]
            if any(overlapping):
                self.conflicts += 1
            else:
                self._held.update(key for key in keys if key is not None)
        if any(overlapping):
            yield _cancelled(call, overlapping)
            return
        try:
            yield None
        finally:
            with self._guard:
                self._held.difference_update(key for key in keys if key is not None)

    @contextmanager
    def _tables(self, call: AwsCall) -> Iterator[None]:
        names = sorted(_tables_of(call)) or [_CATALOG]
        write = call.operation in WRITES
        with ExitStack() as stack:
            for name in names:  # in name order, so two multi-table calls cannot deadlock
                lock = self._lock_for(name)
                stack.enter_context(lock.writing() if write else lock.reading())
            yield

    def _lock_for(self, name: str) -> ReadersWriterLock:
        with self._guard:
            return self._locks.setdefault(name, ReadersWriterLock())

    def _transact_key(self, item: dict[str, Any]) -> ItemKey | None:
        for body in item.values():
            return self._item_key(body.get("TableName", ""), body)
        return None

    def _item_key(self, table: str, body: dict[str, Any]) -> ItemKey | None:
        attributes = body.get("Key") or body.get("Item") or {}
        schema = self._key_schema(table)
        if schema is None:
            return None  # moto will say the table does not exist
        key = {name: attributes.get(name) for name in schema if name}
        return table, json.dumps(key, sort_keys=True)


def _tables_of(call: AwsCall) -> set[str]:
    params = call.params
    names = {params["TableName"]} if isinstance(params.get("TableName"), str) else set()
    names |= set(params.get("RequestItems", {}))
    stream = params.get("StreamArn") or str(params.get("ShardIterator", "")).split("|", 1)[0]
    if isinstance(stream, str) and ":table/" in stream:  # DynamoDB Streams: read beside the table's writes
        names.add(stream.split(":table/", 1)[1].split("/", 1)[0])
    for item in params.get("TransactItems", []):
        names |= {body.get("TableName", "") for body in item.values() if isinstance(body, dict)}
    return {name for name in names if name}


def _cancelled(call: AwsCall, overlapping: list[bool]) -> Answer:
    reasons = [{"Code": "TransactionConflict", "Message": "Transaction is ongoing for the item"}
               if busy else {"Code": "None"} for busy in overlapping]
    codes = ", ".join(reason["Code"] for reason in reasons)
    message = f"Transaction cancelled, please refer cancellation reasons for specific reasons [{codes}]"
    return error(call, 400, "TransactionCanceledException", message, CancellationReasons=reasons)
