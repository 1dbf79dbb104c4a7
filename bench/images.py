"""Photo-like benchmark images: noise and gradients compress like photographs; flat colour doesn't."""

from __future__ import annotations

import io

from PIL import Image


def photo(size: tuple[int, int]) -> Image.Image:
    red = Image.effect_noise(size, 48).point(lambda v: v // 2 + 60)
    green = Image.linear_gradient("L").resize(size)
    blue = Image.radial_gradient("L").resize(size)
    return Image.merge("RGB", (red, green, blue))


def encoded(size: tuple[int, int], fmt: str) -> bytes:
    buffer = io.BytesIO()
    options = {"quality": 90} if fmt == "JPEG" else {}
    photo(size).save(buffer, fmt, **options)
    return buffer.getvalue()


TWELVE_MP = (4000, 3000)
TWO_MP = (1632, 1224)
