"""The effective receptive field of one unit (Luo, Li, Urtasun & Zemel 2016), measured forward-only.

Which input pixels actually change unit (channel c, row y, col x) of a layer: around a base image (mid grey, or
the user's image) every pixel of the unit's theoretical receptive field is raised by ``delta`` in one input
channel at a time, the network up to the layer runs on a batch of such images, and the unit's change divided by
``delta`` is its sensitivity to that pixel and channel. The map holds, per pixel, the L2 norm over the input
channels. For a linear network this is exact (the change is linear in delta); otherwise it is the finite
difference around the base image, the forward-only stand-in for the gradient Luo et al. use.

Pixels outside the theoretical box cannot change the unit and are not measured (0). A box of ``P`` pixels on a
``C``-channel input takes ``P*C`` images; when that is over ``max_passes`` pixels are measured in ``block``x``block``
groups (one image per group and channel; every pixel of a group gets the group's change / its pixel count), which
the result reports. ``fraction90`` is the smallest share of the box's pixels that holds 90 % of the summed
magnitude: Luo et al.'s point is that it is far below 1.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import onnx

from explorer.core.errors import UserError
from explorer.core.explain.model import Cancelled, ExplainModel, Progress
from explorer.core.receptive_field import back_project

DELTA_LEVELS = 8       # the perturbation: 8 grey levels of the image (through the model's own scale and std)
MAX_PASSES = 4096
GREY = 128


@dataclass(frozen=True)
class EffectiveField:
    magnitude: np.ndarray               # float32 (H, W) of the model input: |d unit / d pixel|, 0 outside the box
    box: tuple[int, int, int, int]      # theoretical receptive field clipped to the input (top, left, bottom, right)
    full_box: tuple[int, int, int, int] | None  # the same unclipped; None when the unit sees the whole input
    fraction90: float                   # share of the box's pixels holding 90 % of the summed magnitude
    layer: str
    unit: tuple[int, int, int]          # (channel, row, col)
    value: float                        # the unit's value on the base image
    block: int                          # pixels measured together per side (1 = every pixel on its own)
    delta: float                        # the perturbation in model-input units
    passes: int                         # images run, the base image included
    base: str                           # "grey" or "image"
    notes: tuple[str, ...]
    seconds: float


def fraction_holding(values: np.ndarray, share: float = 0.9) -> float:
    """Smallest fraction of the entries whose sum reaches ``share`` of the total (0 when everything is 0)."""
    flat = np.sort(np.asarray(values, np.float64).ravel())[::-1]
    total = flat.sum()
    if flat.size == 0 or total <= 0:
        return 0.0
    count = int(np.searchsorted(np.cumsum(flat), share * total * (1 - 1e-12))) + 1
    return min(count, flat.size) / flat.size


def effective_receptive_field(model: ExplainModel | onnx.ModelProto | str | Path, layer: str,
                              unit: tuple[int, int, int], image: Any = None, *, block: int | None = None,
                              max_passes: int = MAX_PASSES, progress: Progress | None = None,
                              cancelled: Cancelled | None = None) -> EffectiveField:
    """Measure which pixels of the model input change ``unit`` = (channel, row, col) of ``layer``'s output."""
    started = time.perf_counter()
    em = model if isinstance(model, ExplainModel) else ExplainModel(model)
    tensor = em.tensor_of(layer)
    c, y, x = (int(v) for v in unit)
    shape = em.shapes.get(tensor)
    grid = _grid(shape, layer)
    if not (0 <= c < grid[0] and 0 <= y < grid[1] and 0 <= x < grid[2]):
        raise UserError(f"Unit ({c}, {y}, {x}) is outside layer {layer!r}, whose output has {grid[0]} channels of "
                        f"{grid[1]}x{grid[2]}: use 0 <= C < {grid[0]}, 0 <= Y < {grid[1]}, 0 <= X < {grid[2]}.")
    base_pixels = np.full(em.preprocess.size, GREY, np.uint8) if image is None else image
    x0 = em.prepare(base_pixels).tensor  # (1, C, H, W)
    channels, h, w = x0.shape[1:]
    full_box, box = _box(em, tensor, y, x, (h, w))
    top, left, bottom, right = box
    bh, bw = bottom - top + 1, right - left + 1
    if block is None:
        block = max(1, math.ceil(math.sqrt(bh * bw * channels / max_passes)))
    rows, cols = range(top, bottom + 1, block), range(left, right + 1, block)
    cells = [(r, q, ch) for r in rows for q in cols for ch in range(channels)]
    delta = _delta(em)
    net = em.net([em.input_name], [tensor])
    step = net.batch
    index = (slice(None), c, y, x) if len(shape) == 4 else (slice(None), c)
    items: list[tuple[int, int, int] | None] = [None, *cells]  # None: the base image itself
    responses = np.empty(len(items), np.float64)
    for start in range(0, len(items), step):
        stop = min(start + step, len(items))
        batch = np.repeat(x0, stop - start, axis=0)
        for i, item in enumerate(items[start:stop]):
            if item is not None:
                r, q, ch = item
                batch[i, ch, r:r + block, q:q + block] += delta[ch]
        responses[start:stop] = net.run({em.input_name: em.feed(batch)}, cancelled)[0][index]
        if progress is not None:
            progress(stop / len(items), f"effective receptive field {stop}/{len(items)}")
    value = float(responses[0])
    changes = (responses[1:] - value) / delta[[ch for _, _, ch in cells]]
    magnitude = np.zeros((h, w), np.float64)
    squares = np.zeros((len(rows), len(cols)), np.float64)
    np.add.at(squares, ([rows.index(r) for r, _, _ in cells], [cols.index(q) for _, q, _ in cells]),
              changes ** 2)
    for i, r in enumerate(rows):
        for j, q in enumerate(cols):
            patch = magnitude[r:min(r + block, bottom + 1), q:min(q + block, right + 1)]
            patch[...] = math.sqrt(squares[i, j]) / patch.size
    notes = list(em.notes)
    if block > 1:
        notes.append(f"Measured in {block}x{block} pixel blocks to stay within {max_passes} forward passes.")
    return EffectiveField(
        magnitude=magnitude.astype(np.float32), box=box, full_box=full_box,
        fraction90=fraction_holding(magnitude[top:bottom + 1, left:right + 1]), layer=layer, unit=(c, y, x),
        value=value, block=block, delta=float(delta.mean()), passes=len(cells) + 1,
        base="grey" if image is None else "image", notes=tuple(notes), seconds=time.perf_counter() - started)


