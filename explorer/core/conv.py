"""Convolution arithmetic and the fast convolution behind the Convolution Playground.

Conventions (the same as every deep-learning framework, see shared/design.md):
- convolution is cross-correlation with zero padding: ``out[y, x] = sum k[i, j] * in[y*s - pt + i*d, x*s - pl + j*d]``;
- output size per axis: ``floor((n + p_before + p_after - d*(f-1) - 1) / s) + 1``;
- padding "same" gives ``ceil(n / s)`` outputs, the total padding split like ONNX SAME_UPPER
  (before = total // 2, after = the rest).

Speed: ``conv2d`` runs one ``cv2.filter2D`` per input plane with the dilated kernel. Instead of copying a padded
image it lets filter2D's zero border play the padding and moves the anchor so that the rows/columns it computes
line up with the requested output; stride is a subsampling view of that result.
"""
from __future__ import annotations

import operator
from dataclasses import dataclass
from typing import Literal

import cv2
import numpy as np

from explorer.core.errors import UserError

Padding = int | Literal["same"]


MODES = ("gray", "r", "g", "b", "volume")

# The Playground's parameter ranges, shared by its spin boxes and the CLI's `conv` (checked in
# playground_forward). They keep every setting interactive and every message meaningful: a padding of 20000
# would build a 40000² plane. Model arithmetic (output_size, inspect) has no such limits.
MAX_FILTER = 15
MAX_STRIDE = 8
MAX_PADDING = 10
MAX_DILATION = 6
MAX_POOL_SIZE = 8
MAX_POOL_STRIDE = 8
# Kernel values beyond this would overflow float32 maps (15·15·3 taps of 255 times 1e6 is still only 2e11).
MAX_KERNEL_ABS = 1e6


@dataclass(frozen=True)
class ConvParams:
    """One convolution's hyper-parameters; validated by ``output_shape``."""

    size: int = 3
    stride: int = 1
    padding: Padding = 0
    dilation: int = 1


@dataclass(frozen=True)
class PoolParams:
    """Pooling after the convolution; ``kind="none"`` switches it off."""

    kind: Literal["none", "max", "avg"] = "none"
    size: int = 2
    stride: int = 2
    padding: int = 0


@dataclass(frozen=True)
class PlaygroundResult:
    plane: np.ndarray  # float32 input actually convolved: (H,W), or (H,W,3) in volume mode
    conv: np.ndarray  # float32 (Ho,Wo) convolution map
    pooled: np.ndarray | None  # float32 pooled map, None without pooling
    output: np.ndarray  # the final map: pooled if pooling is on, else conv


@dataclass(frozen=True)
class UnitReceptiveField:
    taps: np.ndarray  # int (N,2) input (row, col) of every kernel tap; may lie outside the image
    in_padding: np.ndarray  # bool (N,): the tap reads a padding zero, not a pixel
    box: tuple[int, int, int, int]  # (top, left, bottom, right) inclusive, unclipped
    clipped_box: tuple[int, int, int, int] | None  # box clipped to the image, None if it misses the image


@dataclass(frozen=True)
class LayerCost:
    weights: int
    biases: int
    macs: int


# ---------------------------------------------------------------------------------------------- arithmetic


def _whole(value: object, name: str) -> int:
    """The value as an int, or a UserError naming the parameter (bools and floats are refused)."""
    if isinstance(value, bool):
        raise UserError(f"{name.capitalize()} must be a whole number, not {value!r}: enter a whole number.")
    try:
        return operator.index(value)  # type: ignore[arg-type]
    except TypeError:
        raise UserError(f"{name.capitalize()} must be a whole number, not {value!r}: enter a whole number.") from None


def _check_at_least(value: object, name: str, minimum: int) -> int:
    number = _whole(value, name)
    if number < minimum:
        raise UserError(f"{name.capitalize()} {number} is too small: use a {name} of at least {minimum}.")
    return number


def _span(f: int, d: int) -> int:
    """Pixels covered by a dilated filter."""
    return d * (f - 1) + 1


