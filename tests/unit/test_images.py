"""Imaging on real images of every common mode: thumbnail, orientation, limits, typed errors."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from PIL import Image

from core.errors import ImageError, ImageTooLarge, NotAnImage, UnsupportedImage
from core.imaging import formats
from core.imaging.renditions import process_image
from core.settings import Settings
from tests import factories as make

SETTINGS = Settings(thumbnail_size=128)


def thumbnail_of(data: bytes, settings: Settings = SETTINGS) -> Image.Image:
    _, thumbnail = process_image(data, settings)
    return make.decoded(thumbnail.data)


# Given an image of each format we accept


def test_a_jpeg_is_probed_and_thumbnailed_to_webp_within_the_size() -> None:
    info, thumbnail = process_image(make.jpeg((1200, 900)), SETTINGS)
    assert (info.format, info.extension, info.content_type) == ("JPEG", "jpg", "image/jpeg")
    assert (info.width, info.height, info.mode, info.frame_count) == (1200, 900, "RGB", 1)
    small = make.decoded(thumbnail.data)
    assert small.format == "WEBP" and small.size == (128, 96) == (thumbnail.width, thumbnail.height)
    assert thumbnail.content_type == "image/webp"


@pytest.mark.parametrize(
    ("fmt", "extension", "content_type"),
    [("PNG", "png", "image/png"), ("GIF", "gif", "image/gif"), ("WEBP", "webp", "image/webp"),
     ("TIFF", "tiff", "image/tiff"), ("BMP", "bmp", "image/bmp"), ("AVIF", "avif", "image/avif"),
     ("HEIF", "heic", "image/heic"), ("JXL", "jxl", "image/jxl")],
)
def test_each_format_is_named_for_its_s3_key_and_thumbnailed(
    fmt: str, extension: str, content_type: str
) -> None:
    data = make.encode(Image.new("RGB", (300, 150), "red"), make.codec(fmt))
    info, thumbnail = process_image(data, SETTINGS)
    assert (info.format, info.extension, info.content_type) == (fmt, extension, content_type)
    assert (info.width, info.height) == (300, 150) and (thumbnail.width, thumbnail.height) == (128, 64)
    assert make.is_red(make.pixel(make.decoded(thumbnail.data).convert("RGB"), (64, 32)))


def test_a_minimized_heif_is_read_like_any_heic() -> None:
    # Brand mif3 (ISO/IEC 23008-12's low-overhead format): a mini box in place of meta.
    data = make.minimized_heic(make.asymmetric((300, 200)))
    assert data[8:12] == b"mif3" and formats.sniff(data) == formats.by_pillow("HEIF")
    info, thumbnail = process_image(data, SETTINGS)
    assert (info.format, info.extension, info.content_type) == ("HEIF", "heic", "image/heic")
    assert (info.width, info.height, thumbnail.width, thumbnail.height) == (300, 200, 128, 85)
    small = make.decoded(thumbnail.data).convert("RGB")
    assert make.is_red(make.pixel(small, (20, 25))) and make.is_blue(make.pixel(small, (110, 75)))


def test_a_minimized_avif_is_named_not_called_damaged() -> None:
    # Neither Pillow's libavif nor pillow-heif's libheif (no AV1 decoder in its wheel) reads one.
    header = b"\x00\x00\x00\x10ftypmif3avif" + b"\x00\x00\x00\x10mini" + bytes(8)
    with pytest.raises(UnsupportedImage, match=r"The AVIF file is a minimized HEIF \(brand mif3\)"):
        process_image(header, SETTINGS)


def test_small_images_are_not_upscaled() -> None:
    assert thumbnail_of(make.jpeg((60, 40))).size == (60, 40)


def test_a_long_thin_image_keeps_at_least_one_pixel_across() -> None:
    assert thumbnail_of(make.jpeg((4000, 8))).size == (128, 1)


def test_jpeg_is_decoded_at_a_reduced_scale_before_resampling(monkeypatch: pytest.MonkeyPatch) -> None:
    resampled: list[tuple[int, int]] = []
    thumbnail = Image.Image.thumbnail

    def recording_thumbnail(self: Image.Image, *args: Any, **kwargs: Any) -> None:
        resampled.append(self.size)
        thumbnail(self, *args, **kwargs)

    monkeypatch.setattr(Image.Image, "thumbnail", recording_thumbnail)
    _, small = process_image(make.jpeg((4000, 3000)), SETTINGS)
    # 1/8 scale from the decoder, still at least twice the 128×96 thumbnail for LANCZOS to finish.
    assert resampled == [(500, 375)] and (small.width, small.height) == (128, 96)


def test_progressive_jpeg_is_handled() -> None:
    assert thumbnail_of(make.jpeg((800, 600), progressive=True)).size == (128, 96)


# EXIF orientation and the summary


def test_exif_rotated_jpeg_thumbnail_is_upright() -> None:
    info, _ = process_image(make.exif_rotated_jpeg(6), SETTINGS)
    assert (info.width, info.height) == (200, 400)  # as displayed
    small = thumbnail_of(make.exif_rotated_jpeg(6)).convert("RGB")
    assert small.size == (64, 128)
    # Orientation 6 means "rotate 90° clockwise to view": the red left half ends up on top.
    assert make.is_red(make.pixel(small, (32, 5))) and make.is_blue(make.pixel(small, (32, 122)))


@pytest.mark.parametrize(
    ("orientation", "size", "red_at", "blue_at"),
    [(3, (100, 50), (90, 25), (10, 25)),  # turned half round: red on the right
     (6, (50, 100), (25, 10), (25, 90)),  # turned clockwise: red on top
     (8, (50, 100), (25, 90), (25, 10))],  # turned anticlockwise: red at the bottom
)
def test_a_big_rotated_jpeg_is_drafted_and_then_turned_upright(
    orientation: int, size: tuple[int, int], red_at: tuple[int, int], blue_at: tuple[int, int]
) -> None:
    data = make.with_exif(make.halves((2400, 1200)), Orientation=orientation)
    small = thumbnail_of(data, Settings(thumbnail_size=100)).convert("RGB")
    assert small.size == size
    assert make.is_red(make.pixel(small, red_at)) and make.is_blue(make.pixel(small, blue_at))


def test_exif_summary_names_the_camera() -> None:
    info, _ = process_image(make.exif_rotated_jpeg(), SETTINGS)
    assert info.exif["Make"] == "Canon" and info.exif["Model"] == "EOS R5" and info.exif["Orientation"] == "6"


def test_exif_summary_is_short_readable_text() -> None:
    data = make.with_exif(make.halves(), Make="Nikon\x00", DateTimeOriginal="2024:05:06 07:08:09",
                          ExposureTime=0.004, FNumber=2.8, LensModel="L" * 500)
    exif = process_image(data, SETTINGS)[0].exif
    assert exif["Make"] == "Nikon" and exif["DateTimeOriginal"] == "2024:05:06 07:08:09"
    assert exif["ExposureTime"] == "1/250 s" and exif["FNumber"] == "2.8"
    assert exif["LensModel"] == "L" * 200
    assert all(isinstance(value, str) for value in exif.values()) and "ExifOffset" not in exif


def test_an_image_without_exif_has_an_empty_summary() -> None:
    assert process_image(make.encode(Image.new("RGB", (10, 10)), "PNG"), SETTINGS)[0].exif == {}


# Every common mode becomes RGB, or RGBA where there is transparency


def test_cmyk_jpeg_keeps_its_colour() -> None:
    info, _ = process_image(make.cmyk_jpeg(), SETTINGS)
    corner = make.pixel(thumbnail_of(make.cmyk_jpeg()).convert("RGB"), (10, 10))
    assert info.mode == "CMYK" and make.is_red(corner)


@pytest.mark.parametrize("fmt", ["PNG", "TIFF"])
def test_16_bit_gradient_is_scaled_not_clipped_to_white(fmt: str) -> None:
    data = make.gradient_16bit(fmt)
    assert process_image(data, SETTINGS)[0].mode == "I;16"
    small = thumbnail_of(data).convert("L")
    left, middle, right = (make.pixel(small, (x, 10))[0] for x in (2, small.width // 2, small.width - 3))
    assert left < 30 and 100 < middle < 160 and right > 220


def test_palette_image_keeps_its_transparency() -> None:
    info, _ = process_image(make.palette_with_transparency(), SETTINGS)
    small = thumbnail_of(make.palette_with_transparency())
    assert info.mode == "P" and small.mode == "RGBA"
    assert make.pixel(small, (2, 2))[3] == 0 and make.pixel(small, (64, 64))[3] == 255


@pytest.mark.parametrize("mode", ["RGBA", "LA"])
def test_alpha_is_kept(mode: str) -> None:
    image = Image.new(mode, (100, 100), 0)
    image.paste((255,) * len(mode), (50, 0, 100, 100))  # right half opaque white
    small = thumbnail_of(make.encode(image, "PNG"))
    assert small.mode == "RGBA"
    assert make.pixel(small, (10, 50))[3] == 0 and make.pixel(small, (90, 50))[3] == 255


@pytest.mark.parametrize(("mode", "fmt"), [("1", "PNG"), ("L", "PNG"), ("RGB", "BMP"), ("RGB", "TIFF")])
def test_other_common_modes_and_formats_become_rgb(mode: str, fmt: str) -> None:
    assert thumbnail_of(make.encode(Image.new(mode, (100, 80), 1), fmt)).mode == "RGB"


@pytest.mark.parametrize("fmt", ["GIF", "WEBP", "PNG"])
def test_animated_images_count_frames_and_thumbnail_the_first(fmt: str) -> None:
    info, thumbnail = process_image(make.animated(fmt), SETTINGS)
    first = make.pixel(make.decoded(thumbnail.data).convert("RGB"), (5, 5))
    assert info.frame_count == 3 and make.is_red(first)


def test_an_mpo_photo_is_a_still_jpeg() -> None:
    red, blue = Image.new("RGB", (64, 48), "red"), Image.new("RGB", (64, 48), "blue")
    info, _ = process_image(make.encode(red, "MPO", save_all=True, append_images=[blue]), SETTINGS)
    assert (info.extension, info.content_type, info.frame_count) == ("jpg", "image/jpeg", 1)


# Limits, checked before anything is decoded


def test_a_pixel_bomb_is_refused_from_the_header_alone() -> None:
    with pytest.raises(ImageTooLarge, match=r"9000×9000 = 81 MP; the limit is 50 MP \(MAX_IMAGE_PIXELS\)"):
        process_image(make.png_header_claiming(9_000, 9_000), Settings())


def test_a_huge_bomb_is_refused_before_pillow_reads_further() -> None:
    # Over Pillow's own ceiling, which would refuse it inside Image.open without its sides.
    with pytest.raises(ImageTooLarge, match=r"Image is 40000×40000 = 1,600 MP; the limit is 50 MP"):
        process_image(make.png_header_claiming(40_000, 40_000), Settings())


@pytest.mark.parametrize("fmt", make.EVERY_FORMAT)
def test_every_format_over_the_pixel_limit_is_too_large_with_its_size(fmt: str) -> None:
    # Past the decoders' own limits (libavif's 16384×16384 pixels, Pillow's bomb ceiling), which refused
    # these before any size was known; WebP's frame header holds 14 bits a side.
    side = 16383 if fmt == "WEBP" else 17000
    with pytest.raises(ImageTooLarge, match=rf"Image is {side}×{side} = [\d.]+ MP; the limit is 50 MP "
                                            r"\(MAX_IMAGE_PIXELS\)"):
        process_image(make.claiming_size(fmt, side, side), Settings())


@pytest.mark.parametrize("make_data", [make.animated_webp_claiming, make.minimized_heic_claiming,
                                       make.gif_frame_claiming],
                         ids=["animated-webp-canvas", "minimized-heif", "gif-frame-wider-than-its-screen"])
def test_a_huge_canvas_or_frame_is_too_large_with_its_size(
    make_data: Callable[[int, int], bytes],
) -> None:
    with pytest.raises(ImageTooLarge, match=r"Image is 17000×12000 = 204 MP; the limit is 50 MP"):
        process_image(make_data(17_000, 12_000), Settings())


def test_the_pixel_limit_comes_from_the_settings() -> None:
    limit = Settings(max_image_pixels=100_000)
    with pytest.raises(ImageTooLarge, match=r"400×300 = 120,000 pixels; the limit is 100,000 pixels"):
        process_image(make.jpeg((400, 300)), limit)
    assert process_image(make.jpeg((400, 250)), limit)[0].width == 400


def test_bytes_over_the_limit_are_refused() -> None:
    with pytest.raises(ImageTooLarge, match=r"; the limit is 1,000 bytes \(MAX_IMAGE_BYTES\)"):
        process_image(make.jpeg((400, 300)), Settings(max_image_bytes=1000))
    with pytest.raises(ImageTooLarge, match=r"Image is 3 MB; the limit is 2 MB \(MAX_IMAGE_BYTES\)"):
        process_image(b"\xff\xd8\xff" + bytes(3 * 10**6 - 3), Settings(max_image_bytes=2 * 10**6))


def test_a_header_without_pixels_is_damaged() -> None:
    with pytest.raises(UnsupportedImage, match="cannot be decoded"):
        process_image(make.png_header_claiming(100, 100), SETTINGS)


# Bad bytes: always one of our errors, never a raw Pillow exception


@pytest.mark.parametrize("make_data", [make.jpeg, lambda: make.encode(Image.new("RGB", (400, 300)), "PNG")],
                         ids=["jpeg", "png"])
def test_a_truncated_image_is_unsupported_not_a_crash(make_data: Callable[[], bytes]) -> None:
    data = make_data()
    with pytest.raises(UnsupportedImage, match="cannot be decoded"):
        process_image(data[: len(data) // 2], SETTINGS)


@pytest.mark.parametrize(("fmt", "keep"), [("PNG", 8), ("JPEG", 3), ("GIF", 6), ("WEBP", 12), ("TIFF", 8),
                                          ("AVIF", 24), ("HEIC", 24), ("JPEG XL", 4)])
def test_a_file_cut_inside_its_header_is_damaged_not_unknown(fmt: str, keep: int) -> None:
    data = make.encoded(Image.new("RGB", (9, 9)), fmt)[:keep] + b"\x00" * 20
    # JPEG XL's plugin decodes while opening, so its header errors come with the decoder's own word.
    with pytest.raises(UnsupportedImage, match=f"(?i){fmt} file (is damaged or cut short|cannot be decoded)"):
        process_image(data, SETTINGS)


@pytest.mark.parametrize(
    "data",
    [b"", b"hello, this is text renamed to .jpg",
     b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect/></svg>'],
    ids=["zero-bytes", "text", "svg"],
)
def test_things_that_are_not_images_we_read_say_so(data: bytes) -> None:
    with pytest.raises(NotAnImage):
        process_image(data, SETTINGS)


def test_an_image_format_we_do_not_read_is_named() -> None:
    refusal = r"^ICO images are not supported; send JPEG, PNG, .*, AVIF, HEIC or JPEG XL$"
    with pytest.raises(UnsupportedImage, match=refusal):
        process_image(make.encode(Image.new("RGB", (16, 16)), "ICO"), SETTINGS)


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "GIF", "WEBP", "TIFF", "BMP", "AVIF", "HEIC", "JPEG XL"])
def test_damaged_files_raise_only_our_errors(fmt: str) -> None:
    data = make.encoded(make.halves((64, 48)), fmt)
    for position in range(0, len(data), max(1, len(data) // 40)):
        damaged = data[:position] + b"\xff\x00\x7f" * 4 + data[position + 12:]
        with contextlib.suppress(ImageError):  # a refusal with a reason is the contract; success too
            process_image(damaged, SETTINGS)


def test_running_out_of_memory_is_not_the_images_fault(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_memory(*args: object, **kwargs: object) -> None:
        raise MemoryError

    monkeypatch.setattr(Image.Image, "thumbnail", no_memory)
    with pytest.raises(MemoryError):  # so the record is retried, not recorded as a bad image
        process_image(make.jpeg(), SETTINGS)


def test_a_bug_of_ours_is_not_the_images_fault(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(formats, "by_pillow", lambda name: None)  # as if the formats table were broken
    with pytest.raises(AttributeError):
        process_image(make.jpeg(), SETTINGS)


def test_concurrent_calls_give_the_same_results_as_one_at_a_time() -> None:
    inputs = [make.jpeg((900, 600)), make.cmyk_jpeg(), make.gradient_16bit_png(),
              make.palette_with_transparency(), make.animated("GIF"), make.exif_rotated_jpeg()] * 4
    alone = [process_image(data, SETTINGS) for data in inputs]
    with ThreadPoolExecutor(max_workers=8) as pool:
        assert list(pool.map(lambda data: process_image(data, SETTINGS), inputs)) == alone
