"""Opening untrusted image bytes: only the accepted formats' decoders, the byte and pixel limits checked
before any pixel is decoded, and Pillow's errors for bad data turned into ours, with a reason.

Safe from many threads at once: each call opens its own image, and nothing here changes Pillow's settings
(the pixel limit is ours, checked from the header). Only what Pillow and its codec plugins raise for bad
data becomes the image's fault; anything else (MemoryError, our own bugs) propagates, so the record is
retried rather than recorded as a bad image.
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import io
import re
import struct
import warnings
import zlib
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext

from PIL import Image, UnidentifiedImageError

from core.errors import ImageError, ImageTooLarge, NotAnImage, UnsupportedImage
from core.imaging import formats
from core.imaging.headers import HeaderUnreadable
from core.imaging.pixel_budget import DECODING
from core.settings import Settings

# What Pillow's plugins raise on damaged, cut-short or hostile data (its decoders report OSError;
# header parsers SyntaxError, ValueError, EOFError, struct and zlib errors; tag and palette tables
# IndexError or KeyError; libheif's and libjxl's bindings RuntimeError). Only calls into Pillow and its
# plugins run inside the guard that catches these.
PILLOW_DATA_ERRORS = (OSError, SyntaxError, ValueError, EOFError, struct.error, zlib.error, IndexError,
                      KeyError, RuntimeError)
SIXTEEN_BIT = ("I;16", "I;16B", "I;16L", "I;16N", "I")


@functools.cache
def register_codecs() -> None:
    """Once per process, on first use: HEIC (pillow-heif) and JPEG XL (pillow-jxl-plugin) join Pillow's own
    formats, where the build has them. Loading them maps ~35 MB of codec libraries, which no import of ours
    should do."""
    if formats.HEIF_CODEC.installed():
        from pillow_heif import register_heif_opener

        # Depth maps, gain maps and embedded thumbnails are never shown: not parsing them is less work and
        # less surface; a thumbnail would also let draft() pick pixels other than the photo's own.
        register_heif_opener(thumbnails=False, depth_images=False, aux_images=False)
        _offer_minimized_heic()
    if formats.JXL_CODEC.installed():
        importlib.import_module(formats.JXL_CODEC.module)  # registers its opener when imported
    warnings.filterwarnings("ignore", category=Image.DecompressionBombWarning)  # our limit gives the reason


def _offer_minimized_heic() -> None:
    """pillow-heif's opener takes a file by its major brand, and does not list mif3 (a minimized HEIF),
    though the libheif it ships reads one: the same opener is also offered what our table calls HEIC."""
    heic = formats.by_pillow("HEIF")
    factory, accepts = Image.OPEN[heic.pillow]
    Image.register_open(heic.pillow, factory,
                        lambda prefix: bool(accepts and accepts(prefix)) or heic.matches(prefix))


@contextmanager
def opened(data: bytes, settings: Settings) -> Iterator[Image.Image]:
    """The image, opened by one of the accepted formats' plugins, its limits checked."""
    _check_bytes(data, settings)
    register_codecs()
    kind = formats.sniff(data)
    if kind and kind.codec and not kind.readable():
        raise UnsupportedImage(_left_out(kind, kind.codec))
    size = _declared_size(kind, data)
    if size:
        _check_pixels(size, settings)
    reason = f"The {kind.name} file cannot be decoded" if kind else None
    with _decoding_at_open(kind, size, settings), bad_data(data, settings, reason):
        image = Image.open(io.BytesIO(data), formats=formats.pillow_openers())
    with image:
        _check_pixels(image.size, settings)  # what the header did not say, or a frame wider than it said
        yield image


def _declared_size(kind: formats.ImageFormat | None, data: bytes) -> tuple[int, int] | None:
    """The size the header declares, or None when it cannot be read and the decoder is left to say why."""
    if kind is None or kind.declared_size is None:
        return None
    try:
        return kind.declared_size(data)
    except HeaderUnreadable as exc:
        if kind.decodes_at_open:  # its size cannot be checked before every pixel is decoded
            raise UnsupportedImage(f"The {kind.name} file is damaged or cut short: {exc}") from None
        return None


