"""The emulator's DynamoDB wrappers (listed, with what each works around, in local/patches.py): two moto
calls cost O(table size) where DynamoDB's don't.

- TransactWriteItems deep-copies each table it names so it can roll back. The wrapper snapshots only the
  items the transaction names and restores those on failure, keeping moto's own checks and errors.
- Query on the table, or on a global secondary index, walks every item of the table. The wrapper hands it
  the one partition: the table's own, or the index partition from a grouping of the table's items by each
  index's key, made on the first index query and then kept up to date by every put, delete and update of
  an item (any other change of the table drops it, to be made again).

The wrappers act on the calling thread only, so concurrent requests (local/strict/dynamodb.py locks each
table for writes) see moto as it is.
"""

from __future__ import annotations

import contextlib
import copy
import threading
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

_Snapshot = tuple[Any, Any, Any, Any]  # table, hash value, range value, item before (or None)
_this_thread = threading.local()  # .transacting: bool; .partition: (table, its items)


def install_partition_queries() -> None:
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
        if index_name:
            partition = _index_partition(self, index_name, hash_key)
        elif self.range_key_attr:
            partition = list(self.items.get(hash_key, {}).values())
        else:
            partition = None
        if partition is None:
            return original_query(self, hash_key, *args, **kwargs)
        # moto's query reads the table through all_items(); on this thread, that is now one partition.
        _this_thread.partition = (self, partition)
        try:
            return original_query(self, hash_key, *args, **kwargs)
        finally:
            _this_thread.partition = None

    query.reads_one_partition = True  # type: ignore[attr-defined]
    setattr(Table, "all_items", all_items)  # noqa: B010 - methods replaced on purpose
    setattr(Table, "query", query)  # noqa: B010


def install_index_groups() -> None:
    """Keep each table's index grouping (if it has one yet) up to date with every item written. Writers hold
    the table's write lock (local/strict/dynamodb.py), so no query reads the grouping while it changes."""
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.models.table import Table as table_class

    if getattr(DynamoDBBackend.update_item, "keeps_indexes", False):
        return
    put, delete, update = table_class.put_item, table_class.delete_item, DynamoDBBackend.update_item

    # moto checks a put's or a delete's condition before it changes anything: a refused one changed nothing.
    def put_item(self: Any, *args: Any, **kwargs: Any) -> Any:
        item = put(self, *args, **kwargs)
        _place(self, item.hash_key, item.range_key, item)
        return item

    def delete_item(self: Any, hash_value: Any, range_value: Any = None) -> Any:
        found = delete(self, hash_value, range_value)
        _place(self, hash_value, range_value, None)
        return found

    def update_item(self: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            table = self.get_table(kwargs.get("table_name", args[0] if args else None))
        except Exception:  # no such table: moto's own error is on its way
            return update(self, *args, **kwargs)
        with _regrouping(table):  # the item changes in place, so it is placed again after
            item = update(self, *args, **kwargs)
            _place(table, item.hash_key, item.range_key, item)
            return item

    update_item.keeps_indexes = True  # type: ignore[attr-defined]
    setattr(table_class, "put_item", put_item)  # noqa: B010
    setattr(table_class, "delete_item", delete_item)  # noqa: B010
    setattr(DynamoDBBackend, "update_item", update_item)  # noqa: B010


class _IndexGroups:
    """A table's items by the hash key of each index keyed on one attribute: index -> value -> items."""

    def __init__(self, table: Any) -> None:
        hashes = {index.name: [k["AttributeName"] for k in index.schema if k["KeyType"] == "HASH"]
                  for index in table.all_indexes()}
        self.attribute = {name: names[0] for name, names in hashes.items() if len(names) == 1}
        self.members: dict[str, dict[Any, dict[Any, Any]]] = {name: {} for name in self.attribute}
        self.placed: dict[Any, dict[str, Any]] = {}  # an item's key -> the value it is under, per index
        for item in _every_item(table):
            self.place((item.hash_key, item.range_key), item)

    def place(self, key: Any, item: Any) -> None:
        """Put the item under its values now (None: it is gone), wherever it was before."""
        for name, value in self.placed.pop(key, {}).items():
            self.members[name][value].pop(key, None)
        if item is None:
            return
        where = {name: value for name, attribute in self.attribute.items()
                 if (value := item.attrs.get(attribute)) is not None}
        for name, value in where.items():
            self.members[name].setdefault(value, {})[key] = item
        if where:
            self.placed[key] = where


@contextlib.contextmanager
def _regrouping(table: Any) -> Iterator[None]:
    """An update that fails part way may have changed its item: the grouping is dropped, to be made again."""
    try:
        yield
    except BaseException:
        table.local_index_groups = None
        raise


def _place(table: Any, hash_value: Any, range_value: Any, item: Any) -> None:
    groups: _IndexGroups | None = getattr(table, "local_index_groups", None)
    if groups is not None:
        groups.place((hash_value, range_value), item)


def _index_partition(table: Any, index_name: str, hash_key: Any) -> list[Any] | None:
    """The items of `table` whose `index_name` key is `hash_key`, or None to let moto look (an index it
    does not know, or one keyed on several attributes)."""
    groups: _IndexGroups | None = getattr(table, "local_index_groups", None)
    if groups is None:  # two readers may both make it: the same grouping, and the last one is kept
        groups = _IndexGroups(table)
        table.local_index_groups = groups
    if index_name not in groups.attribute:
        return None
    return list(groups.members[index_name].get(hash_key, {}).values())


def _every_item(table: Any) -> Iterator[Any]:
    """Every item of the table, whatever partition this thread's query was handed."""
    for partition in table.items.values() if table.range_key_attr else [table.items]:
        yield from partition.values()


def install_transactions() -> None:
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
