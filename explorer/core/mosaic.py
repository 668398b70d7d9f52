"""All channels of one layer as a single mosaic image, and layer statistics.

The mosaic is a float32 image in [0, 1]: tile ``i`` (row-major) shows channel ``order[i]``, tiles are separated
by ``gap`` pixels. Gap pixels and the empty tiles after the last channel hold ``fill`` (1.0 by default: ReLU maps
are mostly 0, so white lines separate them best) and are False in ``mask``, so a view that colour-maps the image
can paint them its own way. Built with one reshape/transpose, no Python loop over channels.
"""
from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field
from typing import Literal

import numpy as np


@dataclass(frozen=True)
class Mosaic:
    image: np.ndarray        # float32 (H, W) in [0, 1]
    grid: tuple[int, int]    # (rows, cols)
    tile: tuple[int, int]    # one channel's (h, w)
    gap: int
    order: list[int]         # tile i shows channel order[i]
    mask: np.ndarray         # bool (H, W): True on channel pixels, False on gaps and empty tiles
    _tile_of: dict[int, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_tile_of", {c: i for i, c in enumerate(self.order)})

    def channel_at(self, y: int, x: int) -> int | None:
        """Channel shown at mosaic pixel (y, x), or None on a gap, an empty tile or outside."""
        h, w = self.tile
        if not (0 <= y < self.image.shape[0] and 0 <= x < self.image.shape[1]):
            return None
        row, ty = divmod(int(y), h + self.gap)
        col, tx = divmod(int(x), w + self.gap)
        index = row * self.grid[1] + col
        if ty >= h or tx >= w or index >= len(self.order):
            return None
        return self.order[index]

    def tile_origin(self, channel: int) -> tuple[int, int]:
        """Top-left mosaic pixel (y, x) of a channel's tile; KeyError for a channel not in the mosaic."""
        row, col = divmod(self._tile_of[channel], self.grid[1])
        return row * (self.tile[0] + self.gap), col * (self.tile[1] + self.gap)


@dataclass(frozen=True)
class LayerStats:
    min: float
    max: float
    mean: float
    std: float
    zero_fraction: float


@functools.lru_cache(maxsize=256)
def grid_for(channels: int, tile_h: int, tile_w: int, gap: int = 1, aspect: float = 1.0) -> tuple[int, int]:
    """(rows, cols) that show tiles of this shape largest in a box ``aspect`` times as wide as it is tall (1: a
    square mosaic); of grids whose tiles are as large, the one with the fewest empty tiles, then the widest (where
    the height decides, 9 columns of 64 maps leave a row with one map in it, 8 none). The tiles' width limits them
    below the column count where the mosaic has the box's shape and their height above it, so the columns tried
    are those within a factor 2 of that count (all of them for up to a few channels); the answer is cached."""
    def merit(cols: int) -> tuple[float, int, int]:
        rows = math.ceil(channels / cols)
        width, height = cols * (tile_w + gap) - gap, rows * (tile_h + gap) - gap
        return min(aspect / width, 1 / height), channels - rows * cols, cols   # size per pixel of box height

    most = max(channels, 1)
    balanced = math.sqrt(most * aspect * (tile_h + gap) / (tile_w + gap))
    tried = range(min(max(1, math.floor(balanced / 2)), most), min(most, math.ceil(balanced * 2) + 1) + 1)
    cols = max(tried, key=merit)
    return math.ceil(channels / cols), cols


def channel_mosaic(act: np.ndarray, normalize: Literal["channel", "layer"] = "channel",
                   sort_by_mean: bool = False, gap: int = 1, fill: float = 1.0, aspect: float = 1.0) -> Mosaic:
    """Activations (C, H, W) -> Mosaic. normalize="channel": each tile to its own min..max;
    "layer": one min..max for all tiles (shows which channels are strong). Constant tiles become 0.
    sort_by_mean puts the channel with the highest mean first. ``aspect``: the width / height of where the mosaic
    will be shown (grid_for)."""
    act = np.asarray(act)
    if act.ndim != 3 or 0 in act.shape:
        raise ValueError(f"channel_mosaic needs a non-empty (C, H, W) array, got shape {act.shape}; "
                         "draw vector activations (C,) as bars instead")
    if normalize not in ("channel", "layer"):
        raise ValueError(f"normalize must be 'channel' or 'layer', not {normalize!r}")
    if gap < 0:
        raise ValueError(f"gap must be >= 0, got {gap}")
    c, h, w = act.shape
    x = np.nan_to_num(act.astype(np.float32, copy=False), nan=0.0, posinf=0.0, neginf=0.0)
    if sort_by_mean:
        order = np.argsort(-x.mean(axis=(1, 2)), kind="stable")
        x = x[order]
        order_list = order.tolist()
    else:
        order_list = list(range(c))
    axes = (1, 2) if normalize == "channel" else None
    lo = x.min(axis=axes, keepdims=True)
    span = x.max(axis=axes, keepdims=True) - lo
    x = (x - lo) / np.where(span > 0, span, np.float32(1))  # constant tiles: x - lo == 0

    rows, cols = grid_for(c, h, w, gap, aspect)
    # Tiles are written straight into the image through a (rows, h+gap, cols, w+gap) view of it: no copies of a
    # tile grid (a live frame's mosaic is made on every frame).
    padded = np.full((rows * (h + gap), cols * (w + gap)), np.float32(fill), np.float32)
    grid = padded.reshape(rows, h + gap, cols, w + gap)
    full = c // cols
    grid[:full, :h, :, :w] = x[:full * cols].reshape(full, cols, h, w).transpose(0, 2, 1, 3)
    if c > full * cols:  # the last, partly filled row of tiles
        grid[full, :h, :c - full * cols, :w] = x[full * cols:].transpose(1, 0, 2)
    # The trailing gap after the last row/column is not needed.
    shape = (rows * (h + gap) - gap, cols * (w + gap) - gap)
    return Mosaic(image=np.ascontiguousarray(padded[:shape[0], :shape[1]]), grid=(rows, cols), tile=(h, w), gap=gap,
                  order=order_list, mask=_tile_mask(c, h, w, gap, cols))


@functools.lru_cache(maxsize=32)
def _tile_mask(c: int, h: int, w: int, gap: int, cols: int) -> np.ndarray:
    """True on channel pixels of a (c, h, w) mosaic in ``cols`` columns; one read-only array per layout, shared by
    its mosaics."""
    rows = math.ceil(c / cols)
    keep = np.zeros((rows, h + gap, cols, w + gap), bool)
    full = c // cols
    keep[:full, :h, :, :w] = True
    keep[full:full + 1, :h, :c - full * cols, :w] = True
    mask = np.ascontiguousarray(keep.reshape(rows * (h + gap), cols * (w + gap))[:rows * (h + gap) - gap,
                                                                                   :cols * (w + gap) - gap])
    mask.flags.writeable = False
    return mask


def layer_stats(act: np.ndarray) -> LayerStats:
    """Summary of a whole layer's values (any shape)."""
    x = np.asarray(act)
    if x.size == 0:
        raise ValueError("layer_stats needs a non-empty array")
    # No float64 copy of the layer (3 M values: 46 ms -> 11 ms); sums still accumulate in float64.
    mean = float(x.mean(dtype=np.float64))
    std = float(np.mean(np.square(x - x.dtype.type(mean)), dtype=np.float64)) ** 0.5 if x.dtype.kind == "f" \
        else float(x.std(dtype=np.float64))
    return LayerStats(min=float(x.min()), max=float(x.max()), mean=mean, std=std,
                      zero_fraction=float(np.count_nonzero(x == 0) / x.size))