def _grid(shape: tuple | None, layer: str) -> tuple[int, int, int]:
    """(channels, rows, cols) of a layer's output: (1, C, H, W), or (1, C) read as C x 1 x 1."""
    if shape is not None and None not in shape and len(shape) == 4:
        return shape[1], shape[2], shape[3]
    if shape is not None and None not in shape and len(shape) == 2:
        return shape[1], 1, 1
    raise UserError(f"Layer {layer!r} has output shape {shape}; pick a layer shaped (N, C, H, W) or (N, C).")


def _box(em: ExplainModel, tensor: str, y: int, x: int, hw: tuple[int, int]):
    """(unclipped box or None for the whole input, box clipped to the input) of unit (y, x)."""
    rf = em.receptive_fields().get(tensor)
    if rf is None:
        return None, (0, 0, hw[0] - 1, hw[1] - 1)
    region = back_project(rf, y, x, hw)
    if region.clipped is None:
        raise UserError(f"Unit ({y}, {x}) sees only padding, no pixel of the input; pick a unit nearer the centre.")
    return region.box, region.clipped


def _delta(em: ExplainModel) -> np.ndarray:
    """Per input channel: DELTA_LEVELS grey levels in model-input units (scale / std of the model's recipe)."""
    pre = em.preprocess
    channels = 1 if pre.grayscale else 3
    std = np.broadcast_to(np.asarray(pre.std, np.float64), (channels,))  # already in the model's channel order
    return DELTA_LEVELS * pre.scale / np.abs(std)
