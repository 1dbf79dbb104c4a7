"""Colour: thumbnails and previews are sRGB, converted from the source's ICC profile (Display P3, CMYK, grey),
within a small mean difference of LittleCMS's own conversion; untagged and sRGB pixels are left alone."""

from __future__ import annotations

import io

import pytest
from PIL import Image, ImageChops, ImageCms, ImageStat

from core.imaging import colour
from core.imaging.renditions import process_image, renditions
from core.settings import Settings
from tests import factories as make

SETTINGS = Settings(thumbnail_size=128, preview_size=200)
# WebP at quality 80 and resampling before (not after) the conversion cost about 2 levels on average.
WITHIN = 4
# Taking the samples as sRGB (no conversion) is off by 8 to 50 levels on these pictures.
APART = 8


def sources() -> dict[str, tuple[Image.Image, bytes]]:
    """Pictures in wide-gamut and print colour spaces, with the profile each is tagged with."""
    return {"Display P3 JPEG": (make.colourful(), make.display_p3()),
            "Display P3 HEIC": (make.colourful(), make.display_p3()),
            "Display P3 AVIF": (make.colourful(), make.display_p3()),
            "CMYK JPEG": (make.cmyk_inks(), make.cmyk_profile()),
            # A grey scan tagged as linear light: its mid-grey is lighter in sRGB (128 -> 188).
            "grey JPEG": (make.colourful().convert("L"), make.grey_profile(1.0)),
            "grey+alpha PNG": (with_alpha(make.colourful().convert("L")), make.grey_profile(1.0))}


def with_alpha(picture: Image.Image) -> Image.Image:
    shaded = picture.convert("LA")
    shaded.putalpha(Image.linear_gradient("L").resize(picture.size))
    return shaded


def source_file(name: str) -> bytes:
    picture, profile = sources()[name]
    fmt = name.split()[-1]
    return make.encoded(picture, fmt, icc_profile=profile)


def reference(data: bytes, longest: int) -> Image.Image:
    """LittleCMS's conversion of the decoded source to sRGB, through Pillow's ImageCms, then resized."""
    with make.opened(data) as source:
        profile = ImageCms.ImageCmsProfile(io.BytesIO(source.info["icc_profile"]))
        srgb = ImageCms.createProfile("sRGB")
        colours = source.getchannel("L") if source.mode == "LA" else source  # the alpha is not compared
        converted = ImageCms.profileToProfile(colours, profile, srgb, outputMode="RGB")
    assert converted is not None
    converted.thumbnail((longest, longest), Image.Resampling.LANCZOS)
    return converted


def as_srgb_without_conversion(data: bytes, longest: int) -> Image.Image:
    with make.opened(data) as source:
        naive = source.convert("RGB")
    naive.thumbnail((longest, longest), Image.Resampling.LANCZOS)
    return naive


def difference(a: Image.Image, b: Image.Image) -> float:
    assert a.size == b.size
    return max(ImageStat.Stat(ImageChops.difference(a.convert("RGB"), b.convert("RGB"))).mean)


@pytest.mark.parametrize("name", list(sources()))
def test_thumbnail_and_preview_match_a_reference_conversion_to_srgb(name: str) -> None:
    data = source_file(name)
    made = renditions(data, SETTINGS)
    for rendition, longest in ((made.thumbnail, 128), (made.preview, 200)):
        shown = make.decoded(rendition.data)
        assert difference(shown, reference(data, longest)) < WITHIN
        assert difference(shown, as_srgb_without_conversion(data, longest)) > APART  # so it was converted
        assert "icc_profile" not in shown.info  # sRGB: browsers need no profile, and all show the same


def test_process_image_converts_too() -> None:
    data = source_file("CMYK JPEG")
    _, thumbnail = process_image(data, SETTINGS)
    assert difference(make.decoded(thumbnail.data), reference(data, 128)) < WITHIN


def test_an_iphone_photo_is_upright_and_srgb() -> None:
    data = make.iphone_heic((400, 300))
    made = renditions(data, SETTINGS)
    expected = reference(data, 128)  # pillow-heif has applied the container's turn already
    assert expected.size == (96, 128) and difference(make.decoded(made.thumbnail.data), expected) < WITHIN


def untagged_thumbnail(picture: Image.Image) -> bytes:
    return renditions(make.encoded(picture, "PNG"), SETTINGS).thumbnail.data


def test_srgb_tagged_pixels_are_left_as_untagged_ones_are() -> None:
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    picture = make.colourful((128, 96))
    tagged = renditions(make.encoded(picture, "PNG", icc_profile=srgb), SETTINGS).thumbnail.data
    assert tagged == untagged_thumbnail(picture)
    assert difference(make.decoded(tagged), picture) < WITHIN


@pytest.mark.parametrize("profile", [b"", b"not a profile", b"\x00" * 200], ids=["empty", "text", "zeros"])
def test_an_unreadable_profile_is_taken_as_srgb_not_a_reason_to_refuse(profile: bytes) -> None:
    picture = make.colourful((128, 96))
    data = make.encoded(picture, "PNG", icc_profile=profile)
    assert renditions(data, SETTINGS).thumbnail.data == untagged_thumbnail(picture)


def test_a_profile_for_another_colour_space_is_not_applied() -> None:
    """A CMYK profile on RGB pixels describes something else; the pixels are taken as sRGB."""
    assert colour.to_srgb(Image.new("RGB", (4, 4), (10, 20, 30)), make.cmyk_profile()).getpixel((0, 0)) == (
        10, 20, 30)


def test_grey_alpha_is_kept_through_the_conversion_to_colour() -> None:
    converted = colour.to_srgb(with_alpha(Image.new("L", (64, 48), 128)), make.grey_profile(1.0))
    assert converted.mode == "RGBA"
    assert {converted.getchannel(band).getextrema() for band in "RGB"} == {(188, 188)}  # 128 in linear light
    assert converted.getchannel("A").tobytes() == Image.linear_gradient("L").resize((64, 48)).tobytes()


def test_alpha_is_kept_through_the_conversion() -> None:
    picture = make.colourful((64, 48)).convert("RGBA")
    picture.putalpha(Image.linear_gradient("L").resize((64, 48)))
    converted = colour.to_srgb(picture, make.display_p3())
    assert converted.mode == "RGBA"
    assert converted.getchannel("A").tobytes() == picture.getchannel("A").tobytes()
