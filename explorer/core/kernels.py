"""Kernel presets for the Convolution Playground, each defined for any size f >= 1.

The centre of an f×f kernel is index (f-1)//2 on each axis: for even f that is the upper-left cell of the middle
2×2, which is exactly the tap that "same" padding (ONNX SAME_UPPER, see conv.py) aligns with the output pixel,
so "identity" stays an identity at every size and ``resize_kernel`` keeps that cell where it is.
Derivative kernels are left unnormalised (the lecture's numbers stay integers); blurs sum to 1.
"""
from __future__ import annotations

from collections.abc import Callable

import numpy as np

from explorer.core.errors import UserError


def _centre(f: int) -> int:
    return (f - 1) // 2


def _delta(f: int) -> np.ndarray:
    k = np.zeros((f, f))
    k[_centre(f), _centre(f)] = 1.0
    return k


def _binomial(length: int) -> np.ndarray:
    """Pascal's row with `length` entries: the discrete Gaussian that Sobel kernels smooth with."""
    row = np.ones(1)
    for _ in range(length - 1):
        row = np.convolve(row, [1.0, 1.0])
    return row


def _vertical_edge(f: int) -> np.ndarray:
    # Lecture convention (rows [1, 0, -1]): +1 left half, 0 centre column for odd f, -1 right half.
    row = np.zeros(f)
    row[: f // 2] = 1.0
    row[f - f // 2:] = -1.0
    return np.tile(row, (f, 1))


def _sobel_x(f: int) -> np.ndarray:
    # Smoothing across, central difference along: [-1, 0, 1] ⊗ [1, 2, 1] at f=3, OpenCV's Sobel at odd f.
    if f < 2:
        return np.zeros((f, f))
    derivative = np.convolve(_binomial(f - 1), [-1.0, 1.0])
    return np.outer(_binomial(f), derivative)


def _laplacian(f: int) -> np.ndarray:
    # The 4-neighbour Laplacian [[0,1,0],[1,-4,1],[0,1,0]] grown as a plus: every other cell of the centre row
    # and column is 1, the centre balances them so the kernel sums to 0.
    k = np.zeros((f, f))
    c = _centre(f)
    k[c, :] = 1.0
    k[:, c] = 1.0
    k[c, c] = 0.0
    k[c, c] = -k.sum()
    return k


def _box(f: int) -> np.ndarray:
    return np.full((f, f), 1.0 / (f * f))


def _gaussian(f: int) -> np.ndarray:
    # OpenCV's sigma for a given aperture (getGaussianKernel with sigma <= 0), so the blur grows with f.
    sigma = 0.3 * ((f - 1) * 0.5 - 1) + 0.8
    x = np.arange(f) - (f - 1) / 2
    g = np.exp(-(x**2) / (2 * sigma**2))
    k = np.outer(g, g)
    return k / k.sum()


def _sharpen(f: int) -> np.ndarray:
    # Unsharp masking: the image plus (image - its box blur); sums to 1 so flat areas keep their brightness.
    return 2 * _delta(f) - _box(f)


def _emboss(f: int) -> np.ndarray:
    # A diagonal ramp (-2 .. 2 at f=3) plus 1 at the centre: [[-2,-1,0],[-1,1,1],[0,1,2]] at f=3; sums to 1.
    i, j = np.indices((f, f)) - (f - 1) / 2
    k = i + j
    k[_centre(f), _centre(f)] += 1.0
    return k


_PRESETS: dict[str, Callable[[int], np.ndarray]] = {
    "vertical edge": _vertical_edge,
    "horizontal edge": lambda f: _vertical_edge(f).T,
    "sobel x": _sobel_x,
    "sobel y": lambda f: _sobel_x(f).T,
    "laplacian": _laplacian,
    "box blur": _box,
    "gaussian": _gaussian,
    "sharpen": _sharpen,
    "emboss": _emboss,
    "identity": _delta,
}
_RANDOM = "random 0/1"
PRESET_NAMES: list[str] = [*_PRESETS, _RANDOM]


def preset_name(text: str) -> str:
    """The preset a user meant: case, underscores, hyphens and repeated spaces do not matter ("Sobel_X" is
    "sobel x"); UserError listing the presets otherwise."""
    wanted = " ".join(text.replace("_", " ").replace("-", " ").lower().split())
    if wanted in PRESET_NAMES:
        return wanted
    raise UserError(f"Kernel preset {text!r} is not known: choose one of {', '.join(PRESET_NAMES)}.")


def make_kernel(name: str, size: int, seed: int = 0) -> np.ndarray:
    """The preset `name` at size×size as float32; "random 0/1" draws 0s and 1s from `seed` (same seed, same kernel)."""
    if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or size < 1:
        raise UserError(f"Filter size {size!r} is not a whole number of at least 1: pick a filter size of 1 or more.")
    if name == _RANDOM:
        return np.random.default_rng(seed).integers(0, 2, (size, size)).astype(np.float32)
    if name not in _PRESETS:
        raise UserError(f"Kernel preset {name!r} is not known: choose one of {', '.join(PRESET_NAMES)}.")
    return _PRESETS[name](int(size)).astype(np.float32)


def resize_kernel(k: np.ndarray, size: int) -> np.ndarray:
    """k (h,w) as size×size float32: centre-crop or zero-pad around the centre cell (index (n-1)//2), which
    keeps its place, so an edited kernel survives a change of filter size."""
    k = np.asarray(k, dtype=np.float32)
    if k.ndim != 2:
        raise UserError(f"The kernel has shape {k.shape}: use a 2D f×f kernel.")
    if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or size < 1:
        raise UserError(f"Filter size {size!r} is not a whole number of at least 1: pick a filter size of 1 or more.")
    out = np.zeros((size, size), np.float32)
    # Old index i lands on i + offset; keep only what falls inside the new kernel.
    src, dst = [], []
    for n in k.shape:
        offset = _centre(size) - _centre(n)
        lo, hi = max(0, -offset), min(n, size - offset)
        src.append(slice(lo, hi))
        dst.append(slice(lo + offset, hi + offset))
    out[tuple(dst)] = k[tuple(src)]
    return out
