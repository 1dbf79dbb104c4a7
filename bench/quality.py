"""How good a rendition is: SSIM (scikit-image's structural_similarity) against a reference made the careful
way, and SSIM at equal bytes, to compare pipelines whose encoders spend different amounts.

The reference is the source decoded at full size, converted to sRGB by LittleCMS (Pillow's ImageCms, not our
cached transform), turned upright, and resized once with LANCZOS straight to the rendition's size.
"""

from __future__ import annotations

import io
from collections.abc import Callable

import numpy as np
from PIL import Image, ImageCms, ImageOps
from skimage.metrics import structural_similarity

from core.imaging.decoding import register_codecs


def reference(data: bytes, size: tuple[int, int]) -> np.ndarray:
    """The source as the rendition should look at `size`: sRGB, upright, LANCZOS from the full decode."""
    register_codecs()
    with Image.open(io.BytesIO(data)) as source:
        upright = ImageOps.exif_transpose(source.convert("RGB"))
        icc = source.info.get("icc_profile")
    if icc:
        profile = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        srgb = ImageCms.createProfile("sRGB")
        converted = ImageCms.profileToProfile(upright, profile, srgb, outputMode="RGB")
        assert converted is not None
        upright = converted
    return np.asarray(upright.resize(size, Image.Resampling.LANCZOS))


def ssim(encoded: bytes, expected: np.ndarray) -> float:
    """SSIM of an encoded rendition against the reference (one a pixel off in size is resized to it)."""
    with Image.open(io.BytesIO(encoded)) as made:
        pixels = made.convert("RGB")
    size = (expected.shape[1], expected.shape[0])
    if pixels.size != size:
        pixels = pixels.resize(size, Image.Resampling.LANCZOS)
    score = structural_similarity(  # type: ignore[no-untyped-call]
        np.asarray(pixels), expected, channel_axis=2, data_range=255)
    return float(score)


def ssim_at_bytes(encode: Callable[[int], bytes], expected: np.ndarray, target: int,
                  qualities: tuple[int, ...] = (60, 70, 75, 80, 85, 90, 95)) -> float:
    """SSIM at `target` bytes: the encoder run at each quality, SSIM interpolated linearly in bytes between
    the two nearest settings (the ends extrapolated), so a pipeline that spends more bytes gets no credit."""
    points = sorted((len(data), ssim(data, expected)) for data in map(encode, qualities))
    sizes = [size for size, _ in points]
    below = max(0, min(int(np.searchsorted(sizes, target)) - 1, len(sizes) - 2))
    (x0, y0), (x1, y1) = points[below], points[below + 1]
    return y0 + (y1 - y0) * (target - x0) / max(x1 - x0, 1)
