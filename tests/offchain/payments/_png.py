"""A small PNG reader for the QR tests: greyscale and palette images, as a numpy array.

Pillow is not installed, and the QR test must decode the PNG file coinpos writes, not the
matrix segno holds in memory. This reader checks the signature and every chunk's CRC, inflates
the image data, undoes the five PNG row filters and expands packed pixels.
"""

from __future__ import annotations

import struct
import zlib

import numpy as np
from numpy.typing import NDArray

SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _paeth(a: int, b: int, c: int) -> int:
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    if pa <= pb and pa <= pc:
        return a
    return b if pb <= pc else c


def _unfilter(data: bytes, height: int, stride: int, bpp: int) -> list[bytearray]:
    rows: list[bytearray] = []
    previous = bytearray(stride)
    pos = 0
    for _ in range(height):
        kind = data[pos]
        row = bytearray(data[pos + 1 : pos + 1 + stride])
        pos += 1 + stride
        for i in range(stride):
            left = row[i - bpp] if i >= bpp else 0
            up = previous[i]
            upleft = previous[i - bpp] if i >= bpp else 0
            if kind == 1:
                row[i] = (row[i] + left) & 0xFF
            elif kind == 2:
                row[i] = (row[i] + up) & 0xFF
            elif kind == 3:
                row[i] = (row[i] + (left + up) // 2) & 0xFF
            elif kind == 4:
                row[i] = (row[i] + _paeth(left, up, upleft)) & 0xFF
            elif kind != 0:
                raise ValueError(f"unknown PNG filter type {kind}")
        rows.append(row)
        previous = row
    return rows


def read_png_grey(data: bytes) -> NDArray[np.uint8]:
    """Decode a non-interlaced greyscale or palette PNG into an 8-bit greyscale array."""
    if data[:8] != SIGNATURE:
        raise ValueError("not a PNG: bad signature")
    pos = 8
    header: tuple[int, ...] = ()
    palette = b""
    idat = bytearray()
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind = data[pos + 4 : pos + 8]
        body = data[pos + 8 : pos + 8 + length]
        (crc,) = struct.unpack(">I", data[pos + 8 + length : pos + 12 + length])
        if zlib.crc32(kind + body) != crc:
            raise ValueError(f"bad CRC in PNG chunk {kind!r}")
        pos += 12 + length
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"PLTE":
            palette = body
        elif kind == b"IDAT":
            idat += body
        elif kind == b"IEND":
            break
    width, height, depth, colour, _, _, interlace = header
    if colour not in (0, 3) or interlace != 0:
        raise ValueError(f"unsupported PNG: colour type {colour}, interlace {interlace}")
    stride = (width * depth + 7) // 8
    rows = _unfilter(zlib.decompress(bytes(idat)), height, stride, max(1, depth // 8))
    packed = np.array(rows, dtype=np.uint8)
    if depth == 8:
        values = packed
    else:
        bits = np.unpackbits(packed, axis=1)
        per_pixel = bits.reshape(height, -1, depth)[:, :width, :]
        weights = (1 << np.arange(depth - 1, -1, -1)).astype(np.uint8)
        values = (per_pixel * weights).sum(axis=2).astype(np.uint8)
    if colour == 3:
        greys = np.array(
            [sum(palette[3 * i : 3 * i + 3]) // 3 for i in range(len(palette) // 3)],
            dtype=np.uint8,
        )
        return greys[values]
    return (values.astype(np.uint32) * 255 // ((1 << depth) - 1)).astype(np.uint8)
