"""The photos every server in the suite serves: natural photos from scikit-image's sample data, a 19 MB one
and one under 1 KB made from them, and each photo gzip- and deflate-compressed beside it (for the servers that
send it so)."""

from __future__ import annotations

import gzip
import shutil
import zlib
from pathlib import Path

from PIL import Image

PHOTOS = ("rocket.jpg", "chelsea.png")  # a JPEG and a PNG, as the package ships them
LARGE, TINY = "large.png", "tiny.jpg"


def sample_data() -> Path:
    """scikit-image's bundled sample photos (the package is in requirements/dev.in for them)."""
    import skimage.data  # heavy, and only this suite needs it

    return Path(skimage.data.__file__).parent


def write_photos(folder: Path) -> Path:
    """Every file the servers serve, in `folder`."""
    source = sample_data()
    for name in PHOTOS:
        shutil.copyfile(source / name, folder / name)
    with Image.open(source / "astronaut.png") as astronaut:
        # Stored uncompressed, so the file is 19 MB: larger than any read buffer, under MAX_IMAGE_BYTES.
        astronaut.convert("RGB").resize((2520, 2520)).save(folder / LARGE, compress_level=0)
    with Image.open(source / "coffee.png") as coffee:
        coffee.convert("RGB").resize((40, 27)).save(folder / TINY, quality=40, optimize=True)
    for name in (*PHOTOS, LARGE, TINY):
        data = (folder / name).read_bytes()
        (folder / f"{name}.gz").write_bytes(gzip.compress(data))
        (folder / f"{name}.zz").write_bytes(zlib.compress(data))
        shutil.copyfile(folder / name, folder / f"{name}.txt")  # http.server names its type from the suffix
    return folder
