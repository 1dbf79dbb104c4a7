"""A fix for the emulator only: moto's TransactWriteItems copies every table it touches, whole.

moto deep-copies each table named in a transaction (once per item) so it can roll back, which makes
every write O(table size): 500 events took 26 s, 1,500 took minutes. Real DynamoDB has no such cost.
This wraps the call so it snapshots only the items the transaction names and restores those on
failure, keeping moto's own checks and errors. Installed only by the embedded emulator.
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
    """Replace moto's transaction with the item-snapshot version (idempotent)."""
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
    DynamoDBBackend.transact_write_items = transact_write_items


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
