"""The tests' shared factories: real images, wire payloads, images in the bucket, Kinesis records put on
the emulator's stream and read back as Lambda's event, AWS's golden events, a Lambda context, and the
event stored for a sent record."""

from __future__ import annotations

import base64
import ctypes
import functools
import io
import json
import random
import struct
import tempfile
import time
import uuid
import weakref
import zlib
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

from aws_lambda_powertools.utilities.typing import LambdaContext
from PIL import ExifTags, Image, ImageDraw

from core.aws import AwsClients
from core.imaging.decoding import register_codecs
from core.ingest import batch
from core.ingest.origin import Origin, stream_event_id
from core.models import EventSource, StoredEvent
from core.store.objects import put_once
from core.store.reads import get_event
from core.stream.producer import SentRecord, send_events
from local.event_source.events import lambda_event
from local.event_source.invoke import LocalContext
from local.event_source.on_failure import failure_record, send_failure
from local.event_source.runner import EventSourceConfig, LocalEventSource
from local.event_source.shards import stream_source
from local.event_source.table_stream import TableStreamSource

Colour = str | tuple[int, int, int]
GOLDEN = Path(__file__).parent / "golden"
SEED_DESCRIPTION = "Test image event from Kinesis"  # the description of the earlier system's seed event
PARTITION_KEY = "testKey"  # the seed's; one key keeps a test's records in order on one shard
FUNCTION_ARN = "arn:aws:lambda:us-east-1:123456789012:function:image-processor-consumer"


# --- real images, drawn with Pillow in memory ---------------------------------------------------------


