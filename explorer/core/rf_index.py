"""Per-axis index maps: which input positions along one axis each output position of an op reads.

Every function returns an int array ``(n_out, m)``: row ``i`` lists the input indices output ``i`` depends on,
``-1`` where a slot reads nothing (padding, a zero weight). ``rf_boxes`` unions the inputs' boxes over each row.
The formulas follow onnxruntime where it differs from the ONNX text (pooling with SAME_* and dilations).
"""
from __future__ import annotations

import math

import numpy as np

NONE = -1


def _valid(idx: np.ndarray, n_in: int) -> np.ndarray:
    return np.where((idx >= 0) & (idx < n_in), idx, NONE)


def window(n_in: int, n_out: int, k: int, s: int, d: int, pad_begin: int) -> np.ndarray:
    """Conv / pooling: output y reads y*s - pad_begin + t*d for t < k."""
    idx = np.arange(n_out)[:, None] * s - pad_begin + np.arange(k)[None, :] * d
    return _valid(idx, n_in)


def transposed_window(n_in: int, n_out: int, k: int, s: int, d: int, pad_begin: int) -> np.ndarray:
    """ConvTranspose: input x writes to x*s - pad_begin + t*d, so output y reads x = (y + pad_begin - t*d) / s."""
    num = np.arange(n_out)[:, None] + pad_begin - np.arange(k)[None, :] * d
    idx = np.where(num % s == 0, num // s, NONE)
    return _valid(idx, n_in)


def same_pad_begin(n: int, k: int, s: int, d: int, mode: str, pool: bool) -> int:
    """Begin padding of auto_pad SAME_UPPER / SAME_LOWER.

    onnxruntime's pooling kernels size the padding with the undilated kernel (its output shape differs from the
    ONNX formula when dilations > 1); Conv uses the dilated one."""
    k_eff = k if pool else d * (k - 1) + 1
    total = max((math.ceil(n / s) - 1) * s + k_eff - n, 0)
    return total // 2 if mode == "SAME_UPPER" else total - total // 2


def same_out(n: int, k: int, s: int, d: int, pool: bool) -> int:
    """Output size under SAME_* padding as onnxruntime computes it."""
    if not pool:
        return math.ceil(n / s)
    total = max((math.ceil(n / s) - 1) * s + k - n, 0)
    return (n + total - d * (k - 1) - 1) // s + 1


def window_out(n: int, k: int, s: int, d: int, begin: int, end: int, ceil_mode: bool = False) -> int:
    span = n + begin + end - d * (k - 1) - 1
    out = (-(-span // s) if ceil_mode else span // s) + 1
    if ceil_mode and (out - 1) * s >= n + begin:  # the last window must start inside the input or begin padding
        out -= 1
    return out


def pad(n_in: int, begin: int, end: int, mode: str) -> np.ndarray:
    """Pad (negative amounts crop): constant reads nothing in the border; reflect/edge/wrap read a mirrored pixel."""
    src = np.arange(n_in)
    src = src[max(-begin, 0): n_in - max(-end, 0)]
    begin, end = max(begin, 0), max(end, 0)
    if mode == "constant" or src.size == 0:
        out = np.pad(src, (begin, end), constant_values=NONE)
    else:
        out = np.pad(src, (begin, end), mode={"reflect": "reflect", "edge": "edge", "wrap": "wrap"}[mode])
    return out[:, None]


def take(n_in: int, positions) -> np.ndarray:
    """Slice / Gather / Tile: output i reads exactly one position."""
    return _valid(np.asarray(positions, dtype=np.int64).reshape(-1, 1), n_in)


def resize(n_in: int, n_out: int, scale: float, mode: str, coord: str, nearest: str, cubic_a: float,
           exclude_outside: bool, crop: tuple[float, float] | None = None, antialias: bool = False
           ) -> np.ndarray | None:
    """Resize / Upsample taps with non-zero weight; None for variants not modelled.

    ``crop``: the (start, end) roi of tf_crop_and_resize; outputs sampled outside the input read nothing."""
    y = np.arange(n_out, dtype=np.float64)
    outside = np.zeros(n_out, bool)
    if coord == "tf_crop_and_resize" and crop is not None:
        start, end = crop
        x = start * (n_in - 1) + y * (end - start) * (n_in - 1) / (n_out - 1) if n_out > 1 else \
            np.full(n_out, 0.5 * (start + end) * (n_in - 1))
        outside = (x < 0) | (x > n_in - 1)
    elif coord == "half_pixel":
        x = (y + 0.5) / scale - 0.5
    elif coord == "half_pixel_symmetric":
        adj = n_out / (scale * n_in)
        x = (n_in / 2) * (1 - adj) + (y + 0.5) / scale - 0.5
    elif coord == "pytorch_half_pixel":
        x = (y + 0.5) / scale - 0.5 if n_out > 1 else np.zeros_like(y)
    elif coord == "align_corners":
        x = y * (n_in - 1) / (n_out - 1) if n_out > 1 else np.zeros_like(y)
    elif coord == "asymmetric":
        x = y / scale
    elif coord == "tf_half_pixel_for_nn":
        x = (y + 0.5) / scale
    else:
        return None
    x = x.astype(np.float32).astype(np.float64)  # onnxruntime computes coordinates in float32
    if antialias and scale < 1 and mode in ("linear", "cubic"):
        return _antialias(n_in, x, scale, mode, cubic_a)
    if mode == "nearest":
        rounding = {"round_prefer_floor": lambda v: np.ceil(v - 0.5), "round_prefer_ceil": lambda v: np.floor(v + 0.5),
                    "floor": np.floor, "ceil": np.ceil}.get(nearest)
        if rounding is None:
            return None
        return np.where(outside, NONE, np.clip(rounding(x), 0, n_in - 1).astype(np.int64))[:, None]
    if mode == "linear":
        x = np.clip(x, 0, n_in - 1)
        base = np.floor(x)
        frac = (x - base).astype(np.float32)
        taps = np.stack([base, base + 1], axis=1).astype(np.int64)
        weights = np.stack([1 - frac, frac], axis=1)
    elif mode == "cubic":
        base = np.floor(x)
        frac = x - base
        taps = (base[:, None] + np.arange(-1, 3)[None, :]).astype(np.int64)
        weights = _cubic(frac[:, None] - np.arange(-1, 3)[None, :], cubic_a)
        if exclude_outside:
            weights = np.where((taps >= 0) & (taps < n_in), weights, 0.0)
        taps = np.clip(taps, 0, n_in - 1)
    else:
        return None
    taps = np.clip(taps, 0, n_in - 1)
    return np.where((np.abs(weights) > 1e-6) & ~outside[:, None], taps, NONE)


def _cubic(t: np.ndarray, a: float) -> np.ndarray:
    t = np.abs(t)
    return np.where(t <= 1, ((a + 2) * t - (a + 3)) * t * t + 1,
                    np.where(t < 2, ((a * t - 5 * a) * t + 8 * a) * t - 4 * a, 0.0))


def _antialias(n_in: int, x: np.ndarray, scale: float, mode: str, cubic_a: float) -> np.ndarray:
    """Downscaling with antialias: the filter is stretched by 1/scale (onnxruntime's upsample_antialias)."""
    support = (1.0 if mode == "linear" else 2.0) / scale
    center = x + 0.5
    lo = np.maximum((center - support + 0.5).astype(np.int64), 0)
    hi = np.minimum((center + support + 0.5).astype(np.int64), n_in)
    taps = lo[:, None] + np.arange(int((hi - lo).max()) + 1)[None, :]
    t = (taps - center[:, None] + 0.5) * scale
    weights = np.maximum(1 - np.abs(t), 0) if mode == "linear" else _cubic(t, cubic_a)
    return np.where((taps < hi[:, None]) & (np.abs(weights) > 1e-6), taps, NONE)
