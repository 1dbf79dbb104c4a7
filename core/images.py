"""Probe and thumbnail images with Pillow: one open, JPEG draft decoding, EXIF orientation applied.

Pure functions on bytes; safe to call from many threads at once (each call has its own image).
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from PIL import ExifTags, Image

from core.errors import ImageTooLarge, NotAnImage, UnsupportedImage
from core.settings import Settings

# Pillow format -> (extension for the original's key, content type)
FORMATS = {
    "JPEG": ("jpg", "image/jpeg"), "MPO": ("jpg", "image/jpeg"), "PNG": ("png", "image/png"),
    "GIF": ("gif", "image/gif"), "WEBP": ("webp", "image/webp"), "TIFF": ("tiff", "image/tiff"),
    "BMP": ("bmp", "image/bmp"), "AVIF": ("avif", "image/avif"),
}
# EXIF orientation -> the transpose that shows the picture upright (orientation 1 needs none).
UPRIGHT = {
    2: [Image.Transpose.FLIP_LEFT_RIGHT], 3: [Image.Transpose.ROTATE_180],
    4: [Image.Transpose.FLIP_TOP_BOTTOM], 5: [Image.Transpose.TRANSPOSE],
    6: [Image.Transpose.ROTATE_270], 7: [Image.Transpose.TRANSVERSE], 8: [Image.Transpose.ROTATE_90],
}
EXIF_TAGS = ("Make", "Model", "Software", "DateTime", "Orientation")
EXIF_IFD_TAGS = ("DateTimeOriginal", "ExposureTime", "FNumber", "ISOSpeedRatings", "FocalLength", "LensModel")


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


def probe(data: bytes, settings: Settings) -> ImageInfo:
    """Format, size and EXIF from the header alone; refuses what process_image would refuse early."""
    return _info(_open(data, settings))


def process_image(data: bytes, settings: Settings) -> tuple[ImageInfo, Thumbnail]:
    """Probe and thumbnail with one open and one (reduced) decode."""
    image = _open(data, settings)
    info = _info(image)
    return info, _thumbnail(image, settings)


def _open(data: bytes, settings: Settings) -> Image.Image:
    if not data:
        raise NotAnImage("The file is empty (0 bytes), not an image")
    if len(data) > settings.max_image_bytes:
        raise ImageTooLarge(f"Image is {len(data) / 1e6:.1f} MB; the limit is "
                            f"{settings.max_image_bytes / 1e6:.1f} MB (MAX_IMAGE_BYTES)")
    try:
        image = Image.open(io.BytesIO(data))
    except Image.DecompressionBombError:
        raise _too_many_pixels(settings) from None
    except Image.UnidentifiedImageError:
        raise NotAnImage("Not an image: the bytes are no format Pillow reads (text, HTML or SVG?)") from None
    except Exception as exc:  # a damaged header can raise nearly anything inside a plugin
        raise UnsupportedImage(f"The image header is damaged ({type(exc).__name__}: {exc})") from None
    _check_supported(image, settings)
    return image


def _too_many_pixels(settings: Settings) -> ImageTooLarge:
    """Pillow's own bomb guard fired (far over any sane limit) before we could read the size."""
    return ImageTooLarge(f"Image has far too many pixels to decode safely; the limit is "
                         f"{settings.max_image_pixels / 1e6:.0f} MP (MAX_IMAGE_PIXELS)")


def _check_supported(image: Image.Image, settings: Settings) -> None:
    if image.format not in FORMATS:
        raise UnsupportedImage(f"{image.format} images are not supported; send JPEG, PNG, GIF, WebP, "
                               "TIFF or BMP")
    width, height = image.size
    if width * height > settings.max_image_pixels:
        raise ImageTooLarge(f"Image is {width}×{height} = {width * height / 1e6:.0f} MP; the limit is "
                            f"{settings.max_image_pixels / 1e6:.0f} MP (MAX_IMAGE_PIXELS)")


def _info(image: Image.Image) -> ImageInfo:
    extension, content_type = FORMATS[str(image.format)]
    width, height = image.size
    if _orientation(image) in (5, 6, 7, 8):
        width, height = height, width
    frames = int(getattr(image, "n_frames", 1))
    return ImageInfo(str(image.format), extension, content_type, width, height, image.mode, frames,
                     _exif_summary(image))


def _orientation(image: Image.Image) -> int:
    try:
        return int(image.getexif().get(ExifTags.Base.Orientation, 1))
    except Exception:  # unreadable EXIF must not sink an otherwise good image
        return 1


def _exif_summary(image: Image.Image) -> dict[str, str]:
    try:
        exif = image.getexif()
        named = {ExifTags.TAGS.get(tag, str(tag)): value for tag, value in exif.items()}
        named |= {ExifTags.TAGS.get(t, str(t)): v for t, v in exif.get_ifd(ExifTags.IFD.Exif).items()}
    except Exception:  # as above: EXIF is a summary, never a reason to refuse
        return {}
    wanted = [name for name in (*EXIF_TAGS, *EXIF_IFD_TAGS) if name in named]
    return {name: _text(named[name]) for name in wanted if _text(named[name])}


def _text(value: object) -> str:
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    return "".join(c for c in str(value) if c.isprintable()).strip()[:200]


def _thumbnail(image: Image.Image, settings: Settings) -> Thumbnail:
    orientation, size = _orientation(image), settings.thumbnail_size
    try:
        # JPEG only: the decoder scales by 1/2..1/8 while decoding, the big saving on photos.
        image.draft("RGB" if image.mode == "RGB" else None, (size, size))
        small = _displayable(image)
        small.thumbnail((size, size), Image.Resampling.LANCZOS)
    except Image.DecompressionBombError:
        raise _too_many_pixels(settings) from None
    except Exception as exc:  # truncated or corrupt data surfaces only while decoding
        raise UnsupportedImage(f"The image data cannot be decoded ({type(exc).__name__}: {exc})") from None
    for step in UPRIGHT.get(orientation, []):
        small = small.transpose(step)
    return Thumbnail(_webp(small), small.width, small.height)


def _displayable(image: Image.Image) -> Image.Image:
    """The first frame in RGB, or RGBA where the image has transparency; 16-bit scaled, not clipped."""
    image.seek(0)
    mode = image.mode
    if mode in ("I;16", "I;16B", "I;16L", "I;16N", "I"):
        return image.convert("I").point(lambda value: value / 256).convert("L")
    if mode in ("RGBA", "LA", "PA", "La", "RGBa") or "transparency" in image.info:
        return image.convert("RGBA")
    return image.convert("RGB") if mode != "RGB" else image


def _webp(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "WEBP", quality=80, method=4)
    return buffer.getvalue()
