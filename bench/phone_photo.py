"""The capacity model's event photo: the benchmark corpus's 2 MP Display P3 JPEG (bench/corpus.py), with
the corpus's phone Exif, in as many copies as events, each with bytes of its own (so its own content keys).
"""

from __future__ import annotations

import functools
import io

from PIL import Image

from bench import corpus
from tests.factories import display_p3

SIZE = corpus.SIZES["2 MP"]  # as stored: landscape, shown portrait by its Exif orientation


def phone_photo(size: tuple[int, int] = SIZE, variant: int = 0) -> bytes:
    """The JPEG (q90, as the corpus's); `variant` marks a corner pixel, so each copy has its own bytes."""
    picture = _picture(size).copy()
    picture.putpixel((0, 0), (variant % 256, variant // 256 % 256, 255))
    buffer = io.BytesIO()
    picture.save(buffer, "JPEG", quality=90, exif=corpus.phone_exif().tobytes(), icc_profile=display_p3())
    return buffer.getvalue()


@functools.cache
def _picture(size: tuple[int, int]) -> Image.Image:
    return corpus.stored_in_p3(size[::-1], corpus.source_photos())
