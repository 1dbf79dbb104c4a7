"""The width and height a HEIF or AVIF file declares for its primary image, read from the boxes (ISO/IEC
14496-12) before any decoder runs.

A regular file describes its items in a meta box: pitm names the primary item, and iprp associates it (ipma)
with properties (ipco), one of them its spatial extent, ispe. A grid's extent is the whole picture's, its
tiles have their own. A minimized file (brand mif3, ISO/IEC 23008-12's low-overhead format) has a mini box
instead, whose bit fields start with the size.
"""

from __future__ import annotations

from collections.abc import Iterator

from core.imaging.headers import HeaderUnreadable

_FULL_BOX = 4  # version (1 byte) and flags (3 bytes), before a full box's fields


def declared_size(data: bytes) -> tuple[int, int]:
    """(width, height) of the primary image as coded, before any crop or turn; HeaderUnreadable otherwise."""
    for kind, start, end in _boxes(data, 0, len(data)):
        if kind == b"meta":
            return _primary_extent(data, start + _FULL_BOX, end)
        if kind == b"mini":
            return _minimized_extent(data[start:end])
    raise HeaderUnreadable("no meta or mini box before the file ends")


def _primary_extent(data: bytes, start: int, end: int) -> tuple[int, int]:
    children = _children(data, start, end)
    if b"pitm" not in children or b"iprp" not in children:
        raise HeaderUnreadable("no primary item, or no item properties")
    primary = _primary_item(data, *children[b"pitm"])
    properties = _children(data, *children[b"iprp"])
    if b"ipco" not in properties or b"ipma" not in properties:
        raise HeaderUnreadable("no property container, or no associations")
    listed = list(_boxes(data, *properties[b"ipco"]))
    for index in _associated(data, primary, *properties[b"ipma"]):
        if 0 < index <= len(listed) and listed[index - 1][0] == b"ispe":
            return _int(data, listed[index - 1][1] + _FULL_BOX, 4), _int(data, listed[index - 1][1] + 8, 4)
    raise HeaderUnreadable("the primary item has no spatial extent (ispe)")


def _primary_item(data: bytes, start: int, end: int) -> int:
    return _int(data, start + _FULL_BOX, 2 if _int(data, start, 1) == 0 else 4)


def _associated(data: bytes, item: int, start: int, end: int) -> Iterator[int]:
    """The 1-based indices into ipco of the properties associated with `item`."""
    version, wide = _int(data, start, 1), _int(data, start + 3, 1) & 1
    offset = start + _FULL_BOX + 4
    for _ in range(_int(data, start + _FULL_BOX, 4)):
        item_id = _int(data, offset, 2 if version < 1 else 4)
        offset += 2 if version < 1 else 4
        count, offset = _int(data, offset, 1), offset + 1
        for _ in range(count):
            association = _int(data, offset, 2 if wide else 1)
            offset += 2 if wide else 1
            if item_id == item:
                yield association & (0x7FFF if wide else 0x7F)  # the top bit marks it essential
        if item_id == item or offset > end:
            return


def _minimized_extent(body: bytes) -> tuple[int, int]:
    """From the mini box's leading bit fields: version (2 bits), nine flags, chroma subsampling (2),
    orientation (3), then large_dimensions_flag and each side less one in 15 bits, or in 7 without it."""
    if len(body) < 6:
        raise HeaderUnreadable("the mini box is cut short")
    bits = int.from_bytes(body[:6], "big")
    large = bits >> (47 - 16) & 1
    side_bits = 15 if large else 7
    width = bits >> (47 - 16 - side_bits) & ((1 << side_bits) - 1)
    height = bits >> (47 - 16 - 2 * side_bits) & ((1 << side_bits) - 1)
    return width + 1, height + 1


def _children(data: bytes, start: int, end: int) -> dict[bytes, tuple[int, int]]:
    return {kind: (child_start, child_end) for kind, child_start, child_end in _boxes(data, start, end)}


def _boxes(data: bytes, start: int, end: int) -> Iterator[tuple[bytes, int, int]]:
    """(type, contents start, contents end) of each box from `start` to `end`."""
    offset = start
    while offset + 8 <= end:
        size, kind, header = _int(data, offset, 4), data[offset + 4:offset + 8], 8
        if size == 1:  # a 64-bit size follows the type
            size, header = _int(data, offset + 8, 8), 16
        box_end = end if size == 0 else offset + size
        if box_end < offset + header:
            raise HeaderUnreadable(f"a {kind.decode('latin-1')!r} box is shorter than its own header")
        yield kind, offset + header, min(box_end, end)  # a box cut short: what is there, then the end
        offset = box_end


def _int(data: bytes, offset: int, size: int) -> int:
    if offset + size > len(data):
        raise HeaderUnreadable("the header is cut short")
    return int.from_bytes(data[offset:offset + size], "big")
