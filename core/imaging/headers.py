"""The width and height an image file declares, read from its first bytes before any decoder runs.

Some decoders give up on a huge image before Pillow can report its size (libavif refuses more than
16384×16384 pixels, and Image.open then calls the file unreadable), some allocate for it inside Image.open
(libwebp, an animation's canvas), and Pillow's own bomb check counts the pixels but not the sides. Read
here, every format's pixel limit is checked before decoding and names the size. Each reader raises
HeaderUnreadable when the bytes do not say; the decoder's own reading then gives the reason. HEIF and AVIF
are read in isobmff.py, JPEG XL in jxl_header.py.
"""

from __future__ import annotations

import struct

# JPEG's frame headers (SOF0..SOF15), which hold the size; C4, C8 and CC share the range but are not frames.
_JPEG_FRAMES = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}
_JPEG_STANDALONE = frozenset({0x01, *range(0xD0, 0xD9)})  # TEM, RST0..7 and SOI carry no length
_TIFF_WIDTH, _TIFF_LENGTH, _TIFF_SHORT = 256, 257, 3


class HeaderUnreadable(ValueError):
    """The bytes end, or are malformed, before the size is known."""


def png(data: bytes) -> tuple[int, int]:
    if data[12:16] != b"IHDR":
        raise HeaderUnreadable("the first chunk is not IHDR")
    return _pair(">II", data, 16)


def gif(data: bytes) -> tuple[int, int]:
    """The logical screen, widened to hold the first frame as Pillow widens it."""
    width, height = _pair("<HH", data, 6)
    flags = _one("<B", data, 10)
    offset = 13 + (3 << (flags & 7) + 1 if flags & 0x80 else 0)  # after the global colour table
    while data[offset:offset + 1] == b"!":  # extensions: a label, then sub-blocks up to an empty one
        offset += 2
        while (size := _one("<B", data, offset)) != 0:
            offset += 1 + size
        offset += 1
    if data[offset:offset + 1] != b",":
        raise HeaderUnreadable("no image descriptor after the extensions")
    left, top = _pair("<HH", data, offset + 1)
    frame_width, frame_height = _pair("<HH", data, offset + 5)
    return max(width, left + frame_width), max(height, top + frame_height)


def bmp(data: bytes) -> tuple[int, int]:
    if _one("<I", data, 14) == 12:  # OS/2's core header: 16-bit sides
        return _pair("<HH", data, 18)
    width, height = _pair("<ii", data, 18)
    return abs(width), abs(height)  # a negative height stores the rows top down


def tiff(data: bytes) -> tuple[int, int]:
    """The first image's ImageWidth and ImageLength, each a SHORT or a LONG."""
    order = "<" if data.startswith(b"II") else ">"
    first = _one(order + "I", data, 4)
    entries = _one(order + "H", data, first)
    sides: dict[int, int] = {}
    for entry in range(first + 2, first + 2 + 12 * entries, 12):
        tag, kind = _pair(order + "HH", data, entry)
        if tag in (_TIFF_WIDTH, _TIFF_LENGTH):
            sides[tag] = _one(order + ("H" if kind == _TIFF_SHORT else "I"), data, entry + 8)
    if len(sides) < 2:
        raise HeaderUnreadable("the first directory has no width or no length")
    return sides[_TIFF_WIDTH], sides[_TIFF_LENGTH]


def jpeg(data: bytes) -> tuple[int, int]:
    """From the frame header, found by walking the segments that come before it."""
    offset = 2
    while True:
        if data[offset:offset + 1] != b"\xff":
            raise HeaderUnreadable("a segment does not start with a marker")
        marker = data[offset + 1] if offset + 1 < len(data) else 0xD9
        if marker in _JPEG_FRAMES:
            height, width = _pair(">HH", data, offset + 5)
            return width, height
        if marker in (0xD9, 0xDA):
            raise HeaderUnreadable("no frame header before the scan")
        if marker == 0xFF or marker in _JPEG_STANDALONE:  # a fill byte, or a marker without a segment
            offset += 1 if marker == 0xFF else 2
            continue
        offset += 2 + _one(">H", data, offset + 2)


def webp(data: bytes) -> tuple[int, int]:
    """The canvas (extended format) or the one frame (lossy VP8, lossless VP8L)."""
    chunk = data[12:16]
    if chunk == b"VP8X":
        return _one("<I", data[24:27] + b"\0", 0) + 1, _one("<I", data[27:30] + b"\0", 0) + 1
    if chunk == b"VP8L" and data[20:21] == b"\x2f":
        bits = _one("<I", data, 21)
        return (bits & 0x3FFF) + 1, (bits >> 14 & 0x3FFF) + 1
    if chunk == b"VP8 " and data[23:26] == b"\x9d\x01\x2a":
        width, height = _pair("<HH", data, 26)
        return width & 0x3FFF, height & 0x3FFF  # the top two bits are a scale for display
    raise HeaderUnreadable("no VP8, VP8L or VP8X chunk first")


def _pair(layout: str, data: bytes, offset: int) -> tuple[int, int]:
    first, second = _unpack(layout, data, offset)
    return first, second


def _one(layout: str, data: bytes, offset: int) -> int:
    (value,) = _unpack(layout, data, offset)
    return value


def _unpack(layout: str, data: bytes, offset: int) -> tuple[int, ...]:
    try:
        return struct.unpack_from(layout, data, offset)
    except struct.error:
        raise HeaderUnreadable("the header is cut short") from None
