"""DynamoDB's typed attribute values from plain Python values and back: the one way the store builds and
reads them (keys, items, expression values), so no module spells out {"S": …} by hand."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

Item = dict[str, Any]  # attribute name -> typed value, as the low-level client sends and returns them

_TO = TypeSerializer()
_FROM = TypeDeserializer()


def typed(values: Mapping[str, Any]) -> Item:
    """{"PK": "E#1", "count": 3} -> {"PK": {"S": "E#1"}, "count": {"N": "3"}}."""
    return {name: _TO.serialize(value) for name, value in values.items()}


def plain(item: Mapping[str, Any], leaving_out: Iterable[str] = ()) -> dict[str, Any]:
    """The item's values as Python values (numbers as Decimal), without the attributes `leaving_out`."""
    skipped = set(leaving_out)
    return {name: _FROM.deserialize(value) for name, value in item.items() if name not in skipped}


def values(**named: Any) -> Item:
    """ExpressionAttributeValues: values(pk="E#1") -> {":pk": {"S": "E#1"}}."""
    return {f":{name}": _TO.serialize(value) for name, value in named.items()}


def text(item: Mapping[str, Any], name: str) -> str:
    """A string attribute's value."""
    return str(_FROM.deserialize(item[name]))


def number(item: Mapping[str, Any], name: str, default: int = 0) -> int:
    """A whole-number attribute's value, `default` when the item does not have it."""
    return int(_FROM.deserialize(item[name])) if name in item else default
