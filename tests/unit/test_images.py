"""Imaging on real images of every common mode: probe, thumbnail, orientation, limits, typed errors."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from core.errors import ImageTooLarge, NotAnImage, UnsupportedImage
from core.images import probe, process_image
from core.settings import Settings
from tests import imagefactory as make

SETTINGS = Settings(thumbnail_size=128)


def thumbnail_of(data: bytes, settings: Settings = SETTINGS) -> Image.Image:
    _, thumbnail = process_image(data, settings)
    return Image.open(io.BytesIO(thumbnail.data))


def test_a_jpeg_is_probed_and_thumbnailed_to_webp_within_the_size() -> None:
    info, thumbnail = process_image(make.jpeg((1200, 900)), SETTINGS)
    assert (info.format, info.extension, info.content_type) == ("JPEG", "jpg", "image/jpeg")
    assert (info.width, info.height, info.frame_count) == (1200, 900, 1)
    small = Image.open(io.BytesIO(thumbnail.data))
    assert small.format == "WEBP" and small.size == (128, 96) == (thumbnail.width, thumbnail.height)


def test_small_images_are_not_upscaled() -> None:
    assert thumbnail_of(make.jpeg((60, 40))).size == (60, 40)


def test_exif_rotated_jpeg_thumbnail_is_upright() -> None:
    info, _ = process_image(make.exif_rotated_jpeg(6), SETTINGS)
    assert (info.width, info.height) == (200, 400)  # as displayed
    small = thumbnail_of(make.exif_rotated_jpeg(6)).convert("RGB")
    assert small.height > small.width
    # Orientation 6 means "rotate 90° clockwise to view": the red left half ends up on top.
    top, bottom = small.getpixel((small.width // 2, 5)), small.getpixel((small.width // 2, small.height - 5))
    assert top[0] > 200 > top[2] and bottom[2] > 200 > bottom[0]


def test_exif_summary_names_the_camera() -> None:
    info, _ = process_image(make.exif_rotated_jpeg(), SETTINGS)
    assert info.exif["Make"] == "Canon" and info.exif["Model"] == "EOS R5" and info.exif["Orientation"] == "6"


def test_cmyk_jpeg_keeps_its_colour() -> None:
    info, _ = process_image(make.cmyk_jpeg(), SETTINGS)
    red, green, blue = thumbnail_of(make.cmyk_jpeg()).convert("RGB").getpixel((10, 10))
    assert info.mode == "CMYK" and red > 200 and green < 60 and blue < 60


def test_16_bit_gradient_is_scaled_not_clipped_to_white() -> None:
    small = thumbnail_of(make.gradient_16bit_png()).convert("L")
    left, right = small.getpixel((2, 10)), small.getpixel((small.width - 3, 10))
    assert left < 30 and right > 220


def test_palette_image_keeps_its_transparency() -> None:
    small = thumbnail_of(make.palette_with_transparency())
    assert small.mode == "RGBA"
    assert small.getpixel((2, 2))[3] == 0 and small.getpixel((64, 64))[3] == 255


@pytest.mark.parametrize("mode", ["RGBA", "LA"])
def test_alpha_is_kept(mode: str) -> None:
    assert thumbnail_of(make.encode(Image.new(mode, (100, 100)), "PNG")).mode == "RGBA"


@pytest.mark.parametrize(("mode", "fmt"), [("1", "PNG"), ("L", "PNG"), ("RGB", "BMP"), ("RGB", "TIFF")])
def test_other_common_modes_and_formats_become_rgb(mode: str, fmt: str) -> None:
    assert thumbnail_of(make.encode(Image.new(mode, (100, 80)), fmt)).mode == "RGB"


def test_progressive_jpeg_is_handled() -> None:
    assert thumbnail_of(make.jpeg((800, 600), progressive=True)).size == (128, 96)


@pytest.mark.parametrize("fmt", ["GIF", "WEBP"])
def test_animated_images_count_frames_and_thumbnail_the_first(fmt: str) -> None:
    info, thumbnail = process_image(make.animated(fmt), SETTINGS)
    first = Image.open(io.BytesIO(thumbnail.data)).convert("RGB").getpixel((5, 5))
    assert info.frame_count == 3 and first[0] > 200 and first[1] < 60


def test_jpeg_draft_decodes_at_a_reduced_scale() -> None:
    image = Image.open(io.BytesIO(make.jpeg((4000, 3000))))
    image.draft("RGB", (128, 128))
    assert image.size == (500, 375)  # what process_image relies on: 1/8 scale before any resize


def test_a_pixel_bomb_is_refused_from_the_header_alone() -> None:
    with pytest.raises(ImageTooLarge, match=r"9000×9000 = 81 MP; the limit is 50 MP \(MAX_IMAGE_PIXELS\)"):
        probe(make.png_header_claiming(9_000, 9_000), Settings())


def test_a_huge_bomb_is_refused_before_pillow_reads_further() -> None:
    with pytest.raises(ImageTooLarge, match="the limit is 50 MP"):
        process_image(make.png_header_claiming(40_000, 40_000), Settings())


def test_the_pixel_limit_comes_from_the_settings() -> None:
    with pytest.raises(ImageTooLarge, match="MAX_IMAGE_PIXELS"):
        process_image(make.jpeg((400, 300)), Settings(max_image_pixels=100_000))


def test_bytes_over_the_limit_are_refused() -> None:
    with pytest.raises(ImageTooLarge, match="MAX_IMAGE_BYTES"):
        process_image(make.jpeg((400, 300)), Settings(max_image_bytes=1000))


def test_a_truncated_jpeg_is_unsupported_not_a_crash() -> None:
    data = make.jpeg((800, 600))
    with pytest.raises(UnsupportedImage, match="cannot be decoded"):
        process_image(data[: len(data) // 2], SETTINGS)


@pytest.mark.parametrize(
    "data",
    [b"", b"hello, this is text renamed to .jpg",
     b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect/></svg>'],
    ids=["zero-bytes", "text", "svg"],
)
def test_things_that_are_not_images_say_so(data: bytes) -> None:
    with pytest.raises(NotAnImage):
        process_image(data, SETTINGS)


def test_probe_reads_the_header_without_decoding() -> None:
    data = make.jpeg((800, 600))
    info = probe(data[:2000], SETTINGS)  # the pixels are cut off; the header is enough
    assert (info.width, info.height) == (800, 600)
