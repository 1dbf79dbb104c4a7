"""A process-wide cap on pixels being decoded at once, so concurrent workers cannot exhaust memory.

Eight workers each decoding an image just under MAX_IMAGE_PIXELS peaked at ~1.5 GB, over the
function's 1,024 MB. With the cap, big images take turns while small ones still overlap.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager


class PixelBudget:
    """Admits decodes while their pixels fit `limit` in total; one decode is always admitted."""

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._in_use = 0

    @contextmanager
    def hold(self, pixels: int, limit: int) -> Iterator[None]:
        with self._changed:
            self._changed.wait_for(lambda: self._in_use == 0 or self._in_use + pixels <= limit)
            self._in_use += pixels
        try:
            yield
        finally:
            with self._changed:
                self._in_use -= pixels
                self._changed.notify_all()


DECODING = PixelBudget()  # shared by every thread of the process: the memory it protects is shared too
