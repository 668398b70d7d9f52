"""Arrays to RGB pictures, shared by the CLI's PNGs and the GUI's exports so both show the same colours."""
from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from explorer.core.errors import UserError

# Anchor colours (RGB) of the two colormaps; 256-entry tables are interpolated from them.
# Diverging blue-white-red for signed maps (convolution outputs): white is exactly 0.
_DIVERGING_ANCHORS = np.array(
    [[5, 48, 97], [33, 102, 172], [67, 147, 195], [146, 197, 222], [209, 229, 240], [247, 247, 247],
     [253, 219, 199], [244, 165, 130], [214, 96, 77], [178, 24, 43], [103, 0, 31]], dtype=np.float64)
# Sequential (viridis anchors) for non-negative maps such as activations after ReLU.
_SEQUENTIAL_ANCHORS = np.array(
    [[68, 1, 84], [72, 40, 120], [62, 74, 137], [49, 104, 142], [38, 130, 142], [31, 158, 137],
     [53, 183, 121], [109, 205, 89], [180, 222, 44], [253, 231, 37]], dtype=np.float64)


def _lut(anchors: np.ndarray) -> np.ndarray:
    positions = np.linspace(0.0, 1.0, len(anchors))
    grid = np.linspace(0.0, 1.0, 256)
    table = np.stack([np.interp(grid, positions, anchors[:, c]) for c in range(3)], axis=1)
    return np.round(table).astype(np.uint8)


DIVERGING_LUT = _lut(_DIVERGING_ANCHORS)
SEQUENTIAL_LUT = _lut(_SEQUENTIAL_ANCHORS)


def symmetric_limit(values: np.ndarray) -> float:
    """The colour scale ±limit that puts 0 at the centre of the diverging map."""
    finite = values[np.isfinite(values)]
    limit = float(np.max(np.abs(finite))) if finite.size else 0.0
    return limit if limit > 0 else 1.0


def signed_to_rgb(values: np.ndarray, limit: float | None = None) -> np.ndarray:
    """(H,W) signed map -> (H,W,3) uint8 with 0 white, negative blue, positive red."""
    limit = symmetric_limit(values) if limit is None else limit
    index = np.clip((values / limit + 1.0) * 127.5, 0, 255)
    return DIVERGING_LUT[np.nan_to_num(index, nan=127.5).astype(np.uint8)]


def unit_to_rgb(values: np.ndarray) -> np.ndarray:
    """(H,W) values already scaled to [0, 1] (NaN = background) -> (H,W,3) uint8 sequential colours."""
    index = np.clip(np.nan_to_num(values, nan=0.0), 0.0, 1.0) * 255.0
    rgb = SEQUENTIAL_LUT[index.astype(np.uint8)]
    rgb[np.isnan(values)] = 255  # gaps between tiles stay white
    return rgb


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
