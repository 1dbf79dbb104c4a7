"""A Display P3 ICC profile, built here: Pillow can create only an sRGB one, and no package in our locks ships
P3. Display P3 is the sRGB tone curve with DCI-P3 primaries and a D65 white; phones tag their photos with it.

An ICC v2 matrix/TRC profile: header, tag table, media white point, the three colorants adapted to the
profile connection space's D50 white (Bradford), and parametric sRGB curves.
"""

from __future__ import annotations

import struct

import numpy as np

_PRIMARIES = ((0.680, 0.320), (0.265, 0.690), (0.150, 0.060))  # red, green, blue chromaticities (x, y)
_D65 = (0.3127, 0.3290)
_D50_XYZ = (0.9642, 1.0, 0.8249)  # the profile connection space's white, as ICC fixes it
_BRADFORD = np.array([[0.8951, 0.2664, -0.1614], [-0.7502, 1.7135, 0.0367], [0.0389, -0.0685, 1.0296]])
# The sRGB curve as ICC parametric function type 3: Y = (aX + b)^g for X >= d, else cX.
_SRGB_CURVE = (2.4, 1 / 1.055, 0.055 / 1.055, 1 / 12.92, 0.04045)


def display_p3() -> bytes:
    """The Display P3 profile's bytes, to embed in a JPEG, HEIC, AVIF or JPEG XL."""
    colorants = _adapted_colorants()
    curve = _para(_SRGB_CURVE)
    tags = [(b"desc", _desc("Display P3")), (b"cprt", _text("No copyright, use freely")),
            (b"wtpt", _xyz(_D50_XYZ)), *[(name, _xyz(column)) for name, column in
                                          zip((b"rXYZ", b"gXYZ", b"bXYZ"), colorants.T, strict=True)],
            (b"rTRC", curve), (b"gTRC", curve), (b"bTRC", curve)]
    return _assemble(tags)


def _adapted_colorants() -> np.ndarray:
    """The RGB -> XYZ matrix of P3 at D65, adapted to D50 (columns: red, green, blue)."""
    xyz = np.array([[x / y, 1.0, (1 - x - y) / y] for x, y in _PRIMARIES]).T
    white = np.array([_D65[0] / _D65[1], 1.0, (1 - _D65[0] - _D65[1]) / _D65[1]])
    rgb_to_xyz = xyz * np.linalg.solve(xyz, white)
    cone_ratio = (_BRADFORD @ np.array(_D50_XYZ)) / (_BRADFORD @ white)
    adaptation = np.linalg.inv(_BRADFORD) @ np.diag(cone_ratio) @ _BRADFORD
    result: np.ndarray = adaptation @ rgb_to_xyz
    return result


def _s15(value: float) -> bytes:
    return struct.pack(">i", round(value * 65536))


def _xyz(values: object) -> bytes:
    return b"XYZ \0\0\0\0" + b"".join(_s15(float(v)) for v in values)  # type: ignore[attr-defined]


def _para(parameters: tuple[float, ...]) -> bytes:
    return b"para\0\0\0\0" + struct.pack(">HH", 3, 0) + b"".join(_s15(p) for p in parameters)


def _text(text: str) -> bytes:
    return b"text\0\0\0\0" + text.encode("ascii") + b"\0"


def _desc(text: str) -> bytes:
    ascii_text = text.encode("ascii") + b"\0"
    # ASCII description, then empty Unicode and ScriptCode descriptions (v2 textDescriptionType).
    return b"desc\0\0\0\0" + struct.pack(">I", len(ascii_text)) + ascii_text + b"\0" * 12 + b"\0" * 67


def _assemble(tags: list[tuple[bytes, bytes]]) -> bytes:
    offset = 128 + 4 + 12 * len(tags)
    table, data = [struct.pack(">I", len(tags))], b""
    for signature, body in tags:
        padded = body + b"\0" * (-len(body) % 4)
        table.append(signature + struct.pack(">II", offset + len(data), len(body)))
        data += padded
    body = b"".join(table) + data
    size = 128 + len(body)
    header = (struct.pack(">I", size) + b"\0" * 4 + bytes((2, 0x10, 0, 0)) + b"mntrRGB XYZ "
              + struct.pack(">6H", 2026, 1, 1, 0, 0, 0) + b"acsp" + b"\0" * 28
              + b"".join(_s15(v) for v in _D50_XYZ) + b"\0" * 48)
    assert len(header) == 128
    return header + body
