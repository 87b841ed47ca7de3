"""Chromium's screenshots are RGB(A) PNGs; the QR tests' reader takes greyscale and palette
ones. This reads 8-bit RGB/RGBA into greyscale with the same row unfiltering."""

from __future__ import annotations

import struct
import zlib

import numpy as np
import zxingcpp
from numpy.typing import NDArray

from tests.offchain.payments._png import SIGNATURE, _unfilter

CHANNELS = {2: 3, 6: 4}  # PNG colour type → bytes per pixel at depth 8


def read_png_rgb_grey(data: bytes) -> NDArray[np.uint8]:
    if data[:8] != SIGNATURE:
        raise ValueError("not a PNG: bad signature")
    pos, header, idat = 8, (), bytearray()
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
    width, height, depth, colour, _, _, interlace = header
    if depth != 8 or colour not in CHANNELS or interlace != 0:
        raise ValueError(f"unsupported PNG: depth {depth}, colour type {colour}")
    channels = CHANNELS[colour]
    rows = _unfilter(zlib.decompress(bytes(idat)), height, width * channels, channels)
    pixels = np.array(rows, dtype=np.uint8).reshape(height, width, channels)
    return pixels[:, :, :3].mean(axis=2).astype(np.uint8)


def decode_qr_screenshot(data: bytes) -> list[zxingcpp.Barcode]:
    return zxingcpp.read_barcodes(read_png_rgb_grey(data), formats=zxingcpp.BarcodeFormat.QRCode)
