"""The image formats we accept, in one table: fetching sniffs them, imaging opens only them, the upload
widget offers them, and messages name them.

Formats recognised but not accepted are listed too, so a refusal can say what the file is. Two formats need a
codec that is a package of its own and GPL-licensed; a build may leave it out (`make lambda-zip
CODECS=permissive`), and then those formats are recognised but refused, with the reason.
"""

from __future__ import annotations

import functools
import importlib.util
from collections.abc import Callable
from dataclasses import dataclass

from core.imaging import headers, isobmff, jxl_header

# HEIF's generic brands: a file whose major brand is one of these says what it holds in its compatible brands.
# A minimized HEIF (mif3, the low-overhead format) says it in the minor version, where others keep a number.
_MINIMIZED = b"mif3"
_GENERIC_BRANDS = frozenset({b"mif1", b"msf1", b"miaf", _MINIMIZED})


@dataclass(frozen=True)
class Codec:
    """A decoder that is not part of Pillow but a package of its own, which a build may leave out."""

    distribution: str  # as the locks and PyPI name it
    module: str  # importing it (or registering its opener) makes the format readable
    licence: str  # of what its wheel ships, as THIRD_PARTY_NOTICES states it

    def installed(self) -> bool:
        return _installed(self.module)


@functools.cache
def _installed(module: str) -> bool:
    # Looked up, not imported: loading a codec maps its libraries (decoding.register_codecs does that).
    return importlib.util.find_spec(module) is not None


# Their wheels' licences, which their metadata does not all state (pillow-heif's LICENSES_bundled.txt does).
HEIF_CODEC = Codec("pillow-heif", "pillow_heif",
                   "GPL, as its wheels ship: they bundle the x265 encoder (GPL-2.0-or-later) with libheif "
                   "and libde265 (LGPL-3.0); its own code is BSD-3-Clause")
JXL_CODEC = Codec("pillow-jxl-plugin", "pillow_jxl", "GPL-3.0-or-later")
# What `make lambda-zip CODECS=permissive` leaves out, and THIRD_PARTY_NOTICES names.
GPL_CODECS = (HEIF_CODEC, JXL_CODEC)


@dataclass(frozen=True)
class ImageFormat:
    name: str  # as people write it
    pillow: str  # Pillow's format id, which Image.open is limited to
    extension: str  # of the original's key in S3
    content_type: str
    file_extensions: tuple[str, ...]  # what the upload widget offers
    magic: tuple[bytes, ...] = ()  # prefixes of the file
    riff: bytes = b""  # the RIFF form type (bytes 8..12), for RIFF containers
    brands: frozenset[bytes] = frozenset()  # ISO-BMFF (HEIF) brands
    # The decoder turns the pixels upright itself (from the container), so Exif's orientation is not applied
    # again: HEIF's irot/imir (the standard says they win over Exif) and JPEG XL's codestream orientation.
    decoder_orients: bool = False
    codec: Codec | None = None  # None: Pillow reads it itself
    # Reads (width, height) from the first bytes, so the pixel limit is checked before any decoder runs.
    declared_size: Callable[[bytes], tuple[int, int]] | None = None
    # The decoder decodes every pixel inside Image.open (pillow-jxl-plugin): a header that cannot be read is
    # refused, as the size could not be checked before decoding.
    decodes_at_open: bool = False
    reads_minimized: bool = False  # its decoder reads a minimized HEIF (mif3) of this kind

    def readable(self) -> bool:
        """Whether this build has the decoder (a permissive build has no GPL codecs)."""
        return self.codec is None or self.codec.installed()

    def matches(self, data: bytes) -> bool:
        if self.magic and data.startswith(self.magic):
            return True
        if self.riff and data[:4] == b"RIFF" and data[8:12] == self.riff:
            return True
        return bool(self.brands & _brands(data))


def _brands(data: bytes) -> frozenset[bytes]:
    """The brands that say what an ISO-BMFF file holds: its major brand, or under a generic major brand
    (mif1: "some HEIF image") its compatible brands, and for a minimized one (mif3) its minor version too."""
    if data[4:8] != b"ftyp":
        return frozenset()
    if data[8:12] not in _GENERIC_BRANDS:
        return frozenset({data[8:12]})
    end = min(int.from_bytes(data[:4], "big"), len(data), 256)
    first = 12 if data[8:12] == _MINIMIZED else 16
    return frozenset(data[offset:offset + 4] for offset in range(first, end - 3, 4))


