"""What a photo's Exif says that we use: its orientation, and a short readable summary of the camera."""

from __future__ import annotations

from numbers import Real

from PIL import ExifTags, Image

from core.imaging import formats

# EXIF orientation -> the transpose that shows the picture upright (1 and unknown values need none).
UPRIGHT = {
    2: Image.Transpose.FLIP_LEFT_RIGHT, 3: Image.Transpose.ROTATE_180, 4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE, 6: Image.Transpose.ROTATE_270, 7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
TURNED = (5, 6, 7, 8)  # orientations that swap width and height
NAMES = ("Make", "Model", "LensMake", "LensModel", "DateTimeOriginal", "DateTime", "ExposureTime",
         "FNumber", "ISOSpeedRatings", "FocalLength", "Orientation", "Software")
# Whatever Exif parsing raises on damaged data (see core.imaging.decoding.PILLOW_DATA_ERRORS).
_BAD_EXIF = (OSError, SyntaxError, ValueError, EOFError, IndexError, KeyError, TypeError, RuntimeError)


def read(image: Image.Image) -> Image.Exif:
    """The image's Exif; empty when it cannot be read: unreadable Exif must not sink a good image."""
    try:
        return image.getexif()
    except _BAD_EXIF:
        return Image.Exif()


def orientation(image: Image.Image, exif: Image.Exif) -> int:
    """The Exif orientation still to apply to the decoded pixels (1: none)."""
    kind = formats.by_pillow(str(image.format))
    # JPEG XL transcoded from a JPEG decodes to that JPEG, whose Exif orientation is the one to apply.
    if kind.decoder_orients and not getattr(image, "jpeg", False):
        return 1
    value = exif.get(ExifTags.Base.Orientation, 1)
    return value if isinstance(value, int) and value in UPRIGHT else 1


def summary(exif: Image.Exif) -> dict[str, str]:
    """Camera, lens, time and exposure as short printable text, by Exif tag name."""
    try:
        tags = [*exif.items(), *exif.get_ifd(ExifTags.IFD.Exif).items()]
    except _BAD_EXIF:  # as above: the summary is a courtesy, never a reason to refuse
        return {}
    named = {ExifTags.TAGS.get(tag, str(tag)): value for tag, value in tags}
    texts = {name: _text(name, named[name]) for name in NAMES if name in named}
    return {name: text for name, text in texts.items() if text}


def _text(name: str, value: object) -> str:
    if name == "ExposureTime" and isinstance(value, Real) and 0 < float(value) < 1:
        return f"1/{round(1 / float(value))} s"  # how photographers read shutter speeds
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    return "".join(c for c in str(value) if c.isprintable()).strip()[:200]
