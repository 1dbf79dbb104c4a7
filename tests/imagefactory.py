"""Real images, drawn with Pillow in memory, for tests of every mode the pipeline must handle."""

from __future__ import annotations

import io
import struct
import zlib

from PIL import ExifTags, Image


def encode(image: Image.Image, fmt: str, **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def halves(size: tuple[int, int] = (400, 200), left: str = "red", right: str = "blue") -> Image.Image:
    """Left half one colour, right half another: shows which way an image was turned."""
    image = Image.new("RGB", size, right)
    image.paste(left, (0, 0, size[0] // 2, size[1]))
    return image


def jpeg(size: tuple[int, int] = (400, 300), colour: str = "orange", **options: object) -> bytes:
    return encode(Image.new("RGB", size, colour), "JPEG", **options)


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
    image = Image.open(io.BytesIO(data))
    image.load()
    return image
