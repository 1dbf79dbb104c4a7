"""Every orientation comes out upright: the 8 Exif orientations, and HEIF's and AVIF's container transforms
(irot, imir), give the pixels Pillow's ImageOps.exif_transpose gives, as JPEG, WebP, HEIC and AVIF."""

from __future__ import annotations

import pytest
from PIL import ExifTags, Image, ImageChops, ImageOps, ImageStat

from core.imaging.renditions import renditions
from core.settings import Settings
from tests import factories as make

SETTINGS = Settings(thumbnail_size=96, preview_size=400)
# Lossy codecs blur the quarters' edges by a few levels on average; a wrong turn or mirror moves whole
# quarters, a mean difference of 60 and more.
CLOSE = 12


def reference(picture: Image.Image, orientation: int) -> Image.Image:
    """Pillow's reference: the stored pixels with that Exif orientation, through ImageOps.exif_transpose."""
    tagged = picture.copy()
    tagged.getexif()[ExifTags.Base.Orientation] = orientation
    return ImageOps.exif_transpose(tagged)


def mean_difference(a: Image.Image, b: Image.Image) -> float:
    assert a.size == b.size, f"{a.size} != {b.size}"
    return max(ImageStat.Stat(ImageChops.difference(a.convert("RGB"), b.convert("RGB"))).mean)


def fitted(image: Image.Image, longest: int) -> Image.Image:
    small = image.copy()
    small.thumbnail((longest, longest), Image.Resampling.LANCZOS)
    return small


@pytest.mark.parametrize("orientation", range(1, 9))
@pytest.mark.parametrize("fmt", ["JPEG", "WEBP", "HEIC", "AVIF"])
def test_every_orientation_comes_out_as_pillows_reference(fmt: str, orientation: int) -> None:
    picture = make.asymmetric()
    data = make.oriented(picture, fmt, orientation)
    if fmt in ("HEIC", "AVIF"):  # the writers turned the Exif orientation into the container's own boxes
        turned, mirrored = orientation in (3, 5, 6, 7, 8), orientation in (2, 4, 5, 7)
        assert (b"irot" in data, b"imir" in data) == (turned, mirrored)
    made = renditions(data, SETTINGS)
    expected = reference(picture, orientation)
    assert (made.info.width, made.info.height) == expected.size
    assert mean_difference(make.decoded(made.preview.data), expected) < CLOSE
    assert mean_difference(make.decoded(made.thumbnail.data), fitted(expected, 96)) < CLOSE


@pytest.mark.parametrize("orientation", [2, 5, 6, 7])
def test_the_reference_tells_every_orientation_apart(orientation: int) -> None:
    """So the test above would notice any orientation taken for another."""
    picture = make.asymmetric((240, 240))
    others = [reference(picture, other) for other in range(1, 9) if other != orientation]
    assert all(mean_difference(reference(picture, orientation), other) > 5 * CLOSE for other in others)


@pytest.mark.parametrize("fmt", ["JPEG", "HEIC", "AVIF"])
def test_a_large_turned_photo_is_scaled_to_the_preview_and_upright(fmt: str) -> None:
    picture = make.asymmetric((2400, 1600))
    made = renditions(make.oriented(picture, fmt, 6), Settings())
    assert (made.preview.width, made.preview.height) == (853, 1280)
    assert (made.thumbnail.width, made.thumbnail.height) == (213, 320)
    expected = fitted(reference(picture, 6), 1280)
    assert mean_difference(make.decoded(made.preview.data), expected) < CLOSE


def test_jpeg_xl_transcoded_from_a_turned_jpeg_is_upright(tmp_path: object) -> None:
    """A JPEG recompressed losslessly into JPEG XL decodes back to that JPEG: its Exif orientation applies."""
    picture = make.asymmetric()
    made = renditions(make.jxl_from_jpeg(make.oriented(picture, "JPEG", 6)), SETTINGS)
    assert mean_difference(make.decoded(made.preview.data), reference(picture, 6)) < CLOSE


def test_jpeg_xl_pixels_are_shown_as_its_decoder_orients_them() -> None:
    """libjxl applies the codestream's orientation; an Exif orientation beside it is not applied again (the
    JPEG XL standard gives the codestream precedence, and JPEG XL viewers ignore the Exif one)."""
    picture = make.asymmetric()
    made = renditions(make.oriented(picture, "JPEG XL", 6), SETTINGS)
    assert (made.info.width, made.info.height) == picture.size
    assert mean_difference(make.decoded(made.preview.data), picture) < CLOSE


def test_heic_reports_its_container_transform_not_a_second_exif_turn() -> None:
    made = renditions(make.iphone_heic((400, 300)), SETTINGS)
    assert (made.info.width, made.info.height) == (300, 400)
    assert (made.preview.width, made.preview.height) == (300, 400)
    assert made.info.exif["Make"] == "Apple"