def _decoding_at_open(kind: formats.ImageFormat | None, size: tuple[int, int] | None,
                      settings: Settings) -> contextlib.AbstractContextManager[None]:
    """A decoder that decodes every pixel inside Image.open (JPEG XL's) holds its share of the pixel budget
    there, like any other decode."""
    if not (kind and kind.decodes_at_open and size):
        return nullcontext()
    width, height = size
    return DECODING.hold(width * height, settings.max_image_pixels)


@contextmanager
def bad_data(data: bytes, settings: Settings, reason: str | None = None) -> Iterator[None]:
    """Pillow's errors for bad data become our ImageErrors, with a reason; nothing else is caught."""
    try:
        yield
    except Image.DecompressionBombError as exc:  # Pillow's own ceiling, above twice its global limit
        raise _too_many_pixels(_pixels_in(str(exc)), settings) from exc
    except UnidentifiedImageError:
        raise _unidentified(data) from None
    except PILLOW_DATA_ERRORS as exc:
        reason = reason or "The image cannot be decoded"
        raise UnsupportedImage(f"{reason}: damaged, cut short or an unusual variant "
                               f"({type(exc).__name__}: {_first_sentence(exc)})") from exc


def _first_sentence(exc: Exception) -> str:
    """What the decoder said, without the advice some bindings append for their own developers."""
    return str(exc).strip().split("\n")[0].split(". ")[0][:200]


def decoded(image: Image.Image, longest: int, gap: float) -> Image.Image:
    """The first frame, decoded at 1/2..1/8 scale where the format allows (JPEG) but no smaller than `gap`
    times a `longest`-sided fit; in RGB, RGBA, L, LA or CMYK (left for the colour step and its profile)."""
    width, height = image.size
    scale = gap * min(1.0, longest / max(width, height))
    # The request is in stored axes, like the scale it sets, so an EXIF rotation applied later needs no swap.
    image.draft(None, (max(1, int(width * scale)), max(1, int(height * scale))))
    if image.mode in SIXTEEN_BIT:  # convert("L") would clip every sample above 255 to white
        return image.convert("I").point(lambda value: value / 256).convert("L")
    if image.mode == "F":  # JPEG XL's float greys: nominally 0..1
        return image.point(lambda value: value * 255).convert("L")
    if image.mode in ("CMYK", "L", "LA"):  # their profiles are CMYK or grey: converted by the colour step
        image.load()
        return image
    target = "RGBA" if image.has_transparency_data else "RGB"
    return image if image.mode == target else image.convert(target)


def _check_bytes(data: bytes, settings: Settings) -> None:
    if not data:
        raise NotAnImage("The file is empty (0 bytes), not an image")
    if len(data) > settings.max_image_bytes:
        raise ImageTooLarge(f"Image is {_amount(len(data), 10**6, 'MB', 'bytes')}; the limit is "
                            f"{_amount(settings.max_image_bytes, 10**6, 'MB', 'bytes')} (MAX_IMAGE_BYTES)")


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
    if accepted and formats.minimized(data) and not accepted.reads_minimized:
        return UnsupportedImage(f"The {accepted.name} file is a minimized HEIF (brand mif3), which this "
                                f"build's {accepted.name} decoder does not read; send a regular "
                                f"{accepted.name} file")
    if accepted:
        return UnsupportedImage(
            f"The {accepted.name} file is damaged or cut short: its header cannot be read"
        )
    refused = formats.sniff_refused(data)
    if refused:
        return UnsupportedImage(f"{refused.name} images are not supported; send {formats.names()}")
    return NotAnImage(f"Not an image we read ({formats.names()}); is it text, HTML or SVG?")


def _left_out(kind: formats.ImageFormat, codec: formats.Codec) -> str:
    return (f"{kind.name} images are not read here: this deployment was built without GPL-licensed code "
            f"(make lambda-zip CODECS=permissive), and the {kind.name} decoder, {codec.distribution}, is "
            f"GPL-licensed. Send {formats.names()}, or deploy the default build, which reads {kind.name}")
