"""Fixes for the emulator only: two moto DynamoDB calls cost O(table size) where DynamoDB's don't.

- TransactWriteItems deep-copies each table it names (once per item) so it can roll back: 500 events
  took 26 s, 1,500 took minutes. The wrapper snapshots only the items the transaction names and
  restores those on failure, keeping moto's own checks and errors.
- Query on the table walks and sorts every item of the table to find one partition: the Live page's
  read took 19 ms at 100 events and 221 ms at 2,000. The wrapper hands it that partition alone.

Both rely on the emulator answering one request at a time. Installed only by the embedded emulator.
"""

from __future__ import annotations

import copy
from typing import Any

_Snapshot = tuple[Any, Any, Any, Any]  # table, hash value, range value, item before (or None)


class _NoWholeTableCopies(dict):  # type: ignore[type-arg]
    """moto copies a table only if `name in self.tables`; answering no skips the whole-table copy."""

    def __contains__(self, key: object) -> bool:
        return False


def install() -> None:
    """Install both wrappers (idempotent)."""
    _install_transactions()
    _install_partition_queries()


def _install_partition_queries() -> None:
    from moto.dynamodb.models.table import Table

    original = Table.query
    if getattr(original, "reads_one_partition", False):
        return

    def query(self: Any, hash_key: Any, *args: Any, **kwargs: Any) -> Any:
        index_name = args[6] if len(args) > 6 else kwargs.get("index_name")
        if index_name or not self.range_key_attr:
            return original(self, hash_key, *args, **kwargs)
        partition = list(self.items.get(hash_key, {}).values())
        self.all_items = lambda: partition  # moto's query reads the table through all_items()
        try:
            return original(self, hash_key, *args, **kwargs)
        finally:
            del self.all_items

    query.reads_one_partition = True  # type: ignore[attr-defined]
    setattr(Table, "query", query)  # noqa: B010 - a method replaced on purpose


def _install_transactions() -> None:
    from moto.dynamodb.models import DynamoDBBackend

    original = DynamoDBBackend.transact_write_items
    if getattr(original, "snapshots_items", False):
        return

    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
        saved = [s for s in (_snapshot(self, op) for op in transact_items) if s is not None]
        tables = self.tables
        self.tables = _NoWholeTableCopies(tables)
        try:
            original(self, transact_items)
        except Exception:
            self.tables = tables
            _restore(saved)
            raise
        finally:
            self.tables = tables

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