def _output_len(n: int, f: int, s: int, before: int, after: int, d: int, axis: str | None = None) -> int:
    """Output length along one axis for explicit (possibly asymmetric) padding; UserError if < 1."""
    if _whole(n, "input size") < 1:
        raise UserError(f"The input is {n} pixels {'along the ' + axis if axis else 'long'}: load a non-empty image.")
    f = _check_at_least(f, "filter size", 1)
    s = _check_at_least(s, "stride", 1)
    d = _check_at_least(d, "dilation", 1)
    for pad in (before, after):
        if _whole(pad, "padding") < 0:
            raise UserError(f"Padding {pad} is negative: use a padding of 0 or more.")
    padded, span = n + before + after, _span(f, d)
    if span > padded:
        where = f"along the {axis} " if axis else ""
        if d > 1:
            what, fix = f"Filter {f} with dilation {d}", "lower the filter size or dilation, or add padding"
        else:
            what, fix = f"Filter {f}", "lower the filter size or add padding"
        raise UserError(f"{what} spans {span} pixels but the padded input {where}is only {padded}: {fix}.")
    return (padded - span) // s + 1


def output_size(n: int, f: int, s: int = 1, p: int = 0, d: int = 1) -> int:
    """``floor((n + 2p - d(f-1) - 1)/s) + 1``; UserError naming the parameter to change if impossible."""
    return _output_len(n, f, s, p, p, d)


