"""renditions(): one open and one decode, drafted to the preview; the preview (longest side PREVIEW_SIZE)
and the thumbnail derived from it, both WebP; and the formats table that sniffing, imaging and the upload
widget share."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from PIL import Image, ImageChops, ImageStat
from pydantic import ValidationError

from core.imaging import formats
from core.imaging.renditions import process_image, renditions
from core.settings import Settings
from core.store.keys import preview_key, thumbnail_key
from tests import factories as make

ROOT = Path(__file__).resolve().parents[2]
EVERY_FORMAT = ["JPEG", "PNG", "GIF", "WEBP", "TIFF", "BMP", "AVIF", "HEIC", "JPEG XL"]


def test_a_12_mp_jpeg_gets_a_1280_preview_and_a_320_thumbnail_both_webp() -> None:
    made = renditions(make.jpeg((4000, 3000)), Settings())
    assert (made.info.width, made.info.height, made.info.format) == (4000, 3000, "JPEG")
    for rendition, size in ((made.preview, (1280, 960)), (made.thumbnail, (320, 240))):
        shown = make.decoded(rendition.data)
        assert shown.format == "WEBP" and shown.size == size == (rendition.width, rendition.height)
        assert rendition.content_type == "image/webp"


def test_the_jpeg_is_decoded_once_drafted_to_the_preview_and_the_thumbnail_comes_from_the_preview(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    resampled: list[tuple[int, int]] = []
    opened: list[object] = []
    thumbnail, open_image = Image.Image.thumbnail, Image.open

    def recording_thumbnail(self: Image.Image, *args: Any, **kwargs: Any) -> None:
        resampled.append(self.size)
        thumbnail(self, *args, **kwargs)

    def recording_open(*args: Any, **kwargs: Any) -> Image.Image:
        opened.append(args[0])
        return open_image(*args, **kwargs)

    monkeypatch.setattr(Image.Image, "thumbnail", recording_thumbnail)
    monkeypatch.setattr(Image, "open", recording_open)  # decoding calls Image.open through the module
    renditions(make.jpeg((4000, 3000)), Settings())
    # Half scale from the decoder (the largest of 1/2..1/8 still covering 1280), then the preview's size.
    assert resampled == [(2000, 1500), (1280, 960)] and len(opened) == 1


def test_the_thumbnail_is_the_preview_made_smaller() -> None:
    made = renditions(make.encoded(make.colourful((2000, 1500)), "PNG"), Settings())
    preview = make.decoded(made.preview.data)
    preview.thumbnail((320, 320), Image.Resampling.LANCZOS)
    thumbnail = make.decoded(made.thumbnail.data)
    assert max(ImageStat.Stat(ImageChops.difference(preview, thumbnail)).mean) < 3


def test_small_images_are_not_upscaled_by_either_rendition() -> None:
    made = renditions(make.jpeg((200, 100)), Settings())
    assert (made.preview.width, made.preview.height) == (200, 100)
    assert (made.thumbnail.width, made.thumbnail.height) == (200, 100)


def test_renditions_and_process_image_agree_on_the_info_and_the_thumbnail() -> None:
    data = make.with_exif(make.halves((1600, 800)), Orientation=6, Make="Canon")
    made = renditions(data, Settings())
    info, thumbnail = process_image(data, Settings())
    assert made.info == info
    assert (made.thumbnail.width, made.thumbnail.height) == (thumbnail.width, thumbnail.height)
    difference = ImageChops.difference(make.decoded(made.thumbnail.data), make.decoded(thumbnail.data))
    assert max(ImageStat.Stat(difference).mean) < 3


def test_the_preview_size_comes_from_the_settings_and_is_never_below_the_thumbnail() -> None:
    assert Settings().preview_size == 1280
    assert renditions(make.jpeg((1000, 500)), Settings(preview_size=400)).preview.width == 400
    with pytest.raises(ValidationError, match="PREVIEW_SIZE"):
        Settings(thumbnail_size=320, preview_size=200)


def test_previews_are_content_addressed_beside_thumbnails() -> None:
    assert preview_key("ab" * 32) == f"previews/{'ab' * 32}.webp"
    assert thumbnail_key("ab" * 32) == f"thumbnails/{'ab' * 32}.webp"


# The formats table: sniffing, opening and the upload widget agree


@pytest.mark.parametrize("fmt", EVERY_FORMAT)
def test_every_accepted_format_is_sniffed_opened_and_offered_for_upload(fmt: str) -> None:
    data = make.encoded(make.asymmetric((300, 200)), fmt)
    sniffed = formats.sniff(data)
    made = renditions(data, Settings(thumbnail_size=64, preview_size=128))
    assert sniffed is not None and formats.by_pillow(made.info.format) == sniffed
    assert (made.info.extension, made.info.content_type) == (sniffed.extension, sniffed.content_type)
    assert sniffed.extension in formats.file_extensions() and sniffed.name in formats.names()
    assert (made.preview.width, made.preview.height, made.thumbnail.width) == (128, 85, 64)


@pytest.mark.parametrize(
    ("brands", "name"),
    [(b"heic" + b"\x00" * 4 + b"mif1heic", "HEIC"), (b"mif1" + b"\x00" * 4 + b"mif1heic", "HEIC"),
     (b"mif1" + b"\x00" * 4 + b"avifmif1miaf", "AVIF"), (b"avis" + b"\x00" * 4 + b"avismsf1", "AVIF"),
     (b"msf1" + b"\x00" * 4 + b"msf1hevc", "HEIC"), (b"mif3heic", "HEIC"), (b"mif3avif", "AVIF")],
    ids=["heic", "mif1-heic", "mif1-avif", "avis", "msf1-hevc", "mif3-heic", "mif3-avif"],
)
def test_a_generic_heif_brand_is_told_apart_by_its_compatible_brands(brands: bytes, name: str) -> None:
    header = (8 + len(brands)).to_bytes(4, "big") + b"ftyp" + brands
    sniffed = formats.sniff(header + b"\x00" * 32)
    assert sniffed is not None and sniffed.name == name


def test_a_generic_heif_brand_with_nothing_we_read_is_not_an_image_we_accept() -> None:
    assert formats.sniff(b"\x00\x00\x00\x14ftypmif1\x00\x00\x00\x00mif1" + b"\x00" * 32) is None


def test_importing_imaging_loads_no_codec() -> None:
    """No work at import time: the HEIC and JPEG XL libraries load with the first image, not the module."""
    probe = ("import sys, core.imaging.renditions; "
             "print(sorted(m for m in sys.modules if m.startswith(('pillow_', 'PIL.Avif'))))")
    done = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
