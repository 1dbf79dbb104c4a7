"""The cheaper rendition path (docs/imaging.md, "Speed"): the preview and the thumbnail are resampled with
HAMMING, the colour transform runs on the preview's pixels, and on a natural phone photo the preview keeps
its size, format, colours and quality per byte."""

from __future__ import annotations

import io
from importlib import resources
from typing import Any

import numpy as np
import pytest
from PIL import Image, ImageCms, ImageOps
from skimage.metrics import structural_similarity

from core.imaging import colour
from core.imaging.renditions import renditions
from core.settings import Settings
from tests import factories as make

# Measured before the change (BICUBIC preview, LANCZOS thumbnail) on natural_p3_photo(): the preview's
# SSIM against the careful reference, and its bytes. Quality per byte may fall by 1 % at most.
SSIM_BEFORE, BYTES_BEFORE = 0.9314, 120_154


def natural_p3_photo() -> bytes:
    """scikit-image's coffee photo (from its wheel), 3× to 1800×1200, as a phone stores it: Display P3,
    JPEG q90, pixels landscape with Exif orientation 6."""
    data = (resources.files("skimage") / "data" / "coffee.png").read_bytes()
    picture = Image.open(io.BytesIO(data)).convert("RGB").resize((1800, 1200), Image.Resampling.LANCZOS)
    exif = Image.Exif()
    exif[0x0112] = 6
    return make.encoded(picture, "JPEG", quality=90, icc_profile=make.display_p3(), exif=exif)


def careful_reference(data: bytes, size: tuple[int, int]) -> np.ndarray:
    """Full decode, LittleCMS to sRGB, upright, one LANCZOS resize: what the preview approximates."""
    with make.opened(data) as source:
        profile = ImageCms.ImageCmsProfile(io.BytesIO(source.info["icc_profile"]))
        upright = ImageOps.exif_transpose(source.convert("RGB"))
    converted = ImageCms.profileToProfile(upright, profile, ImageCms.createProfile("sRGB"), outputMode="RGB")
    assert converted is not None
    return np.asarray(converted.resize(size, Image.Resampling.LANCZOS))


def test_the_preview_and_the_thumbnail_are_resampled_with_hamming(monkeypatch: pytest.MonkeyPatch) -> None:
    filters: list[tuple[tuple[int, int], Image.Resampling]] = []
    thumbnail = Image.Image.thumbnail

    def recording(self: Image.Image, size: tuple[int, int], resample: Any, *args: Any, **kwargs: Any) -> None:
        filters.append((self.size, resample))
        thumbnail(self, size, resample, *args, **kwargs)

    monkeypatch.setattr(Image.Image, "thumbnail", recording)
    renditions(make.jpeg((4000, 3000)), Settings())
    assert filters == [((2000, 1500), Image.Resampling.HAMMING), ((1280, 960), Image.Resampling.HAMMING)]


def test_the_colour_transform_runs_on_the_preview_not_on_the_decode(monkeypatch: pytest.MonkeyPatch) -> None:
    converted: list[tuple[int, int]] = []
    to_srgb = colour.to_srgb

    def recording(image: Image.Image, icc_profile: bytes | None) -> Image.Image:
        converted.append(image.size)
        return to_srgb(image, icc_profile)

    monkeypatch.setattr(colour, "to_srgb", recording)
    renditions(natural_p3_photo(), Settings())
    assert converted == [(1280, 853)]  # stored landscape: turned upright after the conversion


def test_a_natural_p3_phone_photo_gets_an_upright_srgb_webp_preview_as_good_per_byte_as_before() -> None:
    data = natural_p3_photo()
    preview = renditions(data, Settings()).preview
    shown = make.decoded(preview.data)
    assert (shown.format, shown.size, preview.content_type) == ("WEBP", (853, 1280), "image/webp")
    score = structural_similarity(  # type: ignore[no-untyped-call]
        np.asarray(shown.convert("RGB")), careful_reference(data, shown.size), channel_axis=2, data_range=255)
    assert score / len(preview.data) >= 0.99 * SSIM_BEFORE / BYTES_BEFORE, (score, len(preview.data))
    assert score >= 0.99 * SSIM_BEFORE  # not bought by spending fewer bytes on a worse picture
