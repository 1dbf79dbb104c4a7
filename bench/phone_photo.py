"""A 2 MP phone photo made of real photographs, for the capacity model's CPU per event.

Four photographs that scikit-image ships in its wheel (coffee.png, chelsea.png, astronaut.png,
motorcycle_left.png: camera pictures, not drawings) are mirror-tiled at their own resolution into the
quarters of a 1632×1224 frame, so the JPEG holds a photo's detail rather than an upscaled blur, and saved
as a phone saves a picture: JPEG quality 90 with a Display P3 profile and the camera's Exif (an iPhone's
tags, turned by orientation 6). The benchmark corpus, when it lands, replaces this with whole photos.
"""

from __future__ import annotations

import functools
import io
from pathlib import Path

import numpy as np
from PIL import ExifTags, Image

from tests.factories import PHONE_EXIF, display_p3

SIZE = (1632, 1224)  # 2 MP, 4:3 as phones shoot
PHOTOS = ("coffee", "chelsea", "astronaut", "motorcycle_left")


def phone_photo(size: tuple[int, int] = SIZE, variant: int = 0) -> bytes:
    """The JPEG; `variant` marks a corner differently, so each copy has its own content keys."""
    frame = _mosaic(size).copy()
    frame[: 4, : 4] = (variant % 256, variant // 256 % 256, 255)
    exif = Image.Exif()
    for name, value in PHONE_EXIF.items():
        tag = ExifTags.Base[name]
        (exif.get_ifd(ExifTags.IFD.Exif) if tag >= 0x8000 else exif)[tag] = value
    buffer = io.BytesIO()
    Image.fromarray(frame).save(buffer, "JPEG", quality=90, exif=exif, icc_profile=display_p3())
    return buffer.getvalue()


@functools.cache
def _mosaic(size: tuple[int, int]) -> np.ndarray:
    import skimage  # the benchmarks' dependency only (requirements/dev.in); its photos are files in its wheel

    folder = Path(skimage.__file__).parent / "data"
    width, height = size
    quarter = (height // 2, width // 2)
    tiles = [_mirror_tiled(np.asarray(Image.open(folder / f"{name}.png").convert("RGB")), quarter)
             for name in PHOTOS]
    top, bottom = np.hstack(tiles[:2]), np.hstack(tiles[2:])
    frame = np.zeros((height, width, 3), np.uint8)
    frame[: quarter[0] * 2, : quarter[1] * 2] = np.vstack([top, bottom])
    return frame


def _mirror_tiled(photo: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """`photo` repeated with every other copy mirrored (no seams), cut to `shape`."""
    rows, columns = -(-shape[0] // photo.shape[0]), -(-shape[1] // photo.shape[1])
    row = np.hstack([photo if c % 2 == 0 else photo[:, ::-1] for c in range(columns)])
    tiled = np.vstack([row if r % 2 == 0 else row[::-1] for r in range(rows)])
    return np.ascontiguousarray(tiled[: shape[0], : shape[1], :3])
