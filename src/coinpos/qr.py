"""QR codes of payment URIs, as PNG or SVG, through segno.

Defaults: error correction level M (about 15% of the symbol can be lost: enough for a
screen or a receipt printer, while keeping the symbol small; segno raises the level further
when that fits in the same version), a regular QR code (never a Micro QR, which wallets do not
read), 8 pixels per module and the 4-module quiet zone the QR standard requires.

Both images are black modules on an opaque white background that covers the quiet zone
too: a transparent SVG shows the page through it, and on a dark page the dark modules
and the quiet zone vanish into it, so no camera can read the code.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any, Literal

import segno

from coinpos.errors import CoinposError

__all__ = [
    "DEFAULT_BORDER",
    "DEFAULT_ERROR",
    "DEFAULT_SCALE",
    "ErrorLevel",
    "QrError",
    "make_qr",
    "png_bytes",
    "svg_bytes",
    "write_png",
    "write_svg",
]

ErrorLevel = Literal["L", "M", "Q", "H"]

DEFAULT_ERROR: ErrorLevel = "M"
DEFAULT_SCALE = 8
DEFAULT_BORDER = 4
DARK = "#000"
LIGHT = "#fff"


class QrError(CoinposError, ValueError):
    """A QR code cannot be made from the given text or options."""


def make_qr(uri: str, *, error: ErrorLevel = DEFAULT_ERROR) -> Any:
    """The `segno.QRCode` of `uri` (byte mode as needed, regular QR, at least level `error`)."""
    if not uri:
        raise QrError("cannot make a QR code of an empty text")
    if error not in ("L", "M", "Q", "H"):
        raise QrError(f"bad error correction level {error!r}: expected L, M, Q or H")
    try:
        return segno.make(uri, error=error, micro=False, boost_error=True)
    except segno.DataOverflowError as exc:
        raise QrError(f"text of {len(uri)} characters does not fit in a QR code: {exc}") from exc


def _check_size(scale: int, border: int) -> None:
    if isinstance(scale, bool) or not isinstance(scale, int) or scale < 1:
        raise QrError(f"bad scale {scale!r}: expected a whole number of pixels, 1 or more")
    if isinstance(border, bool) or not isinstance(border, int) or border < 0:
        raise QrError(f"bad border {border!r}: expected a whole number of modules, 0 or more")


def _render(
    uri: str, kind: Literal["png", "svg"], scale: int, border: int, error: ErrorLevel
) -> bytes:
    _check_size(scale, border)
    buffer = io.BytesIO()
    make_qr(uri, error=error).save(
        buffer, kind=kind, scale=scale, border=border, dark=DARK, light=LIGHT
    )
    return buffer.getvalue()


def png_bytes(
    uri: str,
    *,
    scale: int = DEFAULT_SCALE,
    border: int = DEFAULT_BORDER,
    error: ErrorLevel = DEFAULT_ERROR,
) -> bytes:
    """A PNG image (black on white, 1 bit per pixel) of the QR code of `uri`."""
    return _render(uri, "png", scale, border, error)


def svg_bytes(
    uri: str,
    *,
    scale: int = DEFAULT_SCALE,
    border: int = DEFAULT_BORDER,
    error: ErrorLevel = DEFAULT_ERROR,
) -> bytes:
    """An SVG document (UTF-8, with XML declaration) of the QR code of `uri`, black on an
    opaque white background."""
    return _render(uri, "svg", scale, border, error)


def write_png(
    uri: str,
    path: str | Path,
    *,
    scale: int = DEFAULT_SCALE,
    border: int = DEFAULT_BORDER,
    error: ErrorLevel = DEFAULT_ERROR,
) -> Path:
    """Write the PNG of `uri` to `path`, creating parent folders; return the path."""
    return _write(png_bytes(uri, scale=scale, border=border, error=error), path)


def write_svg(
    uri: str,
    path: str | Path,
    *,
    scale: int = DEFAULT_SCALE,
    border: int = DEFAULT_BORDER,
    error: ErrorLevel = DEFAULT_ERROR,
) -> Path:
    """Write the SVG of `uri` to `path`, creating parent folders; return the path."""
    return _write(svg_bytes(uri, scale=scale, border=border, error=error), path)


def _write(data: bytes, path: str | Path) -> Path:
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
    return target
