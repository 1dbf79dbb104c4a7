"""Colour: renditions are sRGB, converted from the source's embedded ICC profile (CMYK and grey included), so
every browser shows the same colours whether or not it colour-manages. A rendition carries no profile.

Transforms are built once per profile and kept (building one costs milliseconds, a CMYK one tens);
a profile that turns out to describe sRGB is remembered as needing no work at all.
"""

from __future__ import annotations

import functools
import io

from PIL import Image, ImageCms

# The profile's colour space for each mode we convert (ICC header signatures, as Pillow reports them).
_SPACES = {"RGB": "RGB ", "RGBA": "RGB ", "CMYK": "CMYK", "L": "GRAY", "LA": "GRAY"}
# A transform's 8-bit results differ from a true identity by rounding alone when the profile is sRGB.
_IDENTITY_TOLERANCE = 2


def to_srgb(image: Image.Image, icc_profile: bytes | None) -> Image.Image:
    """The image as sRGB RGB (RGBA when it has alpha): through its ICC profile when it has one that fits
    its mode, otherwise as Pillow converts (untagged pixels are sRGB by the web's convention)."""
    target = "RGBA" if image.mode in ("RGBA", "LA") else "RGB"
    mode = "L" if image.mode == "LA" else image.mode
    transform = _transform(icc_profile, mode, "RGB" if mode == "L" else target) \
        if icc_profile and image.mode in _SPACES else None
    if transform is None:
        return image if image.mode == target else image.convert(target)
    if image.mode != "LA":
        return transform.apply(image)
    # LittleCMS carries no alpha from grey to colour: the grey is converted, its alpha put back.
    converted = transform.apply(image.getchannel("L"))
    converted.putalpha(image.getchannel("A"))
    return converted


@functools.lru_cache(maxsize=16)
def _transform(icc_profile: bytes, mode: str, target: str) -> ImageCms.ImageCmsTransform | None:
    """The profile -> sRGB transform, or None when no conversion is needed or possible: the profile is sRGB,
    does not fit the mode, or cannot be read (then the pixels are taken as sRGB rather than refused)."""
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(icc_profile))
        if source.profile.xcolor_space != _SPACES[mode]:
            return None
        # NOCACHE: LittleCMS's one-pixel cache is not safe when threads share a transform, as ours do.
        transform = ImageCms.buildTransform(source, _srgb(), mode, target, flags=ImageCms.Flags.NOCACHE)
    except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
        return None
    return None if mode in ("RGB", "RGBA") and _is_identity(transform, mode) else transform


@functools.cache
def _srgb() -> ImageCms.ImageCmsProfile:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))


def _is_identity(transform: ImageCms.ImageCmsTransform, mode: str) -> bool:
    """Whether the transform leaves colours as they are, tried on a 5×5×5 grid of the RGB cube."""
    levels = (0, 64, 128, 192, 255)
    colours = [(r, g, b, 255)[: len(mode)] for r in levels for g in levels for b in levels]
    probe = Image.new(mode, (len(colours), 1))
    probe.putdata(colours)
    converted = transform.apply(probe).tobytes()
    return all(abs(a - b) <= _IDENTITY_TOLERANCE for a, b in zip(probe.tobytes(), converted, strict=True))
