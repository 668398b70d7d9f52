"""Arrays to RGB pictures, shared by the CLI's PNGs and the GUI's exports so both show the same colours."""
from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from explorer.core.errors import UserError

# The app's two colormaps, as 17 anchor colours (RGB) each; 256-entry tables are interpolated from them. The GUI
# builds its pyqtgraph colormaps from these tables, so a PNG from the CLI and the window show the same colours.
# Diverging for signed maps (convolution outputs), white-ish at 0: CET-D1 (Kovesi's perceptually uniform
# blue-white-red, CC BY 4.0), sampled from pyqtgraph's copy.
_DIVERGING_ANCHORS = np.array(
    [[33, 81, 219], [81, 97, 222], [111, 116, 225], [137, 135, 228], [159, 155, 231], [181, 176, 234],
     [201, 196, 236], [220, 218, 238], [237, 231, 233], [242, 214, 207], [240, 189, 177], [237, 164, 147],
     [231, 139, 118], [223, 114, 90], [214, 87, 62], [203, 56, 35], [192, 2, 6]], dtype=np.float64)
# Sequential for activations: inferno (matplotlib's, CC0), sampled the same way.
_SEQUENTIAL_ANCHORS = np.array(
    [[0, 0, 4], [10, 7, 35], [32, 12, 73], [60, 9, 100], [86, 15, 109], [112, 25, 110], [137, 34, 106],
     [162, 43, 97], [187, 54, 84], [208, 69, 68], [227, 89, 50], [241, 113, 30], [249, 140, 9], [252, 170, 15],
     [249, 201, 50], [242, 232, 101], [252, 255, 164]], dtype=np.float64)


def _lut(anchors: np.ndarray) -> np.ndarray:
    positions = np.linspace(0.0, 1.0, len(anchors))
    grid = np.linspace(0.0, 1.0, 256)
    table = np.stack([np.interp(grid, positions, anchors[:, c]) for c in range(3)], axis=1)
    return np.round(table).astype(np.uint8)


DIVERGING_LUT = _lut(_DIVERGING_ANCHORS)
SEQUENTIAL_LUT = _lut(_SEQUENTIAL_ANCHORS)


def symmetric_limit(values: np.ndarray) -> float:
    """The colour scale ±limit that puts 0 at the centre of the diverging map."""
    limit = max(float(np.max(values)), -float(np.min(values))) if values.size else 0.0  # no copies: 3 MP in ~2 ms
    if not np.isfinite(limit):  # NaN (unrevealed units) or inf somewhere: only then pay for the masked copy
        finite = values[np.isfinite(values)]
        limit = float(np.max(np.abs(finite))) if finite.size else 0.0
    return limit if limit > 0 else 1.0


def signed_to_rgb(values: np.ndarray, limit: float | None = None) -> np.ndarray:
    """(H,W) signed map -> (H,W,3) uint8: 0 at the neutral centre, negative blue, positive red."""
    limit = symmetric_limit(values) if limit is None else limit
    index = np.clip((values / limit + 1.0) * 127.5, 0, 255)
    return DIVERGING_LUT[np.nan_to_num(index, nan=127.5).astype(np.uint8)]


GAP_RGB = (128, 128, 128)  # between mosaic tiles: a grey no sequential colour uses


def pack_rgb32(rgb: np.ndarray) -> np.ndarray:
    """(..., 3) uint8 -> (...) uint32 0xffRRGGBB: an opaque 32-bit screen pixel (Qt's RGB32), which the window
    draws without converting; packed off the GUI thread during live video (explorer/ui/raster.py)."""
    rgb = rgb.astype(np.uint32)
    return np.uint32(0xFF000000) | rgb[..., 0] << 16 | rgb[..., 1] << 8 | rgb[..., 2]


SEQUENTIAL_RGB32 = pack_rgb32(SEQUENTIAL_LUT)
GAP_RGB32 = pack_rgb32(np.array(GAP_RGB, np.uint8))


def _unit_index(values: np.ndarray) -> np.ndarray:
    return (np.clip(np.nan_to_num(values, nan=0.0), 0.0, 1.0) * 255.0).astype(np.uint8)