def _pads(n: int, f: int, s: int, padding: Padding, d: int) -> tuple[int, int]:
    if padding == "same":
        s = _check_at_least(s, "stride", 1)
        out = -(-n // s)
        total = max(0, (out - 1) * s + _span(f, d) - n)
        return total // 2, total - total // 2
    if isinstance(padding, str):
        raise UserError(f"Padding {padding!r} is not understood: use a whole number or 'same'.")
    p = _whole(padding, "padding")
    if p < 0:
        raise UserError(f"Padding {p} is negative: use a padding of 0 or more.")
    return p, p


def resolve_padding(n: int, params: ConvParams) -> tuple[int, int]:
    """(before, after) zero padding along an axis of length n; "same" makes the output ceil(n / stride)."""
    return _pads(n, params.size, params.stride, params.padding, params.dilation)


def _axis_len(n: int, params: ConvParams, axis: str | None = None) -> int:
    before, after = resolve_padding(n, params)
    return _output_len(n, params.size, params.stride, before, after, params.dilation, axis)


def output_shape(h: int, w: int, params: ConvParams) -> tuple[int, int]:
    return _axis_len(h, params, "height"), _axis_len(w, params, "width")


def layer_cost(f: int, in_channels: int, filters: int, out_hw: tuple[int, int]) -> LayerCost:
    """Weights, biases and multiply-accumulates of one f×f conv layer (one MAC per weight per output pixel)."""
    weights = f * f * in_channels * filters
    return LayerCost(weights=weights, biases=filters, macs=weights * out_hw[0] * out_hw[1])


_MINUS = "\u2212"


def formula_terms(n: int, params: ConvParams, axis: str = "height", n_shown: bool = True) -> tuple[str, str, int]:
    """The output-size formula's letters, the same with the user's numbers, and the result: e.g.
    ``("⌊(n + 2p − d(f−1) − 1)/s⌋ + 1", "⌊(224 + 2·1 − 1·(3−1) − 1)/2⌋ + 1", 112)``. Asymmetric "same" padding
    shows both pads: ``(n + p₁ + p₂ − ...)``. ``n_shown=False`` keeps the letter n among the numbers (the same
    for both axes of a wide image). Impossible numbers raise the UserError of ``output_shape`` naming the axis."""
    out = _axis_len(n, params, axis)
    size = n if n_shown else "n"
    before, after = resolve_padding(n, params)
    f, s, d = params.size, params.stride, params.dilation
    m = _MINUS
    letters_tail = f"{m} d(f{m}1) {m} 1)/s\u230b + 1"
    numbers_tail = f"{m} {d}\u00b7({f}{m}1) {m} 1)/{s}\u230b + 1"
    if before == after:
        return f"\u230a(n + 2p {letters_tail}", f"\u230a({size} + 2\u00b7{before} {numbers_tail}", out
    return f"\u230a(n + p\u2081 + p\u2082 {letters_tail}", f"\u230a({size} + {before} + {after} {numbers_tail}", out


def output_size_lines(h: int, w: int, params: ConvParams) -> list[str]:
    """The output-size formula for an h×w input in as few lines as say it whole. A square image needs it once
    ("height = width"). A wide one (every camera and video) has the same formula with the same f, s, p, d along both
    axes, only n differs: the letters, the numbers with n kept, then each axis's n and result. The two formulas in
    full took six lines at 1280×720, zoom 1.5, and left the pictures 53 px. "Same" padding can differ between the
    axes (with a stride): then each axis gets its own formula."""
    letters, numbers, out = formula_terms(h, params, "height")
    if h == w:
        return [f"height = width: out = {letters} = {numbers} = {out}"]
    w_letters, w_numbers, w_out = formula_terms(w, params, "width")
    with_n = formula_terms(h, params, "height", n_shown=False)[1]
    if with_n == formula_terms(w, params, "width", n_shown=False)[1]:
        return [f"out = {letters}", f"      = {with_n}", f"height {h} \u2192 {out} \u00b7 width {w} \u2192 {w_out}"]
    return [f"height: out = {letters} = {numbers} = {out}", f"width:  out = {w_letters} = {w_numbers} = {w_out}"]


# ---------------------------------------------------------------------------------------------- convolution


def dilate_kernel(kernel: np.ndarray, d: int) -> np.ndarray:
    """The (f,f) kernel spread to its dilated span with zeros between the taps."""
    if d == 1:
        return kernel
    fh, fw = kernel.shape
    out = np.zeros((_span(fh, d), _span(fw, d)), dtype=kernel.dtype)
    out[::d, ::d] = kernel
    return out


def _filter_plane(plane: np.ndarray, dk: np.ndarray, pads: tuple[int, int, int, int], out_hw: tuple[int, int],
                  stride: int) -> np.ndarray:
    """One float32 plane correlated with the dilated kernel dk; pads = (top, bottom, left, right)."""
    top, bottom, left, right = pads
    fh, fw = dk.shape
    h, w = plane.shape
    if top + bottom > fh - 1 or left + right > fw - 1:
        # More padding than filter2D's border reaches: pad explicitly, then a plain "valid" correlation.
        plane = cv2.copyMakeBorder(plane, top, bottom, left, right, cv2.BORDER_CONSTANT, value=0)
        top = bottom = left = right = 0
        h, w = plane.shape
    # filter2D computes dst[y] = sum_i dk[i] * src[y + i - anchor] for every y of the source. Anchor `top` makes
    # dst[y] the output row y (padding comes from the constant-zero border), valid while y + fh - 1 - top < h + bottom.
    dst = cv2.filter2D(plane, cv2.CV_32F, dk, anchor=(left, top), borderType=cv2.BORDER_CONSTANT)
    ho, wo = out_hw
    return dst[: (ho - 1) * stride + 1 : stride, : (wo - 1) * stride + 1 : stride]


# cv2.filter2D correlates kernels up to this side directly and bigger ones through the DFT (measured at 1024²:
# ~1 ms up to 11×11, then ~19 ms whatever the size).
DIRECT_MAX_SIDE = 11


def _correlate(plane: np.ndarray, kernel: np.ndarray, pads: tuple[int, int, int, int], out_hw: tuple[int, int],
               stride: int, dilation: int) -> np.ndarray:
    """One plane correlated with the compact (f,f) kernel dilated by ``dilation``.

    A dilated kernel is mostly zeros. When it is too big for filter2D's direct path but the compact kernel is not,
    the padded plane splits into d×d phase images (every d-th row and column from an offset); each is correlated
    directly with the compact kernel and the results interleave back: f=7, d=3 at 1024² takes 7.7 ms instead of
    18.9 ms through the DFT (bench/README.md). Otherwise the dense dilated kernel is faster (one call, no copies).
    """
    f = kernel.shape[0]
    if not f <= DIRECT_MAX_SIDE < dilation * (f - 1) + 1:
        return _filter_plane(plane, dilate_kernel(kernel, dilation), pads, out_hw, stride)
    top, bottom, left, right = pads
    padded = cv2.copyMakeBorder(plane, top, bottom, left, right, cv2.BORDER_CONSTANT, value=0)
    span = dilation * (f - 1)
    full = np.empty((padded.shape[0] - span, padded.shape[1] - span), np.float32)  # the stride-1 output
    for py in range(min(dilation, full.shape[0])):
        for px in range(min(dilation, full.shape[1])):
            phase = np.ascontiguousarray(padded[py::dilation, px::dilation])
            valid = (phase.shape[0] - f + 1, phase.shape[1] - f + 1)
            full[py::dilation, px::dilation] = _filter_plane(phase, kernel, (0, 0, 0, 0), valid, 1)
    ho, wo = out_hw
    return full[: (ho - 1) * stride + 1 : stride, : (wo - 1) * stride + 1 : stride]


def _as_float32(array: np.ndarray) -> np.ndarray:
    return np.asarray(array, dtype=np.float32)


def _single_filter(planes: list[np.ndarray], kernel: np.ndarray, pads: tuple[int, int, int, int],
                   out_hw: tuple[int, int], stride: int, dilation: int) -> np.ndarray:
    """Sum over channels of plane_c ⋆ kernel[..., c]; kernel is (f,f) or (f,f,C)."""
    if kernel.ndim == 2:
        return _correlate(planes[0], kernel, pads, out_hw, stride, dilation)
    out = None
    for c, plane in enumerate(planes):
        part = _correlate(plane, np.ascontiguousarray(kernel[..., c]), pads, out_hw, stride, dilation)
        out = part.copy() if out is None else np.add(out, part, out=out)
    return out


def _channels_sum(image: np.ndarray) -> np.ndarray:
    """(H,W,C) -> (H,W) float32 sum over channels (cv2.transform: a single fast pass)."""
    return cv2.transform(image, np.ones((1, image.shape[2]), np.float32))


def conv2d(image: np.ndarray, kernel: np.ndarray, stride: int = 1, padding: Padding = 0,
           dilation: int = 1) -> np.ndarray:
    """Cross-correlation with zero padding, float32, like a deep-learning framework's conv (no bias).

    image (H,W) + kernel (f,f) -> (Ho,Wo); image (H,W,C) + kernel (f,f,C) -> (Ho,Wo) summed over channels;
    kernel (K,f,f) or (K,f,f,C) -> (K,Ho,Wo), K filters at once. padding is an int or "same".
    """
    image = _as_float32(image)
    kernel = _as_float32(kernel)
    channels = image.shape[2] if image.ndim == 3 else 0
    if image.ndim not in (2, 3):
        raise UserError(f"The image has shape {image.shape}: use a grayscale (H,W) or colour (H,W,C) image.")
    several = kernel.ndim == (4 if channels else 3)
    filters = kernel if several else kernel[None]
    if filters.ndim != (4 if channels else 3) or filters.shape[1] != filters.shape[2] or (
            channels and filters.shape[3] != channels):
        want = f"(f,f,{channels}) or (K,f,f,{channels})" if channels else "(f,f) or (K,f,f)"
        raise UserError(f"The kernel has shape {kernel.shape} but this image needs {want}: fix the kernel's shape.")
    params = ConvParams(size=filters.shape[1], stride=stride, padding=padding, dilation=dilation)
    h, w = image.shape[:2]
    out_hw = output_shape(h, w, params)
    pads = (*resolve_padding(h, params), *resolve_padding(w, params))
    planes, filters = _planes_and_filters(image, filters)
    maps = [_single_filter(planes, k, pads, out_hw, stride, dilation) for k in filters]
    return np.stack(maps) if several else maps[0]


def _planes_and_filters(image: np.ndarray, filters: np.ndarray) -> tuple[list[np.ndarray], np.ndarray]:
    """Input planes and matching filters. A volume kernel equal on every channel equals its 2D kernel on the
    channel sum (linearity), which costs one filter2D instead of C."""
    if image.ndim == 2:
        return [image], filters
    if all(np.array_equal(k, np.broadcast_to(k[..., :1], k.shape)) for k in filters):
        return [_channels_sum(image)], filters[..., 0]
    return [np.ascontiguousarray(image[..., c]) for c in range(image.shape[2])], filters


# ---------------------------------------------------------------------------------------------- pooling


def _pool_len(n: int, pool: PoolParams) -> int:
    k = _check_at_least(pool.size, "pool size", 1)
    s = _check_at_least(pool.stride, "pool stride", 1)
    p = _whole(pool.padding, "pool padding")
    if p < 0:
        raise UserError(f"Pool padding {p} is negative: use a pool padding of 0 or more.")
    if p > k // 2:
        # Wider padding would let a window hold padding only, which has no maximum or average.
        raise UserError(f"Pool padding {p} is more than half the pool size {k}: lower the pool padding to "
                        f"{k // 2} or less.")
    if n + 2 * p < k:
        raise UserError(f"Pool size {k} is larger than the {n + 2 * p}-pixel map it pools: lower the pool size.")
    return (n + 2 * p - k) // s + 1


def pool_shape(h: int, w: int, pool: PoolParams) -> tuple[int, int]:
    """Output shape of pooling an (h, w) map (floor mode, symmetric padding)."""
    return _pool_len(h, pool), _pool_len(w, pool)


def _window_reduce(x: np.ndarray, k: int, s: int, n_out: int, axis: int, reduce: np.ufunc) -> np.ndarray:
    """Reduce windows of k along axis (x already padded): k strided slices instead of k² (separable)."""
    def window(i: int) -> np.ndarray:
        index = [slice(None)] * x.ndim
        index[axis] = slice(i, i + (n_out - 1) * s + 1, s)
        return x[tuple(index)]

    out = window(0).copy()
    for i in range(1, k):
        reduce(out, window(i), out=out)
    return out


def _valid_counts(n: int, k: int, s: int, p: int, n_out: int) -> np.ndarray:
    """How many real (non-padding) cells each pooling window holds along one axis."""
    starts = np.arange(n_out) * s - p
    return (np.minimum(starts + k, n) - np.maximum(starts, 0)).astype(np.float32)


def pool2d(x: np.ndarray, params: PoolParams) -> np.ndarray:
    """Max or average pooling of (H,W) or (K,H,W) in floor mode, float32; kind "none" returns x unchanged.

    Max pooling pads with -inf (padding never wins). Average pooling divides by the number of real pixels in
    the window, i.e. padding zeros do NOT count (count_include_pad=False), so borders are not darkened.
    """
    x = _as_float32(x)
    if params.kind == "none":
        return x
    if params.kind not in ("max", "avg"):
        raise UserError(f"Pooling {params.kind!r} is not known: choose max, avg or none.")
    h, w = x.shape[-2:]
    ho, wo = pool_shape(h, w, params)
    k, s, p = params.size, params.stride, params.padding
    fill = -np.inf if params.kind == "max" else 0.0
    if p:
        x = np.pad(x, [(0, 0)] * (x.ndim - 2) + [(p, p), (p, p)], constant_values=fill)
    reduce = np.maximum if params.kind == "max" else np.add
    out = _window_reduce(_window_reduce(x, k, s, ho, x.ndim - 2, reduce), k, s, wo, x.ndim - 1, reduce)
    if params.kind == "avg":
        out /= np.outer(_valid_counts(h, k, s, p, ho), _valid_counts(w, k, s, p, wo))
    return out


# ---------------------------------------------------------------------------------------------- playground


def _plane(image: np.ndarray, mode: str) -> np.ndarray:
    """The float32 input the playground convolves for a mode; a grayscale image is its own plane in every mode."""
    if mode not in MODES:
        raise UserError(f"Mode {mode!r} is not known: choose one of {', '.join(MODES)}.")
    if image.ndim == 2:
        return image.astype(np.float32)
    if image.ndim != 3 or image.shape[2] != 3:
        raise UserError(f"The image has shape {image.shape}: use a grayscale (H,W) or RGB (H,W,3) image.")
    if mode == "gray":
        return cv2.cvtColor(image, cv2.COLOR_RGB2GRAY).astype(np.float32)
    if mode == "volume":
        return image.astype(np.float32)
    return image[..., "rgb".index(mode)].astype(np.float32)


def check_playground_limits(params: ConvParams, pool: PoolParams) -> None:
    """UserError naming the first parameter outside the Playground's range (see MAX_FILTER and friends)."""
    checks = [("filter size", params.size, 1, MAX_FILTER), ("stride", params.stride, 1, MAX_STRIDE),
              ("dilation", params.dilation, 1, MAX_DILATION)]
    if params.padding != "same":
        checks.append(("padding", params.padding, 0, MAX_PADDING))
    if pool.kind != "none":
        checks += [("pool size", pool.size, 1, MAX_POOL_SIZE), ("pool stride", pool.stride, 1, MAX_POOL_STRIDE)]
    for name, value, low, high in checks:
        number = _whole(value, name)
        if not low <= number <= high:
            raise UserError(f"{name.capitalize()} {number} is outside the Playground's range: use a {name} from "
                            f"{low} to {high}.")


def playground_forward(image: np.ndarray, kernel2d: np.ndarray, params: ConvParams, mode: str,
                       pool: PoolParams) -> PlaygroundResult:
    """Everything the playground shows for one setting: the convolved plane, the map and the pooled map.

    image: (H,W) or (H,W,3) uint8 RGB. mode: "gray" (luminance), "r"/"g"/"b" (one channel) or "volume" (the f×f
    kernel on every channel, summed: an f×f×3 filter with equal slices). A grayscale image has one channel, so
    every mode convolves that plane once.
    """
    check_playground_limits(params, pool)
    plane = _plane(np.asarray(image), mode)
    values = np.asarray(kernel2d, dtype=np.float64)  # checked before float32 could overflow
    if not (np.abs(values) <= MAX_KERNEL_ABS).all():  # NaN fails the comparison too
        bad = values.flat[np.flatnonzero(~(np.abs(values) <= MAX_KERNEL_ABS))[0]]
        raise UserError(f"The kernel holds the value {bad:g}: use finite values between {-MAX_KERNEL_ABS:g} and "
                        f"{MAX_KERNEL_ABS:g}.")
    kernel = _as_float32(values)
    if kernel.ndim != 2 or kernel.shape[0] != kernel.shape[1]:
        raise UserError(f"The kernel has shape {kernel.shape}: use a square f×f kernel.")
    if kernel.shape[0] != params.size:
        raise UserError(f"The kernel is {kernel.shape[0]}×{kernel.shape[0]} but the filter size is {params.size}: "
                        "resize the kernel to the filter size.")
    if plane.ndim == 3:
        kernel = np.repeat(kernel[..., None], plane.shape[2], axis=2)
    conv = conv2d(plane, kernel, params.stride, params.padding, params.dilation)
    pooled = None if pool.kind == "none" else pool2d(conv, pool)
    return PlaygroundResult(plane=plane, conv=conv, pooled=pooled, output=conv if pooled is None else pooled)


# ---------------------------------------------------------------------------------------------- receptive field


def _check_unit(row: int, col: int, shape: tuple[int, int], what: str) -> None:
    if not (0 <= row < shape[0] and 0 <= col < shape[1]):
        raise UserError(f"Unit ({row}, {col}) is outside the {shape[0]}×{shape[1]} {what}: pick a unit inside it.")


def _field(taps: np.ndarray, input_hw: tuple[int, int]) -> UnitReceptiveField:
    h, w = input_hw
    inside = (taps[:, 0] >= 0) & (taps[:, 0] < h) & (taps[:, 1] >= 0) & (taps[:, 1] < w)
    top, left = (int(v) for v in taps.min(axis=0))
    bottom, right = (int(v) for v in taps.max(axis=0))
    clipped = (max(top, 0), max(left, 0), min(bottom, h - 1), min(right, w - 1))
    empty = clipped[0] > clipped[2] or clipped[1] > clipped[3]
    return UnitReceptiveField(taps=taps, in_padding=~inside, box=(top, left, bottom, right),
                              clipped_box=None if empty else clipped)


def _unit_taps(row: int, col: int, input_hw: tuple[int, int], params: ConvParams) -> np.ndarray:
    f, s, d = params.size, params.stride, params.dilation
    top = row * s - resolve_padding(input_hw[0], params)[0]
    left = col * s - resolve_padding(input_hw[1], params)[0]
    i, j = np.meshgrid(np.arange(f) * d, np.arange(f) * d, indexing="ij")
    return np.stack([top + i.ravel(), left + j.ravel()], axis=1)


def unit_receptive_field(row: int, col: int, input_hw: tuple[int, int], params: ConvParams) -> UnitReceptiveField:
    """Input pixels read by conv output unit (row, col): one tap per kernel weight in kernel order (row-major),
    including taps that land in the zero padding (outside the image)."""
    _check_unit(row, col, output_shape(*input_hw, params), "convolution output")
    return _field(_unit_taps(row, col, input_hw, params), input_hw)


def pooled_unit_receptive_field(row: int, col: int, input_hw: tuple[int, int], params: ConvParams,
                                pool: PoolParams) -> UnitReceptiveField:
    """Input pixels read by pooled output unit (row, col): the union of the taps of the conv units in its
    pooling window (window cells in the pool's padding read nothing). Taps are unique, sorted row-major."""
    if pool.kind == "none":
        return unit_receptive_field(row, col, input_hw, params)
    conv_hw = output_shape(*input_hw, params)
    _check_unit(row, col, pool_shape(*conv_hw, pool), "pooled output")
    rows = [r for r in range(row * pool.stride - pool.padding, row * pool.stride - pool.padding + pool.size)
            if 0 <= r < conv_hw[0]]
    cols = [c for c in range(col * pool.stride - pool.padding, col * pool.stride - pool.padding + pool.size)
            if 0 <= c < conv_hw[1]]
    taps = np.concatenate([_unit_taps(r, c, input_hw, params) for r in rows for c in cols])
    return _field(np.unique(taps, axis=0), input_hw)
