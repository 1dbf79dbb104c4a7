"""Probe and thumbnail images with Pillow: one open, JPEG draft decoding, EXIF orientation applied.

Pure functions on bytes, safe from many threads at once: each call opens its own image, and nothing
here changes Pillow's global settings (the pixel limit is ours, checked from the header). Only what
Pillow raises for bad data becomes the image's fault; anything else (MemoryError, our own bugs)
propagates, so the record is retried rather than recorded as a bad image.
"""

from __future__ import annotations

import functools
import io
import re
import struct
import warnings
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from numbers import Real

from PIL import ExifTags, Image, UnidentifiedImageError

from core import formats
from core.errors import ImageError, ImageTooLarge, NotAnImage, UnsupportedImage
from core.pixel_budget import DECODING
from core.settings import Settings

# What Pillow's plugins raise on damaged, cut-short or hostile data (its decoders report OSError;
# header parsers SyntaxError, ValueError, EOFError, struct and zlib errors; tag and palette tables
# IndexError or KeyError). Only Pillow's calls run inside the guard that catches these.
PILLOW_DATA_ERRORS = (OSError, SyntaxError, ValueError, EOFError, struct.error, zlib.error, IndexError,
                      KeyError)
# EXIF orientation -> the transpose that shows the picture upright (1 and unknown values need none).
UPRIGHT = {
    2: Image.Transpose.FLIP_LEFT_RIGHT, 3: Image.Transpose.ROTATE_180, 4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE, 6: Image.Transpose.ROTATE_270, 7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
EXIF_NAMES = ("Make", "Model", "LensMake", "LensModel", "DateTimeOriginal", "DateTime", "ExposureTime",
              "FNumber", "ISOSpeedRatings", "FocalLength", "Orientation", "Software")
SIXTEEN_BIT = ("I;16", "I;16B", "I;16L", "I;16N", "I")
# Like Pillow's own reducing_gap: the decoder's cheap 1/2..1/8 scaling stops at 1.5× the target at
# least, and LANCZOS does the rest. 2× cost 12 MP JPEGs 30% more time for no difference visible at
# thumbnail size (bench/RESULTS.md).
DRAFT_GAP = 1.5


@dataclass(frozen=True)
class ImageInfo:
    format: str
    extension: str
    content_type: str
    width: int  # as displayed, after EXIF orientation
    height: int
    mode: str
    frame_count: int
    exif: dict[str, str]


@dataclass(frozen=True)
class Thumbnail:
    data: bytes
    width: int
    height: int
    content_type: str = "image/webp"


def process_image(data: bytes, settings: Settings) -> tuple[ImageInfo, Thumbnail]:
    """Probe and thumbnail with one open and one decode, scaled down by the JPEG decoder itself."""
    size = settings.thumbnail_size
    with _opened(data, settings) as image:
        with _bad_data(data, settings):
            source_size, frames = image.size, _frame_count(image)  # draft changes the size
            icc = image.info.get("icc_profile") if image.mode in ("RGB", "RGBA") else None
        pixels = source_size[0] * source_size[1]
        with DECODING.hold(pixels, settings.max_image_pixels), _bad_data(data, settings):
            small = _decoded(image, size)
            small.thumbnail((size, size), Image.Resampling.LANCZOS)
        exif = _exif(image)  # after decoding: a PNG's eXIf may follow its pixels
        upright = UPRIGHT.get(_orientation(exif))
        with _bad_data(data, settings):
            small = small.transpose(upright) if upright else small
            thumbnail = Thumbnail(_webp(small, icc), small.width, small.height)
        return _info(image, source_size, frames, exif), thumbnail


@contextmanager
def _opened(data: bytes, settings: Settings) -> Iterator[Image.Image]:
    """The image, opened by one of the accepted formats' plugins, its limits checked."""
    _check_bytes(data, settings)
    _silence_bomb_warnings()
    with _bad_data(data, settings):
        image = Image.open(io.BytesIO(data), formats=formats.PILLOW_OPENERS)
    with image:
        _check_pixels(image.size, settings)
        yield image


@contextmanager
def _bad_data(data: bytes, settings: Settings) -> Iterator[None]:
    """Pillow's errors for bad data become our ImageErrors, with a reason; nothing else is caught."""
    try:
        yield
    except Image.DecompressionBombError as exc:  # Pillow's own ceiling, above twice its global limit
        raise _too_many_pixels(_pixels_in(str(exc)), settings) from exc
    except UnidentifiedImageError:
        raise _unidentified(data) from None
    except PILLOW_DATA_ERRORS as exc:
        raise UnsupportedImage(f"The image cannot be decoded: damaged, cut short or an unusual variant "
                               f"({type(exc).__name__}: {exc})") from exc


@functools.cache
def _silence_bomb_warnings() -> None:
    """Once per process: our own limit refuses big images with a reason; Pillow's warning is noise."""
    warnings.filterwarnings("ignore", category=Image.DecompressionBombWarning)


def _check_bytes(data: bytes, settings: Settings) -> None:
    if not data:
        raise NotAnImage("The file is empty (0 bytes), not an image")
    if len(data) > settings.max_image_bytes:
        raise ImageTooLarge(f"Image is {_amount(len(data), 2**20, 'MB', 'bytes')}; the limit is "
                            f"{_amount(settings.max_image_bytes, 2**20, 'MB', 'bytes')} (MAX_IMAGE_BYTES)")


def _check_pixels(size: tuple[int, int], settings: Settings) -> None:
    width, height = size
    if width * height > settings.max_image_pixels:
        raise _too_many_pixels(width * height, settings, f"{width}×{height} = ")


def _too_many_pixels(pixels: int | None, settings: Settings, dimensions: str = "") -> ImageTooLarge:
    found = f"{dimensions}{_amount(pixels, 10**6, 'MP', 'pixels')}" if pixels else "too large to decode"
    return ImageTooLarge(f"Image is {found}; the limit is "
                         f"{_amount(settings.max_image_pixels, 10**6, 'MP', 'pixels')} (MAX_IMAGE_PIXELS)")


def _pixels_in(message: str) -> int | None:
    """The pixel count in Pillow's bomb message, only to tell the person how big the image was."""
    found = re.search(r"\((\d+) pixels\)", message)
    return int(found[1]) if found else None


def _amount(count: int, unit: int, unit_name: str, small_name: str) -> str:
    """'120 MP', '20.5 MB'; below one unit the plain count, so small limits still read right."""
    if count < unit:
        return f"{count:,} {small_name}"
    return f"{count / unit:,.1f}".removesuffix(".0") + f" {unit_name}"


def _unidentified(data: bytes) -> ImageError:
    accepted = formats.sniff(data)
    if accepted:
        return UnsupportedImage(
            f"The {accepted.name} file is damaged or cut short: its header cannot be read"
        )
    refused = formats.sniff_refused(data)
    if refused:
        return UnsupportedImage(f"{refused.name} images are not supported; send {formats.NAMES}")
    return NotAnImage(f"Not an image we read ({formats.NAMES}); is it text, HTML or SVG?")


def _frame_count(image: Image.Image) -> int:
    # An MPO is one photo plus previews or depth and gain maps, not an animation.
    return 1 if image.format == "MPO" else int(getattr(image, "n_frames", 1))


def _decoded(image: Image.Image, size: int) -> Image.Image:
    """The first frame, decoded at 1/2..1/8 scale where the format allows (JPEG), in RGB or RGBA."""
    width, height = image.size
    scale = DRAFT_GAP * min(1.0, size / max(width, height))
    # The request is in stored axes, like the scale it sets, so an EXIF rotation applied later needs no swap.
    image.draft(None, (max(1, int(width * scale)), max(1, int(height * scale))))
    if image.mode in SIXTEEN_BIT:  # convert("L") would clip every sample above 255 to white
        return image.convert("I").point(lambda value: value / 256).convert("L")
    target = "RGBA" if image.has_transparency_data else "RGB"
    return image if image.mode == target else image.convert(target)


def _exif(image: Image.Image) -> Image.Exif:
    try:
        return image.getexif()
    except PILLOW_DATA_ERRORS:  # unreadable EXIF must not sink an otherwise good image
        return Image.Exif()


def _orientation(exif: Image.Exif) -> int:
    value = exif.get(ExifTags.Base.Orientation, 1)
    return value if isinstance(value, int) else 1


def _info(image: Image.Image, size: tuple[int, int], frames: int, exif: Image.Exif) -> ImageInfo:
    kind = formats.by_pillow(str(image.format))
    width, height = size[::-1] if _orientation(exif) in (5, 6, 7, 8) else size
    return ImageInfo(str(image.format), kind.extension, kind.content_type, width, height, image.mode, frames,
                     _summary(exif))


def _summary(exif: Image.Exif) -> dict[str, str]:
    try:
        tags = [*exif.items(), *exif.get_ifd(ExifTags.IFD.Exif).items()]
    except PILLOW_DATA_ERRORS:  # as above: the summary is a courtesy, never a reason to refuse
        return {}
    named = {ExifTags.TAGS.get(tag, str(tag)): value for tag, value in tags}
    texts = {name: _text(name, named[name]) for name in EXIF_NAMES if name in named}
    return {name: text for name, text in texts.items() if text}


def _text(name: str, value: object) -> str:
    if name == "ExposureTime" and isinstance(value, Real) and 0 < float(value) < 1:
        return f"1/{round(1 / float(value))} s"  # how photographers read shutter speeds
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    return "".join(c for c in str(value) if c.isprintable()).strip()[:200]


def _webp(image: Image.Image, icc_profile: bytes | None) -> bytes:
    buffer = io.BytesIO()
    # The source's profile only describes RGB samples we did not convert (wide-gamut phone photos).
    # method 2 of 0..6: a thumbnail's few KB gain little from slower compression (4 took 3× as long).
    image.save(buffer, "WEBP", quality=80, method=2, icc_profile=icc_profile)
    return buffer.getvalue()
