"""The image formats we accept, in one table: fetching sniffs them, imaging opens only them, the upload
widget offers them, and messages name them.

Formats recognised but not accepted are listed too, so a refusal can say what the file is.
"""

from __future__ import annotations

from dataclasses import dataclass

# HEIF's generic brands: a file whose major brand is one of these says what it holds in its compatible brands.
_GENERIC_BRANDS = frozenset({b"mif1", b"msf1", b"miaf"})


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

    def matches(self, data: bytes) -> bool:
        if self.magic and data.startswith(self.magic):
            return True
        if self.riff and data[:4] == b"RIFF" and data[8:12] == self.riff:
            return True
        return bool(self.brands & _brands(data))


def _brands(data: bytes) -> frozenset[bytes]:
    """The brands that say what an ISO-BMFF file holds: its major brand, or under a generic major brand
    (mif1: "some HEIF image") its compatible brands."""
    if data[4:8] != b"ftyp":
        return frozenset()
    if data[8:12] not in _GENERIC_BRANDS:
        return frozenset({data[8:12]})
    end = min(int.from_bytes(data[:4], "big"), len(data), 256)
    return frozenset(data[offset:offset + 4] for offset in range(16, end - 3, 4))


ACCEPTED = (
    ImageFormat("JPEG", "JPEG", "jpg", "image/jpeg", ("jpg", "jpeg"), magic=(b"\xff\xd8\xff",)),
    ImageFormat("PNG", "PNG", "png", "image/png", ("png",), magic=(b"\x89PNG\r\n\x1a\n",)),
    ImageFormat("GIF", "GIF", "gif", "image/gif", ("gif",), magic=(b"GIF87a", b"GIF89a")),
    ImageFormat("WebP", "WEBP", "webp", "image/webp", ("webp",), riff=b"WEBP"),
    ImageFormat("TIFF", "TIFF", "tiff", "image/tiff", ("tif", "tiff"), magic=(b"II*\x00", b"MM\x00*")),
    ImageFormat("BMP", "BMP", "bmp", "image/bmp", ("bmp",), magic=(b"BM",)),
    # AVIF before HEIC: a file that claims both is read by Pillow's AVIF plugin first, as Image.open does.
    ImageFormat("AVIF", "AVIF", "avif", "image/avif", ("avif",), brands=frozenset({b"avif", b"avis"})),
    ImageFormat("HEIC", "HEIF", "heic", "image/heic", ("heic", "heif", "hif"), brands=frozenset(
        {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"hevm", b"hevs"}), decoder_orients=True),
    ImageFormat("JPEG XL", "JXL", "jxl", "image/jxl", ("jxl",),
                magic=(b"\xff\x0a", b"\x00\x00\x00\x0cJXL \r\n\x87\n"), decoder_orients=True),
)
# Recognised, so a refusal can name them, but not read.
REFUSED = (
    ImageFormat("ICO", "", "", "image/x-icon", (), magic=(b"\x00\x00\x01\x00",)),
)
# Pillow opens these only when asked for them by name; an MPO (a JPEG with extra pictures) is a JPEG.
PILLOW_ALIASES = {"MPO": "JPEG"}

NAMES = ", ".join(f.name for f in ACCEPTED[:-1]) + f" or {ACCEPTED[-1].name}"
FILE_EXTENSIONS = [extension for f in ACCEPTED for extension in f.file_extensions]
PILLOW_OPENERS = [f.pillow for f in ACCEPTED]


def sniff(data: bytes) -> ImageFormat | None:
    """The accepted format `data` starts like, or None."""
    return next((f for f in ACCEPTED if f.matches(data)), None)


def sniff_refused(data: bytes) -> ImageFormat | None:
    """The format `data` starts like among those we recognise but do not read, or None."""
    return next((f for f in REFUSED if f.matches(data)), None)


def by_pillow(pillow_format: str) -> ImageFormat:
    """The accepted format Pillow reported opening (KeyError for any other)."""
    return _BY_PILLOW[PILLOW_ALIASES.get(pillow_format, pillow_format)]


_BY_PILLOW = {f.pillow: f for f in ACCEPTED}
