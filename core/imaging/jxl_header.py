"""The width and height a JPEG XL file declares, read from its first bytes.

pillow-jxl-plugin decodes every pixel inside Image.open, before we could look at the size it reports, so
the pixel limit has to be checked from the header first (ISO/IEC 18181-1 SizeHeader, bit-packed
least significant bit first; in the container, the codestream starts in the jxlc or first jxlp box).
"""

from __future__ import annotations

from core.imaging.headers import HeaderUnreadable

CONTAINER = b"\x00\x00\x00\x0cJXL \r\n\x87\n"
CODESTREAM = b"\xff\x0a"
# SizeHeader's fixed aspect ratios: width = height * numerator // denominator.
_RATIOS = {1: (1, 1), 2: (12, 10), 3: (4, 3), 4: (3, 2), 5: (16, 9), 6: (5, 4), 7: (2, 1)}
_SIZE_BITS = (9, 13, 18, 30)  # U32(BitsOffset(9, 1), BitsOffset(13, 1), BitsOffset(18, 1), BitsOffset(30, 1))


def declared_size(data: bytes) -> tuple[int, int]:
    """(width, height) as stored, before any orientation; HeaderUnreadable when it cannot be read."""
    bits = _Bits(_codestream(data))
    if bits.read(16) != int.from_bytes(CODESTREAM, "little"):
        raise HeaderUnreadable("the codestream does not start with the JPEG XL signature")
    small = bits.read(1)
    height = (bits.read(5) + 1) * 8 if small else _size(bits)
    ratio = bits.read(3)
    if ratio:
        numerator, denominator = _RATIOS[ratio]
        return height * numerator // denominator, height
    return ((bits.read(5) + 1) * 8 if small else _size(bits)), height


def _size(bits: _Bits) -> int:
    return bits.read(_SIZE_BITS[bits.read(2)]) + 1


def _codestream(data: bytes) -> bytes:
    """The start of the codestream: the file itself, or the first codestream box's contents."""
    if data.startswith(CODESTREAM):
        return data
    offset = 0
    while offset + 8 <= len(data):
        size, kind = int.from_bytes(data[offset:offset + 4], "big"), data[offset + 4:offset + 8]
        header = 8
        if size == 1:  # a 64-bit size follows the type
            size, header = int.from_bytes(data[offset + 8:offset + 16], "big"), 16
        if size and size < header:  # a box shorter than its own header: nothing after it can be found
            break
        end = len(data) if size == 0 else offset + size
        if kind == b"jxlc":
            return data[offset + header:end]
        if kind == b"jxlp":  # partial codestream: a 4-byte sequence number, then the bytes
            return data[offset + header + 4:end]
        offset = end
    raise HeaderUnreadable("no codestream box before the file ends")


class _Bits:
    """Reads JPEG XL's bit fields: least significant bit of each byte first."""

    def __init__(self, data: bytes) -> None:
        self._data, self._position = data, 0

    def read(self, count: int) -> int:
        value = 0
        for index in range(count):
            byte = self._position >> 3
            if byte >= len(self._data):
                raise HeaderUnreadable("the header is cut short")
            value |= (self._data[byte] >> (self._position & 7) & 1) << index
            self._position += 1
        return value
