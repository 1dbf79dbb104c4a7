"""The sizes read from headers before decoding: the same as the decoders report for real files of each kind,
and a header that cannot be read leaves the reason to the decoder."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from PIL import ExifTags, Image

from core.errors import UnsupportedImage
from core.imaging import formats
from core.imaging.headers import HeaderUnreadable
from core.imaging.renditions import process_image
from core.settings import Settings
from tests import factories as make


def photo(size: tuple[int, int] = (300, 200)) -> Image.Image:
    return make.asymmetric(size)


def camera_exif() -> bytes:
    exif = Image.Exif()
    exif[ExifTags.Base.Make], exif[ExifTags.Base.Model] = "Apple", "iPhone 15 Pro"
    return exif.tobytes()


FILES: dict[str, Callable[[], bytes]] = {
    "jpeg": lambda: make.encoded(photo(), "JPEG"),
    "jpeg-progressive-with-exif-and-profile": lambda: make.encoded(
        photo(), "JPEG", progressive=True, icc_profile=make.display_p3(), exif=camera_exif()),
    "jpeg-cmyk": make.cmyk_jpeg,
    "mpo": lambda: make.encode(photo(), "MPO", save_all=True, append_images=[photo((64, 48))]),
    "png": lambda: make.encoded(photo(), "PNG"),
    "png-16-bit": make.gradient_16bit_png,
    "gif": lambda: make.encoded(photo(), "GIF"),
    "gif-animated": lambda: make.animated("GIF"),
    "webp-lossy": lambda: make.encoded(photo(), "WEBP"),
    "webp-lossless": lambda: make.encode(photo(), "WEBP", lossless=True),
    "webp-with-alpha": lambda: make.encoded(photo().convert("RGBA"), "WEBP"),
    "webp-animated": lambda: make.animated("WEBP"),
    "tiff": lambda: make.encoded(photo(), "TIFF"),
    "tiff-compressed-16-bit": lambda: make.gradient_16bit("TIFF"),
    "bmp": lambda: make.encoded(photo(), "BMP"),
    "bmp-palette": lambda: make.encode(photo().convert("P"), "BMP"),
    "avif": lambda: make.encoded(photo(), "AVIF"),
    "avif-with-alpha": lambda: make.encoded(photo().convert("RGBA"), "AVIF"),
    "heic": lambda: make.encoded(photo(), "HEIC"),
    "heic-grid-of-tiles": lambda: make.iphone_heic((1024, 768)),
    "heic-minimized": lambda: make.minimized_heic(photo()),
    "jpeg-xl": lambda: make.encoded(photo(), "JPEG XL"),
}


@pytest.mark.parametrize("make_data", FILES.values(), ids=FILES.keys())
def test_the_size_read_from_the_header_is_the_decoders(make_data: Callable[[], bytes]) -> None:
    data = make_data()
    kind = formats.sniff(data)
    assert kind is not None and kind.declared_size is not None
    with make.opened(data) as image:
        width, height = image.size
    # HEIF's container turns the picture after decoding (irot): the header holds the coded sides.
    assert kind.declared_size(data) in ((width, height), (height, width))


# Pillow warns while it reads what is left of a cut TIFF header; the refusal is what this pins.
@pytest.mark.filterwarnings("ignore:Corrupt EXIF data:UserWarning")
@pytest.mark.parametrize("fmt", [f for f in make.EVERY_FORMAT if f != "JPEG XL"])
def test_a_header_too_short_to_read_leaves_the_reason_to_the_decoder(fmt: str) -> None:
    data = make.encoded(photo(), fmt)
    cut = data[:9 if fmt == "GIF" else 14]  # enough to tell the format, not to read the size
    kind = formats.sniff(cut)
    assert kind is not None and kind.declared_size is not None
    with pytest.raises(HeaderUnreadable):
        kind.declared_size(cut)
    with pytest.raises(UnsupportedImage, match=f"{kind.name} file"):
        process_image(cut, Settings())