ACCEPTED = (
    ImageFormat("JPEG", "JPEG", "jpg", "image/jpeg", ("jpg", "jpeg"), magic=(b"\xff\xd8\xff",),
                declared_size=headers.jpeg),
    ImageFormat("PNG", "PNG", "png", "image/png", ("png",), magic=(b"\x89PNG\r\n\x1a\n",),
                declared_size=headers.png),
    ImageFormat("GIF", "GIF", "gif", "image/gif", ("gif",), magic=(b"GIF87a", b"GIF89a"),
                declared_size=headers.gif),
    ImageFormat("WebP", "WEBP", "webp", "image/webp", ("webp",), riff=b"WEBP", declared_size=headers.webp),
    ImageFormat("TIFF", "TIFF", "tiff", "image/tiff", ("tif", "tiff"), magic=(b"II*\x00", b"MM\x00*"),
                declared_size=headers.tiff),
    ImageFormat("BMP", "BMP", "bmp", "image/bmp", ("bmp",), magic=(b"BM",), declared_size=headers.bmp),
    # AVIF before HEIC: a file that claims both is read by Pillow's AVIF plugin first, as Image.open does.
    ImageFormat("AVIF", "AVIF", "avif", "image/avif", ("avif",), brands=frozenset({b"avif", b"avis"}),
                declared_size=isobmff.declared_size),
    ImageFormat("HEIC", "HEIF", "heic", "image/heic", ("heic", "heif", "hif"), brands=frozenset(
        {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"hevm", b"hevs"}), decoder_orients=True,
                codec=HEIF_CODEC, declared_size=isobmff.declared_size, reads_minimized=True),
    ImageFormat("JPEG XL", "JXL", "jxl", "image/jxl", ("jxl",),
                magic=(jxl_header.CODESTREAM, jxl_header.CONTAINER), decoder_orients=True,
                codec=JXL_CODEC, declared_size=jxl_header.declared_size, decodes_at_open=True),
)
# Recognised, so a refusal can name them, but not read.
REFUSED = (
    ImageFormat("ICO", "", "", "image/x-icon", (), magic=(b"\x00\x00\x01\x00",)),
)
# Pillow opens these only when asked for them by name; an MPO (a JPEG with extra pictures) is a JPEG.
PILLOW_ALIASES = {"MPO": "JPEG"}



def readable() -> tuple[ImageFormat, ...]:
    """The accepted formats this build has the decoders for: every one, unless it left out the GPL codecs."""
    return tuple(f for f in ACCEPTED if f.readable())


def names() -> str:
    """The readable formats as a person lists them: "JPEG, PNG, … or JPEG XL"."""
    *most, last = (f.name for f in readable())
    return f"{', '.join(most)} or {last}"


def file_extensions() -> list[str]:
    """What the upload widget offers."""
    return [extension for f in readable() for extension in f.file_extensions]


def pillow_openers() -> list[str]:
    """The plugins Image.open may use."""
    return [f.pillow for f in readable()]


def sniff(data: bytes) -> ImageFormat | None:
    """The accepted format `data` starts like, or None; it may be one this build cannot read (`readable`)."""
    return next((f for f in ACCEPTED if f.matches(data)), None)


def sniff_refused(data: bytes) -> ImageFormat | None:
    """The format `data` starts like among those we recognise but do not read, or None."""
    return next((f for f in REFUSED if f.matches(data)), None)


def minimized(data: bytes) -> bool:
    """Whether `data` is a minimized HEIF (brand mif3), whatever it holds."""
    return data[4:12] == b"ftyp" + _MINIMIZED


def by_pillow(pillow_format: str) -> ImageFormat:
    """The accepted format Pillow reported opening (KeyError for any other)."""
    return _BY_PILLOW[PILLOW_ALIASES.get(pillow_format, pillow_format)]


_BY_PILLOW = {f.pillow: f for f in ACCEPTED}
