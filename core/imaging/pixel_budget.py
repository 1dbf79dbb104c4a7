"""A process-wide cap on pixels being decoded at once, so concurrent workers cannot exhaust memory.

Eight workers each decoding an image just under MAX_IMAGE_PIXELS peaked at ~1.5 GB, over the
function's 1,024 MB. With the cap, big images take turns while small ones still overlap. The dashboard's
uploads share the same cap: every session's script runs on its own thread of one server process.

Each thread's last hold is remembered (when it asked, how long it waited, how long it held the budget),
so the consumer's metrics can report the decode-and-resize time without reaching into the imaging code.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass


@dataclass(frozen=True)
class Hold:
    """One decode's turn: when it asked (time.perf_counter()), seconds it waited, seconds it held."""

    asked: float
    waited: float
    held: float


class PixelBudget:
    """Admits decodes while their pixels fit `limit` in total; one decode is always admitted."""

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._in_use = 0
        self._last = threading.local()

    @contextmanager
    def hold(self, pixels: int, limit: int) -> Iterator[None]:
        asked = time.perf_counter()
        with self._changed:
            self._changed.wait_for(lambda: self._in_use == 0 or self._in_use + pixels <= limit)
            self._in_use += pixels
        admitted = time.perf_counter()
        try:
            yield
        finally:
            with self._changed:
                self._in_use -= pixels
                self._changed.notify_all()
            self._last.hold = Hold(asked, admitted - asked, time.perf_counter() - admitted)

    def last_hold(self) -> Hold | None:
        """This thread's most recent hold, if it has held the budget at all."""
        hold: Hold | None = getattr(self._last, "hold", None)
        return hold


DECODING = PixelBudget()  # shared by every thread of the process: the memory it protects is shared too
