"""Fixes for the emulator only: two moto DynamoDB calls cost O(table size) where DynamoDB's don't, and
one limit is moto's own.

- TransactWriteItems deep-copies each table it names (once per item) so it can roll back: 500 events
  took 26 s, 1,500 took minutes. The wrapper snapshots only the items the transaction names and
  restores those on failure, keeping moto's own checks and errors.
- Query on the table walks and sorts every item of the table to find one partition: the Live page's
  read took 19 ms at 100 events and 221 ms at 2,000. The wrapper hands it that partition alone.
- TransactWriteItems takes up to 100 items in DynamoDB (since September 2022); moto still refuses more
  than 25, which would fail the aggregator's transactions here and nowhere else.

The first two act on the calling thread only, so concurrent requests (local/strict/dynamodb.py locks each
table for writes) see moto as it is. Installed only by the embedded emulator.
"""

from __future__ import annotations

import copy
import threading
from types import SimpleNamespace
from typing import Any

_Snapshot = tuple[Any, Any, Any, Any]  # table, hash value, range value, item before (or None)
_this_thread = threading.local()  # .transacting: bool; .partition: (table, its items)
_installed = threading.Lock()


def install() -> None:
    """Install the wrappers and the limit (idempotent)."""
    with _installed:
        _install_transactions()
        _install_partition_queries()
        _install_transaction_limit()


DYNAMODB_TRANSACTION_ITEMS = 100


def _install_transaction_limit() -> None:
    from moto.dynamodb import responses

    responses.TRANSACTION_MAX_ITEMS = DYNAMODB_TRANSACTION_ITEMS


def _install_partition_queries() -> None:
    from moto.dynamodb.models.table import Table

    original_query, original_all_items = Table.query, Table.all_items
    if getattr(original_query, "reads_one_partition", False):
        return

    def all_items(self: Any) -> Any:
        partition = getattr(_this_thread, "partition", None)
        if partition is not None and partition[0] is self:
            return partition[1]
        return original_all_items(self)

    def query(self: Any, hash_key: Any, *args: Any, **kwargs: Any) -> Any:
        index_name = args[6] if len(args) > 6 else kwargs.get("index_name")
        if index_name or not self.range_key_attr:
            return original_query(self, hash_key, *args, **kwargs)
        # moto's query reads the table through all_items(); on this thread, that is now one partition.
        _this_thread.partition = (self, list(self.items.get(hash_key, {}).values()))
        try:
            return original_query(self, hash_key, *args, **kwargs)
        finally:
            _this_thread.partition = None

    query.reads_one_partition = True  # type: ignore[attr-defined]
    setattr(Table, "all_items", all_items)  # noqa: B010 - methods replaced on purpose
    setattr(Table, "query", query)  # noqa: B010


def _install_transactions() -> None:
    from moto.dynamodb import models
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.models.table import Table

    original = DynamoDBBackend.transact_write_items
    if getattr(original, "snapshots_items", False):
        return

    def deepcopy(value: Any, memo: Any = None) -> Any:
        if getattr(_this_thread, "transacting", False) and isinstance(value, Table):
            return value  # the whole-table backup: the wrapper keeps the items the transaction names
        return copy.deepcopy(value, memo)

    models.copy = SimpleNamespace(deepcopy=deepcopy, copy=copy.copy)  # type: ignore[assignment,attr-defined]

    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
        saved = [s for s in (_snapshot(self, op) for op in transact_items) if s is not None]
        _this_thread.transacting = True
        try:
            original(self, transact_items)
        except Exception:
            _restore(saved)
            raise
        finally:
            _this_thread.transacting = False

    transact_write_items.snapshots_items = True  # type: ignore[attr-defined]
    setattr(DynamoDBBackend, "transact_write_items", transact_write_items)  # noqa: B010


def _snapshot(backend: Any, operation: dict[str, Any]) -> _Snapshot | None:
    """The named item as it is now; None when the operation is malformed (moto will say why)."""
    try:
        _, body = next(iter(operation.items()))
        table = backend.get_table(body["TableName"])
        key = body.get("Key") or {
            name: body["Item"][name]
            for name in (table.hash_key_attr, table.range_key_attr) if name
        }
        hash_value, range_value = backend.get_keys_value(table, key)
        return table, hash_value, range_value, copy.deepcopy(table.get_item(hash_value, range_value))
    except Exception:  # moto raises its own, better error for the same operation
        return None


def _restore(saved: list[_Snapshot]) -> None:
    for table, hash_value, range_value, before in reversed(saved):
        table.delete_item(hash_value, range_value)
        if before is not None:
            table.put_item(before.to_json()["Attributes"])
