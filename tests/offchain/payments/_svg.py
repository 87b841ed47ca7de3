"""A rasterizer for the QR SVGs segno writes.

segno draws the light background, when there is one, as a filled path over the whole
symbol (`M0 0h29v29h-29z`), then each row of dark modules as horizontal lines through the
row's middle (`M4 4.5h7m1 0h3...`), both under `transform="scale(n)"`. This reads the
paths back, so the SVG can be compared with the symbol and decoded like the PNG, and
painted over a page of any shade, as a browser would show it: where the SVG draws
nothing, the page shows through.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import numpy as np
from numpy.typing import NDArray

SVG_NS = "{http://www.w3.org/2000/svg}"
_COMMAND_RE = re.compile(r"([MmHhVvZz])([^MmHhVvZz]*)")
_GREYS = {"#000": 0, "#000000": 0, "black": 0, "#fff": 255, "#ffffff": 255, "white": 255}


def _paths(data: bytes) -> tuple[ET.Element, list[ET.Element]]:
    root = ET.fromstring(data)
    group = root.find(f"{SVG_NS}g")
    container = root if group is None else group
    return root, container.findall(f"{SVG_NS}path")


def _scale(root: ET.Element, paths: list[ET.Element]) -> int:
    group = root.find(f"{SVG_NS}g")
    holder = group if group is not None else paths[0]
    found = re.fullmatch(r"scale\(([0-9]+)\)", holder.attrib.get("transform", "scale(1)"))
    if found is None:
        raise ValueError(f"unexpected transform {holder.attrib.get('transform')!r}")
    return int(found[1])


def _runs(d: str, size: int) -> NDArray[np.uint8]:
    """The cells (1 = drawn) of a path of horizontal runs (stroked, one cell high)."""
    cells = np.zeros((size, size), dtype=np.uint8)
    x = y = 0.0
    for command, args in _COMMAND_RE.findall(d):
        numbers = [float(n) for n in re.findall(r"-?[0-9.]+", args)]
        if command == "M":
            x, y = numbers
        elif command == "m":
            x, y = x + numbers[0], y + numbers[1]
        elif command in "hH":
            end = x + numbers[0] if command == "h" else numbers[0]
            start, stop = sorted((int(x), int(end)))
            cells[int(y), start:stop] = 1
            x = end
        else:
            raise ValueError(f"unexpected path command {command!r}")
    return cells


def _filled_square(d: str, size: int) -> bool:
    """Whether a filled path is the square over the whole symbol."""
    return d.strip() == f"M0 0h{size}v{size}h-{size}z"


def svg_modules(data: bytes) -> NDArray[np.uint8]:
    """The modules (1 = dark) of a segno QR SVG, quiet zone included."""
    root, paths = _paths(data)
    size = int(root.attrib["width"]) // _scale(root, paths)
    strokes = [p for p in paths if "stroke" in p.attrib]
    if len(strokes) != 1:
        raise ValueError(f"expected one stroked path of modules, found {len(strokes)}")
    return _runs(strokes[0].attrib["d"], size)


def svg_background(data: bytes) -> int | None:
    """The grey (0-255) of an opaque background over the whole symbol, or None."""
    root, paths = _paths(data)
    size = int(root.attrib["width"]) // _scale(root, paths)
    for path in paths:
        fill = path.attrib.get("fill")
        if fill and "stroke" not in path.attrib and _filled_square(path.attrib["d"], size):
            if path.attrib.get("fill-opacity", "1") != "1" or fill not in _GREYS:
                return None
            return _GREYS[fill]
    return None


def render_on_page(data: bytes, page: int, pixels: int = 4) -> NDArray[np.uint8]:
    """The SVG painted over a page of grey `page`, as a greyscale image."""
    root, paths = _paths(data)
    size = int(root.attrib["width"]) // _scale(root, paths)
    image = np.full((size, size), page, dtype=np.uint8)
    background = svg_background(data)
    if background is not None:
        image[:, :] = background
    for path in paths:
        if "stroke" in path.attrib:
            image[_runs(path.attrib["d"], size) == 1] = _GREYS[path.attrib["stroke"]]
    return np.kron(image, np.ones((pixels, pixels), dtype=np.uint8))


def modules_to_image(modules: NDArray[np.uint8], pixels: int = 4) -> NDArray[np.uint8]:
    """A greyscale image (dark = 0, light = 255) with `pixels` per module."""
    light = ((1 - modules) * 255).astype(np.uint8)
    return np.kron(light, np.ones((pixels, pixels), dtype=np.uint8))