def encode(image: Image.Image, fmt: str, **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def image_file(
    fmt: str, size: tuple[int, int] = (64, 48), colour: Colour = "orange", **options: object
) -> bytes:
    """A one-colour RGB picture in any format Pillow writes (PNG, GIF, WEBP, ICO…)."""
    return encode(Image.new("RGB", size, colour), fmt, **options)


def jpeg(size: tuple[int, int] = (400, 300), colour: Colour = "orange", **options: object) -> bytes:
    return image_file("JPEG", size, colour, **options)


def small_jpeg(index: int) -> bytes:
    """A 32×24 JPEG whose colour (so its content hash) is different for each index below 65,536."""
    return jpeg((32, 24), f"#{index % 256:02x}{index // 256 % 256:02x}80")


def photo_jpeg() -> bytes:
    """A photo-like 640×480 JPEG: a gradient with shapes, so probing and thumbnailing do real work."""
    image = Image.linear_gradient("L").resize((640, 480)).convert("RGB")
    draw = ImageDraw.Draw(image)
    draw.ellipse((200, 120, 440, 360), fill=(230, 120, 40))
    draw.rectangle((40, 380, 600, 440), fill=(30, 90, 160))
    return encode(image, "JPEG", quality=90)


def halves(size: tuple[int, int] = (400, 200), left: str = "red", right: str = "blue") -> Image.Image:
    """Left half one colour, right half another: shows which way an image was turned."""
    image = Image.new("RGB", size, right)
    image.paste(left, (0, 0, size[0] // 2, size[1]))
    return image


def exif_rotated_jpeg(orientation: int = 6) -> bytes:
    return with_exif(halves(), Orientation=orientation, Make="Canon", Model="EOS R5")


def with_exif(image: Image.Image, fmt: str = "JPEG", **tags: object) -> bytes:
    """The image saved with EXIF tags by name: Orientation=6, Make="Canon", ExposureTime=0.004…"""
    exif = Image.Exif()
    for name, value in tags.items():
        tag = ExifTags.Base[name]
        # Camera settings (tags from 0x8000 up, as used here) live in the Exif sub-IFD, not IFD0.
        (exif.get_ifd(ExifTags.IFD.Exif) if tag >= 0x8000 else exif)[tag] = value
    return encode(image, fmt, exif=exif, quality=95)


# What an iPhone writes (Exif IFD0 and sub-IFD), every tag core.imaging.exif summarises.
PHONE_EXIF: dict[str, object] = {
    "Make": "Apple", "Model": "iPhone 15 Pro", "Orientation": 6, "Software": "18.1.1",
    "DateTime": "2026:11:26 09:30:12", "LensMake": "Apple",
    "LensModel": "iPhone 15 Pro back triple camera 6.765mm f/1.78", "DateTimeOriginal": "2026:11:26 09:30:12",
    "ExposureTime": 1 / 120, "FNumber": 1.78, "ISOSpeedRatings": 80, "FocalLength": 6.765,
}
# A photo's address as sharing sites and phone backups write them: about 120 characters.
PHONE_URL = ("https://images.example-photos.com/uploads/2026/11/26/user-4821/"
             "IMG_4821-7f3c9a2e-5b1d-4c8e-9f2a-1d3e5b7c9a0b.jpeg?w=2048")
PHONE_DESCRIPTION = "Harbour at dusk from the ferry terminal, main camera, night mode off, handheld"


def phone_jpeg(size: tuple[int, int] = (640, 480)) -> bytes:
    """A phone photo as a phone saves it: JPEG q90, Display P3 profile, the camera's Exif (turned, 6)."""
    exif = Image.Exif()
    for name, value in PHONE_EXIF.items():
        tag = ExifTags.Base[name]
        (exif.get_ifd(ExifTags.IFD.Exif) if tag >= 0x8000 else exif)[tag] = value
    return encode(colourful(size), "JPEG", quality=90, exif=exif, icc_profile=display_p3())


def cmyk_jpeg() -> bytes:
    return encode(Image.new("CMYK", (300, 200), (0, 255, 255, 0)), "JPEG")  # pure red in CMYK


def gradient_16bit_png(size: tuple[int, int] = (256, 64)) -> bytes:
    return gradient_16bit("PNG", size)


def gradient_16bit(fmt: str, size: tuple[int, int] = (256, 64)) -> bytes:
    """A 16-bit grey (I;16) ramp, black on the left to near white on the right, in PNG or TIFF."""
    image = Image.new("I;16", size)
    image.putdata([x * 256 for _ in range(size[1]) for x in range(size[0])])
    return encode(image, fmt)


def palette_with_transparency() -> bytes:
    image = Image.new("P", (200, 200), 0)
    image.putpalette([255, 255, 255, 200, 30, 30] + [0] * 762)
    image.paste(1, (50, 50, 150, 150))
    return encode(image, "PNG", transparency=0)


def animated(fmt: str, frames: int = 3) -> bytes:
    pictures = [Image.new("RGB", (120, 80), colour) for colour in ("red", "green", "blue")[:frames]]
    return encode(pictures[0], fmt, save_all=True, append_images=pictures[1:], duration=100, loop=0)


def png_header_claiming(width: int, height: int) -> bytes:
    """A PNG whose header claims a huge size: a decompression bomb must be refused from this alone."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00" * 64))


def decoded(data: bytes) -> Image.Image:
    """Bytes (a thumbnail, say) back into a loaded Pillow image, to look at its pixels."""
    register_codecs()
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


@contextmanager
def opened(data: bytes) -> Iterator[Image.Image]:
    """Bytes of any accepted format opened by Pillow (HEIC and JPEG XL through their plugins)."""
    register_codecs()
    with Image.open(io.BytesIO(data)) as image:
        image.load()
        yield image


def pixel(image: Image.Image, xy: tuple[int, int]) -> tuple[int, ...]:
    """The pixel's channel values; a one-band image's (L, I;16…) as a 1-tuple."""
    value = image.getpixel(xy)
    assert value is not None, f"{xy} is outside the {image.size} image"
    return tuple(value) if isinstance(value, tuple) else (int(value),)


def is_red(channels: tuple[int, ...]) -> bool:
    return channels[0] > 200 and channels[1] < 60 and channels[2] < 60


def is_blue(channels: tuple[int, ...]) -> bool:
    return channels[2] > 200 and channels[0] < 60 and channels[1] < 60


# --- every accepted format, orientation, colour profiles ----------------------------------------------


def codec(fmt: str) -> str:
    """Pillow's format id for a format as the tests name it (HEIC is pillow-heif's "HEIF"), with the
    codec plugins registered: HEIC and JPEG XL are written with their decoders' own encoders."""
    register_codecs()
    return {"HEIC": "HEIF", "JPEG XL": "JXL"}.get(fmt, fmt)


def encoded(image: Image.Image, fmt: str, **options: object) -> bytes:
    """`image` in any accepted format, at a quality that keeps colours within a few levels."""
    quality = {"PNG": {}, "GIF": {}, "BMP": {}, "TIFF": {}}.get(fmt, {"quality": 95})
    return encode(image, codec(fmt), **{**quality, **options})


def oriented(image: Image.Image, fmt: str, orientation: int) -> bytes:
    """The picture stored as a camera would: pixels as the sensor saw them, and the Exif orientation to
    apply. HEIC and AVIF writers turn it into their containers' own transforms (irot, imir)."""
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = orientation
    return encoded(image, fmt, exif=exif.tobytes())


def jxl_from_jpeg(jpeg_data: bytes) -> bytes:
    """A JPEG recompressed losslessly into JPEG XL (the plugin transcodes only from a file on disk)."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "photo.jpg"
        path.write_bytes(jpeg_data)
        with Image.open(path) as jpeg:
            return encode(jpeg, codec("JPEG XL"), lossless_jpeg=True)


def asymmetric(size: tuple[int, int] = (240, 160)) -> Image.Image:
    """Four differently coloured quarters and a bar along the top: every turn and mirror looks different."""
    image = Image.new("RGB", size, (0, 0, 220))
    width, height = size
    image.paste((220, 0, 0), (0, 0, width // 2, height // 2))
    image.paste((0, 200, 0), (width // 2, 0, width, height // 2))
    image.paste((230, 230, 0), (0, height // 2, width // 2, height))
    image.paste((250, 250, 250), (0, 0, width, height // 8))
    return image


def iphone_heic(size: tuple[int, int] = (1024, 768)) -> bytes:
    """An iPhone-style HEIC: a sensor-oriented photo turned by its container (Exif orientation 6),
    tiled in a 512-pixel grid, with a Display P3 profile and the camera's Exif."""
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6
    exif[ExifTags.Base.Make], exif[ExifTags.Base.Model] = "Apple", "iPhone 15 Pro"
    return encode(colourful(size), codec("HEIC"), quality=90, exif=exif.tobytes(), icc_profile=display_p3(),
                  grid_tile_size=512)


def minimized_heic(image: Image.Image) -> bytes:
    """`image` as a minimized HEIF (brand mif3, a mini box instead of meta), written by the libheif that
    pillow-heif ships through its C API: pillow-heif itself offers no way to ask for the format. libheif
    1.23.6's mini writer gets two things wrong, worked around here: it records every file as limited range
    (so the picture is coded in limited range), and smaller sides than 129 pixels get a wrong height."""
    heif, rgb = _libheif(), image.convert("RGB")
    context = heif.heif_context_alloc()
    encoder, picture, handle = ctypes.c_void_p(), ctypes.c_void_p(), ctypes.c_void_p()
    try:
        _heif_ok(heif.heif_context_get_encoder_for_format(context, 1, ctypes.byref(encoder)))  # 1: HEVC
        _heif_ok(heif.heif_encoder_set_lossy_quality(encoder, 95))
        _heif_ok(heif.heif_image_create(*rgb.size, 1, 10, ctypes.byref(picture)))  # RGB, interleaved
        _heif_ok(heif.heif_image_add_plane(picture, 10, *rgb.size, 8))
        limited = heif.heif_nclx_color_profile_alloc()  # BT.601 matrix, sRGB primaries and transfer
        ctypes.memset(limited + _NCLX_FULL_RANGE_FLAG, 0, 1)
        _heif_ok(heif.heif_image_set_nclx_color_profile(picture, limited))
        heif.heif_nclx_color_profile_free(limited)
        stride = ctypes.c_int()
        plane = heif.heif_image_get_plane(picture, 10, ctypes.byref(stride))
        row = rgb.width * 3
        for y, offset in enumerate(range(0, len(pixels := rgb.tobytes()), row)):
            ctypes.memmove(plane + y * stride.value, pixels[offset:offset + row], row)
        _heif_ok(heif.heif_context_encode_image(context, picture, encoder, None, ctypes.byref(handle)))
        heif.heif_context_set_write_mini_format(context, 1)
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "minimized.heic"
            _heif_ok(heif.heif_context_write_to_file(context, str(path).encode()))
            return path.read_bytes()
    finally:
        for release, thing in ((heif.heif_image_handle_release, handle), (heif.heif_image_release, picture),
                               (heif.heif_encoder_release, encoder), (heif.heif_context_free, context)):
            if thing:
                release(thing)


_NCLX_FULL_RANGE_FLAG = 16  # its offset in libheif's heif_color_profile_nclx: a byte, then three enums


class _HeifError(ctypes.Structure):
    _fields_ = [("code", ctypes.c_int), ("subcode", ctypes.c_int), ("message", ctypes.c_char_p)]


def _heif_ok(error: _HeifError) -> None:
    assert error.code == 0, error.message


@functools.cache
def _libheif() -> ctypes.CDLL:
    """The libheif inside pillow-heif's wheel, with the signatures of the calls minimized_heic makes."""
    register_codecs()
    import pillow_heif

    found = sorted((Path(pillow_heif.__file__).parent.parent / "pillow_heif.libs").glob("libheif-*.so*"))
    assert found, "pillow-heif's wheel ships no libheif"
    heif = ctypes.CDLL(str(found[0]))
    pointer, out, number = ctypes.c_void_p, ctypes.POINTER(ctypes.c_void_p), ctypes.c_int
    for name, returns, arguments in [
        ("heif_context_alloc", pointer, []), ("heif_context_free", None, [pointer]),
        ("heif_context_get_encoder_for_format", _HeifError, [pointer, number, out]),
        ("heif_encoder_set_lossy_quality", _HeifError, [pointer, number]),
        ("heif_image_create", _HeifError, [number, number, number, number, out]),
        ("heif_image_add_plane", _HeifError, [pointer, number, number, number, number]),
        ("heif_nclx_color_profile_alloc", pointer, []), ("heif_nclx_color_profile_free", None, [pointer]),
        ("heif_image_set_nclx_color_profile", _HeifError, [pointer, pointer]),
        ("heif_image_get_plane", pointer, [pointer, number, ctypes.POINTER(number)]),
        ("heif_context_encode_image", _HeifError, [pointer, pointer, pointer, pointer, out]),
        ("heif_context_set_write_mini_format", None, [pointer, number]),
        ("heif_context_write_to_file", _HeifError, [pointer, ctypes.c_char_p]),
        ("heif_image_handle_release", None, [pointer]), ("heif_image_release", None, [pointer]),
        ("heif_encoder_release", None, [pointer]),
    ]:
        function = getattr(heif, name)
        function.restype, function.argtypes = returns, arguments
    return heif


def colourful(size: tuple[int, int] = (256, 192)) -> Image.Image:
    """Saturated hues across, fading to white downwards: where colour spaces differ most."""
    hue = Image.linear_gradient("L").rotate(90).resize(size)
    white = Image.linear_gradient("L").resize(size)
    return Image.merge("HSV", (hue, Image.eval(white, lambda v: 255 - v // 2), Image.new("L", size, 230))
                       ).convert("RGB")


def cmyk_inks(size: tuple[int, int] = (256, 192)) -> Image.Image:
    """CMYK with every ink varying: cyan across, magenta down, yellow radially, a little black."""
    cyan = Image.linear_gradient("L").rotate(90).resize(size)
    magenta = Image.linear_gradient("L").resize(size)
    yellow = Image.radial_gradient("L").resize(size)
    return Image.merge("CMYK", (cyan, magenta, yellow, Image.eval(magenta, lambda v: v // 4)))


# Damaged and hostile files of every accepted format, for the robustness contract.
EVERY_FORMAT = ("JPEG", "PNG", "GIF", "WEBP", "TIFF", "BMP", "AVIF", "HEIC", "JPEG XL")


def damaged(data: bytes, seed: int) -> dict[str, bytes]:
    """The file cut short, with bytes flipped, overwritten, shuffled or appended: what a bad disk, a broken
    upload or a fuzzer gives. The same seed gives the same files."""
    chance = random.Random(seed)
    size = len(data)
    variants = {f"cut-at-{fraction}": data[: int(size * fraction)] for fraction in (0.05, 0.25, 0.5, 0.9)}
    variants["cut-last-byte"] = data[:-1]
    for run in range(6):
        flipped = bytearray(data)
        for _ in range(1 + run * 3):
            flipped[chance.randrange(size)] ^= 1 << chance.randrange(8)
        variants[f"bits-flipped-{run}"] = bytes(flipped)
    start = chance.randrange(size // 4, size // 2 + 1)
    variants["run-of-ff"] = data[:start] + b"\xff" * 64 + data[start + 64:]
    variants["run-of-zeros"] = data[:start] + bytes(64) + data[start + 64:]
    variants["header-scrambled"] = data[:4] + bytes(chance.randrange(256) for _ in range(40)) + data[44:]
    variants["garbage-appended"] = data + bytes(chance.randrange(256) for _ in range(4096))
    variants["twice"] = data + data
    return variants


def claiming_size(fmt: str, width: int, height: int) -> bytes:
    """A small real file of `fmt` whose header claims width×height: a decompression bomb."""
    if fmt == "PNG":
        return png_header_claiming(width, height)
    if fmt == "JPEG XL":
        return jxl_header_claiming(width, height)
    data = bytearray(encoded(Image.new("RGB", (16, 16), "red"), fmt))
    if fmt == "JPEG":
        sof = data.index(b"\xff\xc0") + 5
        data[sof:sof + 4] = struct.pack(">HH", height, width)
    elif fmt == "WEBP":
        frame = data.index(b"\x9d\x01\x2a") + 3
        data[frame:frame + 4] = struct.pack("<HH", width & 0x3FFF, height & 0x3FFF)
    elif fmt == "BMP":
        data[18:26] = struct.pack("<ii", width, height)
    elif fmt == "GIF":
        data[6:10] = struct.pack("<HH", width, height)
        descriptor = data.index(b",", 13) + 5
        data[descriptor:descriptor + 4] = struct.pack("<HH", width, height)
    elif fmt == "TIFF":
        for tag, value in ((256, width), (257, height)):
            entry = data.index(struct.pack("<H", tag), 8)
            data[entry + 2:entry + 12] = struct.pack("<HII", 4, 1, value)  # one LONG
    else:  # AVIF, HEIC: every image spatial extent (ispe) box
        for at in [i for i in range(len(data)) if data.startswith(b"ispe", i)]:
            data[at + 8:at + 16] = struct.pack(">II", width, height)
    return bytes(data)


def animated_webp_claiming(width: int, height: int) -> bytes:
    """A valid animated WebP whose canvas is width×height (24 bits a side) and whose frames are 120×80."""
    data = bytearray(animated("WEBP"))
    assert data[12:16] == b"VP8X"
    data[24:30] = (width - 1).to_bytes(3, "little") + (height - 1).to_bytes(3, "little")
    return bytes(data)


def gif_frame_claiming(width: int, height: int) -> bytes:
    """A 16×16 GIF whose first frame claims width×height: Pillow widens the picture to hold it."""
    data = bytearray(encode(Image.new("P", (16, 16)), "GIF"))
    descriptor = data.index(b",", 13 + 3 * 2) + 5  # past the header and at least a 2-colour table
    data[descriptor:descriptor + 4] = struct.pack("<HH", width, height)
    return bytes(data)


def minimized_heic_claiming(width: int, height: int) -> bytes:
    """A minimized HEIF whose mini box declares width×height (up to 32768 a side) for a 200×150 picture."""
    data = bytearray(minimized_heic(Image.new("RGB", (200, 150), "red")))
    body = data.index(b"mini") + 4
    fields = int.from_bytes(data[body:body + 6], "big")
    assert fields >> 31 & 1, "large_dimensions_flag: the sides are 15-bit fields"
    sides = (width - 1) << 15 | (height - 1)
    fields = fields & ~(((1 << 30) - 1) << 1) | sides << 1  # bits 17..46 of the 48 read
    data[body:body + 6] = fields.to_bytes(6, "big")
    return bytes(data)


def jxl_header_claiming(width: int, height: int) -> bytes:
    """A JPEG XL codestream that starts by declaring width×height (its SizeHeader), then ends."""
    bits = [0]  # not "small": both sizes follow as 30-bit fields (selector 3)
    for value, count in ((3, 2), (height - 1, 30), (0, 3), (3, 2), (width - 1, 30)):
        bits += [value >> index & 1 for index in range(count)]
    bits += [0] * (-len(bits) % 8)
    octets = (bits[at:at + 8] for at in range(0, len(bits), 8))
    packed = bytes(sum(bit << index for index, bit in enumerate(octet)) for octet in octets)
    return b"\xff\x0a" + packed + bytes(32)


D50 = (0.9642, 1.0, 0.8249)
# Display P3's primaries adapted to D50, as Apple's profile states them.
P3_COLORANTS = ((0.5151, 0.2412, -0.0011), (0.2920, 0.6922, 0.0419), (0.1571, 0.0666, 0.7841))
SRGB_TO_XYZ_D50 = ((0.4360747, 0.3850649, 0.1430804), (0.2225045, 0.7168786, 0.0606169),
                   (0.0139322, 0.0971045, 0.7141733))


def display_p3() -> bytes:
    """An ICC profile for Display P3 (matrix and sRGB curves), written byte by byte: no profile files ship
    with Pillow, and Pillow builds only sRGB, Lab and XYZ ones."""
    srgb_curve = _s15(2.4, 1 / 1.055, 0.055 / 1.055, 1 / 12.92, 0.04045)  # ICC parametric curve type 3
    curve = _icc_tag(b"para", struct.pack(">HH", 3, 0) + srgb_curve)
    tags = {b"desc": _icc_description("Display P3 (test)"), b"wtpt": _icc_tag(b"XYZ ", _s15(*D50)),
            b"rTRC": curve, b"gTRC": curve, b"bTRC": curve, b"cprt": _icc_tag(b"text", b"none\x00")}
    tags |= {name: _icc_tag(b"XYZ ", _s15(*xyz))
             for name, xyz in zip((b"rXYZ", b"gXYZ", b"bXYZ"), P3_COLORANTS, strict=True)}
    return _icc_profile(b"mntr", b"RGB ", b"XYZ ", tags)


def grey_profile(gamma: float = 1.0) -> bytes:
    """An ICC profile for grey with a plain gamma curve (1.0: linear light), written byte by byte as above."""
    curve = _icc_tag(b"curv", struct.pack(">IH", 1, round(gamma * 256)))
    tags = {b"desc": _icc_description(f"Grey, gamma {gamma:g} (test)"),
            b"wtpt": _icc_tag(b"XYZ ", _s15(*D50)), b"kTRC": curve, b"cprt": _icc_tag(b"text", b"none\x00")}
    return _icc_profile(b"mntr", b"GRAY", b"XYZ ", tags)


def cmyk_profile() -> bytes:
    """A CMYK printer profile (a 9-point CMYK -> Lab table) for inks that are not ideal: cyan absorbs some
    green, magenta some blue, black leaves a tenth of the light. Naive CMYK -> RGB gives other colours."""
    grid = 9
    steps = [i / (grid - 1) for i in range(grid)]
    clut = b"".join(struct.pack(">3H", *_lab16(_ink_xyz(c, m, y, k)))
                    for c in steps for m in steps for y in steps for k in steps)
    lut = (struct.pack(">BBBB", 4, 3, grid, 0) + _s15(1, 0, 0, 0, 1, 0, 0, 0, 1) + struct.pack(">HH", 2, 2)
           + struct.pack(">2H", 0, 65535) * 4 + clut + struct.pack(">2H", 0, 65535) * 3)
    tags = {b"desc": _icc_description("Test CMYK inks"), b"wtpt": _icc_tag(b"XYZ ", _s15(*D50)),
            b"A2B0": _icc_tag(b"mft2", lut), b"cprt": _icc_tag(b"text", b"none\x00")}
    return _icc_profile(b"prtr", b"CMYK", b"Lab ", tags)


def _ink_xyz(c: float, m: float, y: float, k: float) -> tuple[float, float, float]:
    linear = [(1 - c * 0.95) * (1 - m * 0.15) * (1 - y * 0.02),
              (1 - c * 0.35) * (1 - m * 0.90) * (1 - y * 0.08),
              (1 - c * 0.10) * (1 - m * 0.40) * (1 - y * 0.90)]
    linear = [v * (1 - k * 0.9) for v in linear]
    x, y_, z = (sum(a * b for a, b in zip(row, linear, strict=True)) for row in SRGB_TO_XYZ_D50)
    return x, y_, z


def _lab16(xyz: tuple[float, float, float]) -> tuple[int, int, int]:
    """CIE Lab (D50) in ICC version 2's 16-bit encoding."""
    def f(t: float) -> float:
        return t ** (1 / 3) if t > (6 / 29) ** 3 else t / (3 * (6 / 29) ** 2) + 4 / 29

    fx, fy, fz = (f(v / w) for v, w in zip(xyz, D50, strict=True))
    lightness, a, b = 116 * fy - 16, 500 * (fx - fy), 200 * (fy - fz)
    return (round(max(0.0, min(100.0, lightness)) * 652.80), round((max(-128.0, min(127.99, a)) + 128) * 256),
            round((max(-128.0, min(127.99, b)) + 128) * 256))


def _s15(*values: float) -> bytes:
    return b"".join(struct.pack(">i", round(v * 65536)) for v in values)


def _icc_tag(kind: bytes, body: bytes) -> bytes:
    return kind + b"\x00" * 4 + body


def _icc_description(text: str) -> bytes:
    ascii_text = text.encode() + b"\x00"
    return _icc_tag(b"desc", struct.pack(">I", len(ascii_text)) + ascii_text + b"\x00" * 4 + b"\x00" * 8
                    + b"\x00" * 70)


def _icc_profile(device: bytes, space: bytes, pcs: bytes, tags: dict[bytes, bytes]) -> bytes:
    table_end = 128 + 4 + 12 * len(tags)
    entries, bodies, offset = b"", b"", table_end
    for name, body in tags.items():
        padded = body + b"\x00" * (-len(body) % 4)
        entries += name + struct.pack(">II", offset, len(body))
        bodies += padded
        offset += len(padded)
    header = (struct.pack(">I", offset) + b"lcms" + struct.pack(">I", 0x02100000) + device + space + pcs
              + struct.pack(">6H", 2026, 1, 1, 0, 0, 0) + b"acsp" + b"\x00" * 24 + struct.pack(">I", 0)
              + _s15(*D50) + b"\x00" * 48)
    assert len(header) == 128
    return header + struct.pack(">I", len(tags)) + entries + bodies


# --- wire payloads and images in the bucket ------------------------------------------------------------


def wire_json(fields: Mapping[str, object]) -> bytes:
    """Any JSON object as a record's data, for payloads the wire event must refuse too."""
    return json.dumps(fields).encode()


def image_event(
    url: object, description: object = SEED_DESCRIPTION, keys: tuple[str, str] = ("ImageUrl", "Description")
) -> bytes:
    """The wire payload `{"ImageUrl": …, "Description": …}`; `keys` for its other accepted spellings."""
    return wire_json({keys[0]: url, keys[1]: description})


def image_in_bucket(clients: AwsClients, name: str, data: bytes, content_type: str = "image/jpeg") -> str:
    """`data` in the bucket under incoming/, as a sender puts an image there; its s3:// URL."""
    put_once(clients, f"incoming/{name}", data, content_type)
    return f"s3://{clients.settings.bucket_name}/incoming/{name}"


def jpeg_in_bucket(clients: AwsClients, name: str, colour: Colour) -> str:
    """A 640×480 JPEG of one colour at incoming/<name>.jpg; its s3:// URL."""
    return image_in_bucket(clients, f"{name}.jpg", jpeg((640, 480), colour))


# --- the stream, and Lambda's events -------------------------------------------------------------------


@dataclass(frozen=True)
class StreamRecord:
    """A record as GetRecords returns it, with the shard it was read from."""

    shard_id: str
    sequence_number: str
    data: bytes
    arrived: datetime


def put_on_stream(clients: AwsClients, payloads: Sequence[bytes]) -> list[SentRecord]:
    """Each payload as one record, in order, on one shard (one partition key)."""
    return send_events(clients, payloads, partition_key=PARTITION_KEY)


def read_back(clients: AwsClients, sent: list[SentRecord]) -> dict[str, Any]:
    """The sent records as Lambda's event source mapping would deliver them: one event, GetRecords order
    (the shard's order: a record resent after Kinesis throttled it lands after the ones sent beside it)."""
    shard = sent[0].shard_id
    assert {record.shard_id for record in sent} == {shard}
    sent = sorted(sent, key=lambda record: int(record.sequence_number))
    iterator = clients.kinesis.get_shard_iterator(
        StreamName=clients.settings.stream_name, ShardId=shard,
        ShardIteratorType="AT_SEQUENCE_NUMBER", StartingSequenceNumber=sent[0].sequence_number,
    )["ShardIterator"]
    records: list[dict[str, Any]] = []
    while len(records) < len(sent):
        page = clients.kinesis.get_records(ShardIterator=iterator, Limit=min(10_000, len(sent)))
        records += [dict(record) for record in page["Records"]]
        iterator = page["NextShardIterator"]
    records = records[: len(sent)]
    assert [r["SequenceNumber"] for r in records] == [s.sequence_number for s in sent]
    return lambda_event(records, shard, stream_source(clients))


def given_up(clients: AwsClients, payloads: Sequence[bytes]) -> list[SentRecord]:
    """`payloads` put on the stream, and their batch given up on, as Lambda does (its metadata sent to the
    on-failure queue), by an event source whose function never succeeds."""
    sent = put_on_stream(clients, payloads)
    config = EventSourceConfig.from_template(clients.settings, starting_position="TRIM_HORIZON",
                                             poll_seconds=0.05, maximum_retry_attempts=0,
                                             handler="tests.event_source_handlers.never_done")
    source = LocalEventSource(clients, config)
    try:
        for _ in range(50):
            if not source.poll_once() and not source.reader.retrying():
                break
    finally:
        source.stop()
    return sent


def batch_given_up_on(clients: AwsClients, payloads: Sequence[bytes]) -> list[SentRecord]:
    """`payloads` put on the stream and Lambda's on-failure message for exactly them, whoever else reads
    the stream (a running consumer may store them meanwhile; a replay then finds them kept)."""
    sent = put_on_stream(clients, payloads)
    records = [{"SequenceNumber": record["kinesis"]["sequenceNumber"],
                "ApproximateArrivalTimestamp": datetime.fromtimestamp(
                    record["kinesis"]["approximateArrivalTimestamp"], UTC)}
               for record in read_back(clients, sent)["Records"]]
    record = failure_record(records, sent[0].shard_id, stream_source(clients), request_id="given-up",
                            function_arn="", attempts=3, function_error=True)
    url = clients.sqs.get_queue_url(QueueName=clients.settings.failure_queue_name)["QueueUrl"]
    send_failure(clients, url, record)
    return sent


def lost_batch(clients: AwsClients, arrived: datetime, size: int = 2) -> None:
    """Lambda's on-failure record of a batch the stream no longer holds (its shard is gone, as a closed shard
    goes past the stream's retention), its records having arrived at `arrived`."""
    records = [{"SequenceNumber": f"4960000000000000000000000000000000000000000000000{n}",
                "ApproximateArrivalTimestamp": arrived} for n in range(size)]
    record = failure_record(records, "shardId-000000000099", stream_source(clients), request_id="lost",
                            function_arn="", attempts=3, function_error=True)
    url = clients.sqs.get_queue_url(QueueName=clients.settings.failure_queue_name)["QueueUrl"]
    send_failure(clients, url, record)


def on_failure_queue(clients: AwsClients) -> int:
    """Messages on the on-failure queue, those a replay is working on (hidden) among them."""
    url = clients.sqs.get_queue_url(QueueName=clients.settings.failure_queue_name)["QueueUrl"]
    attributes = clients.sqs.get_queue_attributes(
        QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    )["Attributes"]
    return sum(int(count) for count in attributes.values())


def put_and_read_back(
    clients: AwsClients, payloads: Sequence[bytes]
) -> tuple[list[SentRecord], dict[str, Any]]:
    """Put each payload on the stream, then read them back as the Lambda event of their batch."""
    sent = put_on_stream(clients, payloads)
    return sent, read_back(clients, sent)


def stream_records(clients: AwsClients) -> list[StreamRecord]:
    """Every record on the settings' stream, shard by shard, oldest first."""
    stream, found = clients.settings.stream_name, list[StreamRecord]()
    for shard in clients.kinesis.list_shards(StreamName=stream)["Shards"]:
        shard_id = shard["ShardId"]
        iterator: str | None = clients.kinesis.get_shard_iterator(
            StreamName=stream, ShardId=shard_id, ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
        while iterator:
            page = clients.kinesis.get_records(ShardIterator=iterator, Limit=10_000)
            found += [StreamRecord(shard_id, r["SequenceNumber"], r["Data"], r["ApproximateArrivalTimestamp"])
                      for r in page["Records"]]
            iterator = page.get("NextShardIterator") if page["Records"] else None
    return found


def golden_event(name: str) -> dict[str, Any]:
    """tests/golden/<name>.json: a Kinesis event in the shape AWS documents, as Lambda would deliver it."""
    event: dict[str, Any] = json.loads((GOLDEN / f"{name}.json").read_text())
    return event


def record_data(record: Mapping[str, Any]) -> bytes:
    """The bytes a Lambda Kinesis event record carries (its kinesis.data, base64-decoded)."""
    return base64.b64decode(record["kinesis"]["data"])


def lambda_context(function: str = "image-processor-consumer") -> LambdaContext:
    """The context Lambda's Python runtime passes: a fresh request id, a minute left to run."""
    context = LocalContext(function, FUNCTION_ARN.replace("image-processor-consumer", function), 1024,
                           str(uuid.uuid4()), f"/aws/lambda/{function}", "2026/01/01/[$LATEST]0",
                           time.monotonic() + 60)
    # LocalContext has every attribute of Lambda's context; LambdaContext is Powertools' type for it.
    return cast(LambdaContext, context)


# --- what the store keeps for a record -----------------------------------------------------------------


def stream_origin(sequence: str, at: datetime | None = None, shard: str = "shardId-000000000000") -> Origin:
    """Where a stream record came from, as the handler names it: its id from shard and sequence number."""
    event = stream_event_id(shard, sequence)
    return Origin(event, at or datetime.now(UTC), EventSource.STREAM, shard, sequence)


def event_id(record: SentRecord) -> str:
    return stream_event_id(record.shard_id, record.sequence_number)


def stored(clients: AwsClients, record: SentRecord) -> StoredEvent | None:
    """The event stored for a sent record, if any."""
    return get_event(clients, event_id(record))


def expect_stored(clients: AwsClients, record: SentRecord) -> StoredEvent:
    """The event stored for a sent record; the test fails when there is none."""
    kept = stored(clients, record)
    assert kept is not None, f"no event is stored for record {record.sequence_number}"
    return kept


# --- counts: the aggregator's work, done when a test looks ---------------------------------------------

_counters: weakref.WeakKeyDictionary[AwsClients, TableStreamSource] = weakref.WeakKeyDictionary()


def counted(clients: AwsClients) -> AwsClients:
    """`clients`, once the aggregator has counted every change on the table's stream so far.

    In AWS it runs on its own a moment after each write; a test runs it when it reads counts or LATEST.
    One source per test's clients, kept, so each change is delivered once, as Lambda delivers it.
    """
    source = _counters.get(clients)
    if source is None:
        source = _counters[clients] = TableStreamSource(clients, in_process=True)
    source.poll_once()
    return clients


def ingest_record(clients: AwsClients, data: bytes, origin: Origin) -> StoredEvent:
    """One raw stream record through the batch service the Lambda runs: the event as kept (for a redelivered
    record, the one its first delivery kept); raises what would make Lambda deliver it again."""
    (outcome,) = batch.run(clients, [batch.stream_job(data, origin)])
    if outcome.error is not None:
        raise outcome.error
    kept = outcome.event or get_event(clients, origin.event_id)
    assert kept is not None, f"event {origin.event_id} is neither new nor kept"
    return kept
