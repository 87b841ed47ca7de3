"""A rasterizer for the QR SVGs segno writes: one stroked path of horizontal runs.

segno draws each row of dark modules as horizontal lines through the row's middle
(`M4 4.5h7m1 0h3...`, under `transform="scale(n)"`). This reads the path back into a module
matrix (1 = dark), so the SVG can be compared and decoded like the PNG.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import numpy as np
from numpy.typing import NDArray

SVG_NS = "{http://www.w3.org/2000/svg}"
_COMMAND_RE = re.compile(r"([MmHhVvZz])([^MmHhVvZz]*)")


def svg_modules(data: bytes) -> NDArray[np.uint8]:
    """The modules (1 = dark) of a segno QR SVG, quiet zone included."""
    root = ET.fromstring(data)
    path = root.find(f"{SVG_NS}path")
    if path is None:
        raise ValueError("no path in the SVG")
    scale_match = re.fullmatch(r"scale\(([0-9]+)\)", path.attrib.get("transform", "scale(1)"))
    if scale_match is None:
        raise ValueError(f"unexpected transform {path.attrib.get('transform')!r}")
    scale = int(scale_match[1])
    size = int(root.attrib["width"]) // scale
    modules = np.zeros((size, size), dtype=np.uint8)
    x = y = 0.0
    for command, args in _COMMAND_RE.findall(path.attrib["d"]):
        numbers = [float(n) for n in re.findall(r"-?[0-9.]+", args)]
        if command == "M":
            x, y = numbers
        elif command == "m":
            x, y = x + numbers[0], y + numbers[1]
        elif command in "hH":
            end = x + numbers[0] if command == "h" else numbers[0]
            row = int(y)
            start, stop = sorted((int(x), int(end)))
            modules[row, start:stop] = 1
            x = end
        else:
            raise ValueError(f"unexpected path command {command!r}")
    return modules


def modules_to_image(modules: NDArray[np.uint8], pixels: int = 4) -> NDArray[np.uint8]:
    """A greyscale image (dark = 0, light = 255) with `pixels` per module."""
    light = ((1 - modules) * 255).astype(np.uint8)
    return np.kron(light, np.ones((pixels, pixels), dtype=np.uint8))