def unit_to_rgb(values: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
    """(H,W) values scaled to [0, 1] -> (H,W,3) uint8 sequential colours; where ``mask`` is False (gaps between
    mosaic tiles) the grey the Model Explorer draws there too."""
    rgb = SEQUENTIAL_LUT[_unit_index(values)]
    if mask is not None:
        rgb[~mask] = GAP_RGB
    return rgb


def unit_to_rgb32(values: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
    """unit_to_rgb's colours as packed screen pixels (pack_rgb32): the window's maps and the CLI's PNGs agree."""
    pixels = SEQUENTIAL_RGB32[_unit_index(values)]
    if mask is not None:
        pixels[~mask] = GAP_RGB32
    return pixels


def write_png(path: str | Path, rgb: np.ndarray) -> None:
    """Write an RGB (or gray) uint8 image; encode in memory so non-ASCII paths work everywhere."""
    path = Path(path)
    pixels = cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR) if rgb.ndim == 3 else rgb
    ok, encoded = cv2.imencode(".png", pixels)
    if not ok:
        raise UserError(f"Could not encode {path.name} as PNG.")
    try:
        path.write_bytes(encoded.tobytes())
    except OSError as exc:
        raise UserError(f"Cannot write {path}: {exc.strerror or exc}. Choose another folder.") from exc


def upscale_nearest(rgb: np.ndarray, min_side: int = 256) -> np.ndarray:
    """Blow tiny maps (a 4×4 output) up with square pixels so a PNG of them is visible."""
    side = min(rgb.shape[:2])
    factor = max(1, int(np.ceil(min_side / max(side, 1))))
    return np.repeat(np.repeat(rgb, factor, axis=0), factor, axis=1) if factor > 1 else rgb


_TINT = {"r": 0, "g": 1, "b": 2}


def input_view(pixels: np.ndarray, plane: np.ndarray, mode: str) -> np.ndarray:
    """What the kernel reads, as uint8 for display: one colour plane tinted in its colour, the RGB image for
    volume mode, else the gray plane stretched to its own range (a 0/1 grid stays black and white)."""
    if mode in _TINT and pixels.ndim == 3:
        tinted = np.zeros(pixels.shape, np.uint8)
        tinted[..., _TINT[mode]] = pixels[..., _TINT[mode]]
        return tinted
    if mode == "volume" and pixels.ndim == 3:
        return pixels
    lo, hi = float(plane.min()), float(plane.max())
    return np.clip((plane - lo) * (255.0 / (hi - lo if hi > lo else 1.0)), 0, 255).astype(np.uint8)


SLIDE_MAX_SIDE = 16   # maps up to this size are exported for slides: big square units, grid lines, values
SLIDE_UNIT = 48       # pixels per unit (at least 32 so a projected 4×4 map is legible)
GRID_RGB = (128, 128, 128)


def value_text(v: float) -> str:
    """A map value as the window and the slides print it (+ 0.0 turns -0.0 into 0)."""
    return f"{v + 0.0:.4g}"


def export_rgb(values: np.ndarray, show_values: bool = True, unit: int = SLIDE_UNIT) -> np.ndarray:
    """A signed map as the PNG to save: one pixel per unit for real images; a small map (the lecture's 3×3 or
    4×4) with ``unit``-pixel squares, grey grid lines and, if asked, each value printed in its square."""
    rgb = signed_to_rgb(values)
    if max(values.shape) > SLIDE_MAX_SIDE:
        return rgb
    h, w = values.shape
    big = np.repeat(np.repeat(rgb, unit, axis=0), unit, axis=1)
    big = np.pad(big, ((0, 1), (0, 1), (0, 0)))
    big[::unit, :] = GRID_RGB
    big[:, ::unit] = GRID_RGB
    if not show_values:
        return big
    texts = [[value_text(float(v)) for v in row] for row in values]
    font = cv2.FONT_HERSHEY_SIMPLEX
    widest = max(cv2.getTextSize(t, font, 1.0, 2)[0][0] for row in texts for t in row)
    scale = min(0.8 * unit / max(widest, 1), unit / 48)
    for r in range(h):
        for c in range(w):
            (tw, th), _ = cv2.getTextSize(texts[r][c], font, scale, 2)
            dark = rgb[r, c].astype(np.float32) @ np.array([0.299, 0.587, 0.114]) < 128
            colour = (255, 255, 255) if dark else (0, 0, 0)
            origin = (c * unit + (unit - tw) // 2, r * unit + (unit + th) // 2)
            cv2.putText(big, texts[r][c], origin, font, scale, colour, 2, cv2.LINE_AA)
    return big
