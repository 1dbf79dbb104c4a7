"""Split a list into the runs one AWS call accepts: at most so many items and so many bytes."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import TypeVar

Item = TypeVar("Item")


def runs(
    items: Sequence[Item], size_of: Callable[[Item], int], max_count: int, max_bytes: int
) -> Iterator[list[Item]]:
    """Consecutive runs within both limits; an item larger than max_bytes goes alone (the API judges it)."""
    run: list[Item] = []
    size = 0
    for item in items:
        item_size = size_of(item)
        if run and (len(run) == max_count or size + item_size > max_bytes):
            yield run
            run, size = [], 0
        run.append(item)
        size += item_size
    if run:
        yield run
