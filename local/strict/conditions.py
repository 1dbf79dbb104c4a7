"""IAM policy conditions, evaluated for the operators and keys the template's policies use.

A policy using any other operator or key is refused when it is read (ValueError), never half-read: an
Allow whose condition went unevaluated would grant more than AWS does, a Deny's would deny less.
Each call's context holds what AWS would put in it for a role calling directly: `aws:SecureTransport`
(false over the emulator's plain HTTP), `aws:RequestedRegion`; `kms:ViaService`, `aws:SourceAccount`
and `aws:SourceArn` are absent, as AWS sets them only when a service calls on the role's behalf.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

KEYS = ("aws:SecureTransport", "aws:RequestedRegion", "aws:SourceAccount", "aws:SourceArn", "kms:ViaService")


@dataclass(frozen=True)
class Condition:
    """One key's test: the key's value must pass `operator` against one of `values`."""

    operator: str
    key: str
    values: tuple[str, ...]


def _equals(value: str, wanted: str) -> bool:
    return value == wanted


def _like(value: str, wanted: str) -> bool:
    return fnmatch.fnmatchcase(value, wanted)


def _bool(value: str, wanted: str) -> bool:
    return value.lower() == wanted.lower()


# operator -> (the test of one value, whether the operator is negated: true when the key is absent)
_OPERATORS: dict[str, tuple[Callable[[str, str], bool], bool]] = {
    "StringEquals": (_equals, False), "StringNotEquals": (_equals, True), "StringLike": (_like, False),
    "StringNotLike": (_like, True), "ArnEquals": (_like, False), "ArnLike": (_like, False),
    "ArnNotEquals": (_like, True), "ArnNotLike": (_like, True), "Bool": (_bool, False),
}
_CANONICAL = {key.lower(): key for key in KEYS}  # IAM's condition keys are case-insensitive


def parse(block: dict[str, Any] | None) -> tuple[Condition, ...]:
    """A statement's Condition block; ValueError naming any operator or key not evaluated here."""
    conditions = []
    for operator, tests in (block or {}).items():
        if operator not in _OPERATORS:
            raise ValueError(f"the local IAM does not evaluate the condition operator {operator} "
                             f"(it evaluates {', '.join(_OPERATORS)}): {block}")
        for key, values in tests.items():
            if key.lower() not in _CANONICAL:
                raise ValueError(f"the local IAM does not evaluate the condition key {key} "
                                 f"(it evaluates {', '.join(KEYS)}): {block}")
            listed = values if isinstance(values, list) else [values]
            conditions.append(Condition(operator, _CANONICAL[key.lower()], tuple(_text(v) for v in listed)))
    return tuple(conditions)


def holds(conditions: tuple[Condition, ...], context: dict[str, str]) -> bool:
    """Whether every condition holds in `context` (each key's values: any one passes)."""
    return all(_holds(condition, context) for condition in conditions)


def _holds(condition: Condition, context: dict[str, str]) -> bool:
    test, negated = _OPERATORS[condition.operator]
    value = context.get(condition.key)
    if value is None:
        return negated
    passed = any(test(value, wanted) for wanted in condition.values)
    return not passed if negated else passed


def _text(value: Any) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)
