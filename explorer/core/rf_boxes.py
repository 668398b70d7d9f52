"""Exact receptive field of every unit: interval propagation through the graph.

Every element of every tensor computed from the image carries the bounding box of the input pixels it depends
on. An op's output element depends on a set of its inputs' elements, so its box is the union (bounding box) of
theirs, and the bounding box of a union is the union of bounding boxes: the result is exact for any graph, not
only for chains a (size, stride, padding) triple can describe. Boxes are stored as (top, left, -bottom, -right),
so a union is an element-wise minimum; an element that reads no pixel (constant padding) holds ``EMPTY``.
Axes along which all boxes are equal (the channels after a Conv) are stored with length 1 and broadcast.
"""
from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import reduce

import numpy as np
import onnx
from onnx import numpy_helper

from explorer.core import rf_index

EMPTY = 2**30
SMALL = 4096  # constants read as op parameters (pads, axes, scales, shapes) are never larger
MAX_BOX_INTS = 2**25  # 128 MB: beyond it a tensor's channels share one box (see _within_budget)
Shapes = dict[str, "tuple[int | None, ...] | None"]
# Outputs that describe shapes or random numbers, not image content.
NON_SPATIAL_OPS = {"Shape", "Size", "Constant", "ConstantOfShape", "EyeLike", "RandomNormal", "RandomUniform",
                   "RandomNormalLike", "RandomUniformLike", "Multinomial"}
# Each output element reads the elements at the same (broadcast) position of every input.
ELEMENTWISE_OPS = {
    "Relu", "LeakyRelu", "PRelu", "Elu", "Selu", "Celu", "Gelu", "Tanh", "Sigmoid", "HardSigmoid", "HardSwish",
    "Softplus", "Softsign", "Mish", "Erf", "Exp", "Log", "Sqrt", "Neg", "Abs", "Reciprocal", "Floor", "Ceil",
    "Round", "Sign", "Not", "Clip", "Cast", "CastLike", "Identity", "Dropout",
    "QuantizeLinear", "DequantizeLinear", "Sin", "Cos", "Tan", "Asin", "Acos", "Atan", "Sinh", "Cosh", "Asinh",
    "Acosh", "Atanh", "IsNaN", "IsInf", "ThresholdedRelu", "Shrink", "Swish", "BitwiseNot",
    "Add", "Sum", "Mul", "Max", "Min", "Mean", "Sub", "Div", "Pow", "Where", "And", "Or", "Xor", "Equal",
    "Greater", "Less", "GreaterOrEqual", "LessOrEqual", "Mod", "BitShift", "BitwiseAnd", "BitwiseOr", "BitwiseXor",
    "Expand",
}
POOL_OPS = {"MaxPool", "AveragePool", "LpPool"}
GLOBAL_POOL_OPS = {"GlobalAveragePool", "GlobalMaxPool", "GlobalLpPool", "InstanceNormalization"}
REDUCE_OPS = {"ReduceMean", "ReduceSum", "ReduceMax", "ReduceMin", "ReduceProd", "ReduceL1", "ReduceL2",
              "ReduceLogSum", "ReduceLogSumExp", "ReduceSumSquare", "ArgMax", "ArgMin"}


@dataclass(frozen=True)
class Field:
    box: np.ndarray  # (4, *dims) int32 (top, left, -bottom, -right); dims[i] is shape[i], or 1 if all equal along i
    shape: tuple[int, ...]
    axes: tuple[int, int] | None  # the dims that carry the image's rows and columns; None when they do not survive

    def full(self) -> np.ndarray:
        return np.broadcast_to(self.box, (4, *self.shape))

    def units(self) -> np.ndarray | None:
        """(4, rows, cols) in the tensor's own order: the union over every other dim (channels, batch) of each
        spatial position's box."""
        if self.axes is None:
            return None
        others = tuple(1 + i for i in range(len(self.shape)) if i not in self.axes)
        box = self.box.min(axis=others) if others else self.box
        return np.broadcast_to(box, (4, *(self.shape[a] for a in sorted(self.axes))))


def input_field(shape: tuple[int, ...], axes: tuple[int, int]) -> Field:
    """The image: element (..., row, ..., col) sees exactly pixel (row, col)."""
    dims = [1] * len(shape)
    h, w = shape[axes[0]], shape[axes[1]]
    rows = np.arange(h, dtype=np.int32).reshape([h if i == axes[0] else 1 for i in range(len(shape))])
    cols = np.arange(w, dtype=np.int32).reshape([w if i == axes[1] else 1 for i in range(len(shape))])
    dims[axes[0]], dims[axes[1]] = h, w
    box = np.stack([np.broadcast_to(rows, dims), np.broadcast_to(cols, dims),
                    np.broadcast_to(-rows, dims), np.broadcast_to(-cols, dims)])
    return Field(box, tuple(shape), axes)


class Unsupported(Exception):
    """An op (or attribute) the box rules do not model; the caller falls back to 'reads all its inputs'."""


# --- array helpers ------------------------------------------------------------------------------------------

def _compress(box: np.ndarray) -> np.ndarray:
    for ax in range(1, box.ndim):
        if box.shape[ax] > 1:
            first = box.take([0], axis=ax)
            if (box.take([-1], axis=ax) == first).all() and (box == first).all():  # cheap rejection first
                box = first
    return np.ascontiguousarray(box)


def _along(box: np.ndarray, shape, axis: int) -> np.ndarray:
    """Broadcast a stored box to the full length of one tensor axis."""
    target = list(box.shape)
    target[axis + 1] = shape[axis]
    return np.broadcast_to(box, target)


def _gather(box: np.ndarray, shape, axis: int, idx: np.ndarray) -> np.ndarray:
    """Output position i along ``axis`` reads input positions idx[i, :] (-1: nothing): union of their boxes."""
    if box.shape[axis + 1] == 1:  # all positions alike: an output reads that box, or nothing
        reads = (idx >= 0).any(axis=1)
        if reads.all():
            return box
        reads = reads.reshape([-1 if i == axis + 1 else 1 for i in range(box.ndim)])
        return np.where(reads, box, np.int32(EMPTY))
    full = _along(box, shape, axis)
    pad_shape = list(full.shape)
    pad_shape[axis + 1] = 1
    full = np.concatenate([full, np.full(pad_shape, EMPTY, np.int32)], axis=axis + 1)  # index -1 -> EMPTY
    n_out, m = idx.shape
    taken = np.take(full, idx.reshape(-1), axis=axis + 1)
    taken = taken.reshape(*taken.shape[:axis + 1], n_out, m, *taken.shape[axis + 2:])
    return taken.min(axis=axis + 2)


def _reduce(box: np.ndarray, axes, keepdims: bool = True) -> np.ndarray:
    out = box.min(axis=tuple(a + 1 for a in axes), keepdims=True)
    return out if keepdims else out.squeeze(axis=tuple(a + 1 for a in axes))


def _align(box: np.ndarray, rank: int) -> np.ndarray:
    """Right-align a box for numpy broadcasting against a tensor of ``rank`` dims."""
    return box.reshape(4, *([1] * (rank - (box.ndim - 1))), *box.shape[1:])


def _drop_axes(axes, removed) -> tuple[int, int] | None:
    if axes is None or any(a in removed for a in axes):
        return None
    return tuple(a - sum(r < a for r in removed) for a in axes)


def _reshaped_axes(axes, old, new) -> tuple[int, int] | None:
    """An axis survives a row-major reshape if the dims before it have the same product and its length is kept."""
    if axes is None:
        return None
    out = []
    for a in axes:
        before = math.prod(old[:a])
        hit = [b for b in range(len(new)) if new[b] == old[a] and math.prod(new[:b]) == before and b not in out]
        if not hit:
            return None
        out.append(hit[0])
    return tuple(out)


# --- the op rules -------------------------------------------------------------------------------------------

@dataclass
class _Ctx:
    shapes: Shapes
    constants: dict[str, np.ndarray]
    opset: int
    note: Callable[[str, str], None]

    def const(self, node: onnx.NodeProto, pos: int):
        if len(node.input) <= pos or not node.input[pos]:
            return None
        if node.input[pos] not in self.constants:
            raise Unsupported(f"input {node.input[pos]!r} is computed at run time")
        return self.constants[node.input[pos]]

    def shape(self, name: str):
        s = self.shapes.get(name)
        return tuple(s) if s is not None and None not in s else None


def _attrs(node: onnx.NodeProto) -> dict:
    out = {}
    for a in node.attribute:
        v = onnx.helper.get_attribute_value(a)
        out[a.name] = v.decode() if isinstance(v, bytes) else v
    return out


def _elementwise(node, ins: list[Field | None], ctx: _Ctx) -> list[Field]:
    fields = [f for f in ins if f is not None]
    shapes = [f.shape for f in fields] + [ctx.shape(i) for i, f in zip(node.input, ins) if f is None and i]
    shape = ctx.shape(node.output[0])
    if node.op_type == "Expand":
        shape = shape or np.broadcast_shapes(fields[0].shape, tuple(ctx.const(node, 1).tolist()))
    shape = shape or np.broadcast_shapes(*[s for s in shapes if s is not None])
    rank = len(shape)
    if len(fields) == 1 and fields[0].shape == tuple(shape):
        return [fields[0]] * len(node.output)  # unary, or a constant operand that does not broadcast
    box = reduce(np.minimum, [_align(f.box, rank) for f in fields])
    lead = next((f for f in fields if len(f.shape) == rank and f.axes), fields[0])
    axes = None if lead.axes is None else tuple(a + rank - len(lead.shape) for a in lead.axes)
    return [Field(_compress(box), tuple(shape), axes)] * len(node.output)


def _kernel_attrs(node, k_default):
    a = _attrs(node)
    kernel = a.get("kernel_shape") or k_default
    if kernel is None:
        raise Unsupported("kernel shape unknown")
    r = len(kernel)
    return (list(kernel), list(a.get("strides", [1] * r)), list(a.get("dilations", [1] * r)),
            list(a.get("pads", [0] * (2 * r))), a.get("auto_pad", "NOTSET"), bool(a.get("ceil_mode", 0)))


def _windows(node, x: Field, box: np.ndarray, kernel, ctx: _Ctx, pool: bool) -> tuple[np.ndarray, list[int]]:
    """Slide the kernel over the spatial dims (2, 3, ...) of ``box``; returns the box and the output sizes."""
    kernel, strides, dilations, pads, auto_pad, ceil_mode = _kernel_attrs(node, kernel)
    known = ctx.shape(node.output[0])
    r, sizes = len(kernel), []
    for i in range(r):
        n, k, s, d = x.shape[2 + i], kernel[i], strides[i], dilations[i]
        if auto_pad in ("SAME_UPPER", "SAME_LOWER"):
            begin = rf_index.same_pad_begin(n, k, s, d, auto_pad, pool)
            n_out = rf_index.same_out(n, k, s, d, pool)
        else:
            begin, end = (0, 0) if auto_pad == "VALID" else (pads[i], pads[i + r])
            n_out = rf_index.window_out(n, k, s, d, begin, end, ceil_mode)
        n_out = known[2 + i] if known else n_out
        box = _gather(box, x.shape, 2 + i, rf_index.window(n, n_out, k, s, d, begin))
        sizes.append(n_out)
    return box, sizes


def _conv(node, ins, ctx: _Ctx, w_pos: int = 1) -> list[Field]:
    x = ins[0]
    w = ctx.shape(node.input[w_pos])
    if w is None or x is None:
        raise Unsupported("weight shape unknown")
    group = _attrs(node).get("group", 1)
    box = _by_group(x, group)
    shape = (x.shape[0], box.shape[2], *x.shape[2:])
    box, sizes = _windows(node, Field(box, shape, x.axes), box, list(w[2:]), ctx, pool=False)
    return [_channels_out(box, group, w[0], x, sizes)]


def _by_group(x: Field, group: int) -> np.ndarray:
    """(4, N, groups or 1, *spatial): the union over the input channels each group of outputs reads."""
    box = x.box
    if box.shape[2] == 1:  # all channels alike
        return box
    if group == 1:
        return box.min(axis=2, keepdims=True)
    full = _along(box, x.shape, 1)
    return full.reshape(4, full.shape[1], group, -1, *full.shape[3:]).min(axis=3)


def _channels_out(box: np.ndarray, group: int, m: int, x: Field, sizes: list[int]) -> Field:
    if box.shape[2] > 1:  # one box per group -> the group's m/group output channels
        box = np.broadcast_to(box[:, :, :, None], (*box.shape[:3], m // group, *box.shape[3:]))
        box = box.reshape(4, box.shape[1], m, *box.shape[4:])
    return Field(_compress(box), (x.shape[0], m, *sizes), x.axes)


def _conv_transpose(node, ins, ctx: _Ctx) -> list[Field]:
    x = ins[0]
    w = ctx.shape(node.input[1])
    if w is None:
        raise Unsupported("weight shape unknown")
    a = _attrs(node)
    group, kernel = a.get("group", 1), list(a.get("kernel_shape") or w[2:])
    r = len(kernel)
    strides, dilations = list(a.get("strides", [1] * r)), list(a.get("dilations", [1] * r))
    pads, out_pad = list(a.get("pads", [0] * 2 * r)), list(a.get("output_padding", [0] * r))
    auto_pad, requested = a.get("auto_pad", "NOTSET"), a.get("output_shape")
    known = ctx.shape(node.output[0])
    box = _by_group(x, group)
    sizes = []
    for i in range(r):
        n, k, s, d = x.shape[2 + i], kernel[i], strides[i], dilations[i]
        natural = s * (n - 1) + out_pad[i] + d * (k - 1) + 1
        if requested is not None or auto_pad in ("SAME_UPPER", "SAME_LOWER"):
            n_out = requested[-r + i] if requested is not None else n * s
            total = max(natural - n_out, 0)
            begin = total // 2 if auto_pad == "SAME_UPPER" else total - total // 2
        else:
            begin = pads[i]
            n_out = natural - pads[i] - pads[i + r]
        n_out = known[2 + i] if known else n_out
        box = _gather(box, (x.shape[0], box.shape[2], *x.shape[2:]), 2 + i,
                      rf_index.transposed_window(n, n_out, k, s, d, begin))
        sizes.append(n_out)
    return [_channels_out(box, group, w[1] * group, x, sizes)]


def _pool(node, ins, ctx: _Ctx) -> list[Field]:
    """Per channel; channels with equal boxes (a concat holds a few groups of them) are pooled once."""
    x = ins[0]
    box, inverse = x.box, None
    if box.shape[2] > 1:
        index: dict[bytes, int] = {}
        kept, inverse = [], []
        for c, row in enumerate(np.ascontiguousarray(np.moveaxis(box, 2, 0))):
            if index.setdefault(row.tobytes(), len(index)) == len(kept):
                kept.append(c)
            inverse.append(index[row.tobytes()])
        box, inverse = np.take(box, kept, axis=2), np.array(inverse)
    box, sizes = _windows(node, x, box, None, ctx, pool=True)
    if inverse is not None:
        box = np.take(box, inverse.reshape(-1), axis=2)
    out = Field(_compress(box), (*x.shape[:2], *sizes), x.axes)
    return [out] * len(node.output)


def _global_pool(node, ins, ctx: _Ctx) -> list[Field]:
    x = ins[0]
    spatial = range(2, len(x.shape))
    shape = (*x.shape[:2], *[1] * len(spatial)) if node.op_type != "InstanceNormalization" else x.shape
    return [Field(_reduce(x.box, spatial), shape, x.axes)]


def _pad(node, ins, ctx: _Ctx) -> list[Field]:
    x = ins[0]
    a = _attrs(node)
    pads = a.get("pads") if ctx.opset < 11 else ctx.const(node, 1)
    pads = [int(p) for p in np.asarray(pads).reshape(-1)]
    rank = len(x.shape)
    axes = ctx.const(node, 3)
    axes = list(range(rank)) if axes is None else [int(v) % rank for v in np.asarray(axes).reshape(-1)]
    box, shape = x.box, list(x.shape)
    for i, ax in enumerate(axes):
        begin, end = pads[i], pads[i + len(axes)]
        if begin or end:
            idx = rf_index.pad(shape[ax], begin, end, a.get("mode", "constant"))
            box = _gather(box, shape, ax, idx)
            shape[ax] = idx.shape[0]
    return [Field(_compress(box), tuple(shape), x.axes)]


def _slice(node, ins, ctx: _Ctx) -> list[Field]:
    x = ins[0]
    rank = len(x.shape)
    if ctx.opset < 10:
        a = _attrs(node)
        starts, ends = a["starts"], a["ends"]
        axes, steps = a.get("axes", list(range(len(starts)))), [1] * len(starts)
    else:
        starts, ends = ctx.const(node, 1).tolist(), ctx.const(node, 2).tolist()
        axes = ctx.const(node, 3)
        axes = list(range(len(starts))) if axes is None else axes.tolist()
        steps = ctx.const(node, 4)
        steps = [1] * len(starts) if steps is None else steps.tolist()
    box, shape = x.box, list(x.shape)
    for start, end, ax, step in zip(starts, ends, axes, steps):
        ax = ax % rank
        positions = np.arange(shape[ax])[slice(int(start), int(end), int(step))]
        box = _gather(box, shape, ax, rf_index.take(shape[ax], positions))
        shape[ax] = len(positions)
    return [Field(_compress(box), tuple(shape), x.axes)]


def _split(node, ins, ctx: _Ctx) -> list[Field]:
    x = ins[0]
    a = _attrs(node)
    ax = a.get("axis", 0) % len(x.shape)
    n = x.shape[ax]
    sizes = a.get("split") if ctx.opset < 13 else ctx.const(node, 1)
    if sizes is None:
        count = len(node.output)
        chunk = -(-n // count)
        sizes = [min(chunk, n - i * chunk) for i in range(count)]
    starts = np.concatenate([[0], np.cumsum(sizes)]).astype(int)
    outs = []
    for i in range(len(node.output)):
        shape = list(x.shape)
        shape[ax] = int(sizes[i])
        idx = rf_index.take(n, np.arange(starts[i], starts[i + 1]))
        outs.append(Field(_compress(_gather(x.box, x.shape, ax, idx)), tuple(shape), x.axes))
    return outs


def _concat(node, ins, ctx: _Ctx) -> list[Field]:
    lead = next(f for f in ins if f is not None)
    rank = len(lead.shape)
    ax = _attrs(node)["axis"] % rank
    parts = []
    for name, f in zip(node.input, ins):
        if f is None:  # a constant block reads no pixel
            shape = ctx.shape(name)
            if shape is None:
                raise Unsupported("constant input of unknown shape")
            f = Field(np.full((4, *[1] * rank), EMPTY, np.int32), shape, None)
        parts.append(_along(f.box, f.shape, ax))
    dims = [max(p.shape[i] for p in parts) for i in range(rank + 1)]
    shape = list(lead.shape)
    shape[ax] = sum(p.shape[ax + 1] for p in parts)
    if math.prod(dims) // dims[ax + 1] * shape[ax] > MAX_BOX_INTS and ax not in (lead.axes or ()):
        ctx.note("rf-memory", _budget_note(shape))  # every position keeps the union over its channels
        return [Field(reduce(np.minimum, [_reduce(p, [ax]) for p in parts]), tuple(shape), lead.axes)]
    parts = [np.broadcast_to(p, [p.shape[i] if i == ax + 1 else dims[i] for i in range(rank + 1)]) for p in parts]
    return [Field(_compress(np.concatenate(parts, axis=ax + 1)), tuple(shape), lead.axes)]


def _transpose(box: np.ndarray, shape, axes, perm) -> Field:
    perm = list(perm)
    new_axes = None if axes is None else tuple(perm.index(a) for a in axes)
    return Field(box.transpose([0] + [p + 1 for p in perm]), tuple(shape[p] for p in perm), new_axes)


def _reshape_to(x: Field, new_shape) -> Field:
    new_shape = tuple(int(d) for d in new_shape)
    box = np.broadcast_to(x.box, (4, *x.shape)).reshape(4, *new_shape)
    return Field(_compress(box), new_shape, _reshaped_axes(x.axes, x.shape, new_shape))


def _reshape_like(node, ins, ctx: _Ctx) -> list[Field]:
    x = ins[0]
    shape = ctx.shape(node.output[0])
    a = _attrs(node)
    if shape is None and node.op_type == "Flatten":
        axis = a.get("axis", 1) % (len(x.shape) + 1)
        shape = (math.prod(x.shape[:axis]), math.prod(x.shape[axis:]))
    elif shape is None and node.op_type == "Reshape":
        target = [int(v) for v in ctx.const(node, 1)]
        target = [x.shape[i] if v == 0 and not a.get("allowzero") else v for i, v in enumerate(target)]
        if -1 in target:
            target[target.index(-1)] = math.prod(x.shape) // -math.prod(target)
        shape = tuple(target)
    elif shape is None:
        raise Unsupported("output shape unknown")
    return [_reshape_to(x, shape)]


def _space_depth(node, ins, ctx: _Ctx) -> list[Field]:
    """DepthToSpace / SpaceToDepth are a reshape, a transpose and a reshape; apply exactly those."""
    x = ins[0]
    a = _attrs(node)
    b = a["blocksize"]
    n, c, h, w = x.shape
    if node.op_type == "SpaceToDepth":
        f = _reshape_to(Field(x.box, x.shape, None), (n, c, h // b, b, w // b, b))
        f = _transpose(np.ascontiguousarray(f.box), f.shape, None, (0, 3, 5, 1, 2, 4))
        out = (n, c * b * b, h // b, w // b)
    else:
        crd = a.get("mode", "DCR") == "CRD"
        mid = (n, c // (b * b), b, b, h, w) if crd else (n, b, b, c // (b * b), h, w)
        f = _reshape_to(Field(x.box, x.shape, None), mid)
        f = _transpose(np.ascontiguousarray(f.box), f.shape, None, (0, 1, 4, 2, 5, 3) if crd else (0, 3, 4, 1, 5, 2))
        out = (n, c // (b * b), h * b, w * b)
    return [Field(_reshape_to(Field(f.box, f.shape, None), out).box, out, x.axes)]


def _squeeze_like(node, ins, ctx: _Ctx) -> list[Field]:
    x = ins[0]
    a = _attrs(node)
    axes = a.get("axes") if ctx.opset < 13 else ctx.const(node, 1)
    if node.op_type == "Squeeze":
        rank = len(x.shape)
        removed = [i for i in range(rank) if x.shape[i] == 1] if axes is None else [int(v) % rank for v in axes]
        shape = tuple(d for i, d in enumerate(x.shape) if i not in removed)
        return [Field(x.box.squeeze(axis=tuple(r + 1 for r in removed)), shape, _drop_axes(x.axes, removed))]
    rank = len(x.shape) + len(axes)
    added = {int(v) % rank for v in axes}
    old_positions = [i for i in range(rank) if i not in added]
    shape, dims = [1] * rank, [1] * rank
    for j, p in enumerate(old_positions):
        shape[p], dims[p] = x.shape[j], x.box.shape[j + 1]
    new_axes = None if x.axes is None else tuple(old_positions[a] for a in x.axes)
    return [Field(x.box.reshape(4, *dims), tuple(shape), new_axes)]


def _tile(node, ins, ctx: _Ctx) -> list[Field]:
    x = ins[0]
    repeats = [int(v) for v in ctx.const(node, 1)]
    box, shape = x.box, list(x.shape)
    for ax, rep in enumerate(repeats):
        if rep != 1:
            box = _gather(box, shape, ax, rf_index.take(shape[ax], np.arange(shape[ax] * rep) % shape[ax]))
            shape[ax] *= rep
    return [Field(_compress(box), tuple(shape), x.axes)]


def _resize(node, ins, ctx: _Ctx) -> list[Field]:
    x = ins[0]
    a = _attrs(node)
    rank = len(x.shape)
    out = ctx.shape(node.output[0])
    if node.op_type == "Upsample" or ctx.opset < 11:
        scales = a.get("scales") if ctx.opset < 9 else ctx.const(node, 1)
        coord, nearest = "asymmetric", "floor" if node.op_type == "Upsample" else "round_prefer_floor"
        sizes = None
    else:
        scales, sizes = ctx.const(node, 2), ctx.const(node, 3)
        scales = None if scales is None or scales.size == 0 else scales
        coord = a.get("coordinate_transformation_mode", "half_pixel")
        nearest = a.get("nearest_mode", "round_prefer_floor")
    axes = a.get("axes") or list(range(rank))
    roi = ctx.const(node, 1) if coord == "tf_crop_and_resize" else None
    if out is None:
        if sizes is None:
            out = list(x.shape)
            for i, ax in enumerate(axes):
                out[ax] = int(math.floor(x.shape[ax] * float(scales[i])))
        else:
            out = list(x.shape)
            for i, ax in enumerate(axes):
                out[ax] = int(sizes[i])
    mode = a.get("mode", "nearest")
    box = x.box
    for i, ax in enumerate(axes):
        n, n_out = x.shape[ax], out[ax]
        scale = float(scales[i]) if scales is not None else n_out / n
        if n == n_out and scale == 1.0 and roi is None:
            continue
        crop = None if roi is None else (float(roi[i]), float(roi[i + len(axes)]))
        idx = rf_index.resize(n, n_out, scale, mode, coord, nearest, a.get("cubic_coeff_a", -0.75),
                              bool(a.get("exclude_outside", 0)), crop, bool(a.get("antialias", 0)))
        if idx is None:
            raise Unsupported(f"Resize mode {mode!r} with {coord!r} coordinates")
        box = _gather(box, [*out[:ax], n, *out[ax + 1:]], ax, idx)
    return [Field(_compress(box), tuple(out), x.axes)]


def _reduce_op(node, ins, ctx: _Ctx) -> list[Field]:
    x = ins[0]
    a = _attrs(node)
    rank = len(x.shape)
    if node.op_type in ("ArgMax", "ArgMin"):
        axes = [a.get("axis", 0)]
    else:
        axes = a.get("axes")
        if axes is None and len(node.input) > 1 and node.input[1]:
            axes = ctx.const(node, 1).tolist()
        if not axes:
            if a.get("noop_with_empty_axes", 0):
                return [x]
            axes = list(range(rank))
    axes = sorted(int(v) % rank for v in axes)
    keep = bool(a.get("keepdims", 1))
    shape = tuple(1 if i in axes else d for i, d in enumerate(x.shape) if keep or i not in axes)
    return [Field(_reduce(x.box, axes, keep), shape, x.axes if keep else _drop_axes(x.axes, axes))]


def _softmax(node, ins, ctx: _Ctx) -> list[Field]:
    """Softmax before opset 13 normalises over every axis from ``axis`` on (default 1); from 13 over one axis."""
    x = ins[0]
    rank = len(x.shape)
    a = _attrs(node)
    if ctx.opset < 13:
        axes = range(a.get("axis", 1) % rank, rank)
    else:
        axes = [a.get("axis", -1) % rank]
    return [Field(_reduce(x.box, axes), x.shape, x.axes)]


def _normalization(node, ins, ctx: _Ctx) -> list[Field]:
    x = ins[0]
    a = _attrs(node)
    rank = len(x.shape)
    if node.op_type == "LRN":
        size = a["size"]
        idx = rf_index.window(x.shape[1], x.shape[1], size, 1, 1, (size - 1) // 2)
        return [Field(_compress(_gather(x.box, x.shape, 1, idx)), x.shape, x.axes)]
    if node.op_type in ("LayerNormalization", "RMSNormalization"):
        axes = range(a.get("axis", -1) % rank, rank)
    elif node.op_type == "MeanVarianceNormalization":
        axes = [v % rank for v in a.get("axes", [0, 2, 3])]
    else:  # GroupNormalization: each group of channels over all its positions
        g = a["num_groups"]
        full = x.full().reshape(4, x.shape[0], g, -1, *x.shape[2:])
        box = full.min(axis=tuple(range(3, full.ndim)), keepdims=True)
        box = np.broadcast_to(box, full.shape).reshape(4, *x.shape)
        return [Field(_compress(box), x.shape, x.axes)] * len(node.output)
    box = _reduce(x.box, axes)
    stats = Field(box, tuple(1 if i in axes else d for i, d in enumerate(x.shape)), x.axes)  # mean, 1/std
    return [Field(box, x.shape, x.axes)] + [stats] * (len(node.output) - 1)


def _batch_norm(node, ins, ctx: _Ctx) -> list[Field]:
    """Inference: per element. Training mode normalises with the batch's statistics: the whole channel."""
    x = ins[0]
    if not _attrs(node).get("training_mode", 0):
        return [x] * len(node.output)
    box = _reduce(x.box, [i for i in range(len(x.shape)) if i != 1])
    stats = Field(box.reshape(4, -1), (x.shape[1],), None)  # running mean and variance
    return [Field(box, x.shape, x.axes)] + [stats] * (len(node.output) - 1)


def _matmul(node, ins, ctx: _Ctx) -> list[Field]:
    """Gemm / MatMul: output (m, n) reads row m of A (all k) and column n of B; a vector operand is read whole."""
    a_pos, b_pos = (0, 3) if node.op_type == "QLinearMatMul" else (0, 1)
    a = _attrs(node)
    out = ctx.shape(node.output[0])
    if out is None:
        raise Unsupported("output shape unknown")
    ranks = [len(ins[p].shape) if p < len(ins) and ins[p] is not None else len(ctx.shape(node.input[p]) or ())
             for p in (a_pos, b_pos)]
    rank, parts = len(out), []
    for pos, contract, swap in ((a_pos, -2 if a.get("transA") else -1, bool(a.get("transA"))),
                                (b_pos, -1 if a.get("transB") else -2, bool(a.get("transB")))):
        f = ins[pos] if pos < len(ins) else None
        if f is None:
            continue
        if len(f.shape) == 1:
            box = f.box.min(axis=1)
        elif 1 in ranks:  # matrix times vector: the contracted axis disappears
            box = _reduce(f.box, [len(f.shape) + contract], keepdims=False)
        else:
            box = _reduce(f.box, [len(f.shape) + contract])
            box = box.swapaxes(-1, -2) if swap else box
        parts.append(_align(box, rank))
    if len(ins) > 2 and node.op_type == "Gemm" and ins[2] is not None:
        parts.append(_align(ins[2].box, rank))
    lead = ins[a_pos] if ins[a_pos] is not None else ins[b_pos]
    axes = lead.axes if len(lead.shape) == rank and lead.axes and all(a < rank - 1 for a in lead.axes) else None
    return [Field(_compress(reduce(np.minimum, parts)), out, axes)]


def _gather_op(node, ins, ctx: _Ctx) -> list[Field]:
    x = ins[0]
    if ins[1] is not None:
        raise Unsupported("indices computed from the image")
    ax = _attrs(node).get("axis", 0) % len(x.shape)
    indices = np.asarray(ctx.const(node, 1)).astype(np.int64) % x.shape[ax]
    box = np.take(_along(x.box, x.shape, ax), indices, axis=ax + 1)
    shape = (*x.shape[:ax], *indices.shape, *x.shape[ax + 1:])
    axes = x.axes if indices.ndim == 1 else _drop_axes(x.axes, [ax]) if indices.ndim == 0 else None
    return [Field(_compress(box), shape, axes)]


def _cumsum(node, ins, ctx: _Ctx) -> list[Field]:
    x = ins[0]
    a = _attrs(node)
    ax = int(np.asarray(ctx.const(node, 1)).reshape(-1)[0]) % len(x.shape)
    box = np.array(_along(x.box, x.shape, ax))
    if a.get("reverse"):
        box = np.flip(box, axis=ax + 1)
    box = np.minimum.accumulate(box, axis=ax + 1)
    if a.get("exclusive"):
        pad = np.full_like(box.take([0], axis=ax + 1), EMPTY)
        box = np.concatenate([pad, box.take(range(box.shape[ax + 1] - 1), axis=ax + 1)], axis=ax + 1)
    if a.get("reverse"):
        box = np.flip(box, axis=ax + 1)
    return [Field(_compress(box), x.shape, x.axes)]


def _topk(node, ins, ctx: _Ctx) -> list[Field]:
    x = ins[0]
    out = ctx.shape(node.output[0])
    if out is None:
        raise Unsupported("output shape unknown")
    ax = _attrs(node).get("axis", -1) % len(x.shape)
    return [Field(_reduce(x.box, [ax]), out, x.axes)] * len(node.output)


RULES: dict[str, Callable] = {
    "Conv": _conv, "ConvInteger": _conv, "QLinearConv": lambda n, i, c: _conv(n, i, c, w_pos=3),
    "ConvTranspose": _conv_transpose, "Pad": _pad, "Slice": _slice, "Split": _split, "Concat": _concat,
    "Transpose": lambda n, i, c: [_transpose(i[0].box, i[0].shape, i[0].axes,
                                             _attrs(n).get("perm", range(len(i[0].shape) - 1, -1, -1)))],
    "BatchNormalization": _batch_norm, "Reshape": _reshape_like, "Flatten": _reshape_like,
    "Squeeze": _squeeze_like, "Unsqueeze": _squeeze_like,
    "DepthToSpace": _space_depth, "SpaceToDepth": _space_depth, "Tile": _tile, "Resize": _resize,
    "Upsample": _resize, "Softmax": _softmax, "LogSoftmax": _softmax, "Hardmax": _softmax,
    "LRN": _normalization, "LayerNormalization": _normalization, "RMSNormalization": _normalization,
    "GroupNormalization": _normalization,
    "MeanVarianceNormalization": _normalization, "Gemm": _matmul, "MatMul": _matmul, "MatMulInteger": _matmul,
    "QLinearMatMul": _matmul, "Gather": _gather_op, "CumSum": _cumsum, "TopK": _topk,
    **{op: _reduce_op for op in REDUCE_OPS},
    **{op: _pool for op in POOL_OPS}, **{op: _global_pool for op in GLOBAL_POOL_OPS},
    **{op: _elementwise for op in ELEMENTWISE_OPS},
}


def _whole(node, ins: list[Field | None], ctx: _Ctx) -> list[Field | None]:
    """Fallback: every output element reads every element of every input."""
    box = reduce(np.minimum, [f.box.reshape(4, -1).min(axis=1) for f in ins if f is not None])
    outs = []
    for name in node.output:
        shape = ctx.shape(name)
        outs.append(None if shape is None else Field(box.reshape(4, *[1] * len(shape)), shape, None))
    return outs


def constants(model: onnx.ModelProto) -> dict[str, np.ndarray]:
    """Initializers and Constant-node values by name (pads, axes, scales, shapes)."""
    values = {}
    for t in model.graph.initializer:
        if math.prod(t.dims) <= SMALL and not t.external_data:
            try:
                values[t.name] = numpy_helper.to_array(t)
            except ValueError:  # a structure-only copy (weights left out): a parameter nobody reads as a constant
                continue
    for node in model.graph.node:
        if node.op_type == "Constant":
            for a in node.attribute:
                if a.name == "value":
                    values[node.output[0]] = numpy_helper.to_array(a.t)
                elif a.name in ("value_ints", "value_floats"):
                    values[node.output[0]] = np.asarray(onnx.helper.get_attribute_value(a))
                elif a.name in ("value_int", "value_float"):
                    values[node.output[0]] = np.asarray(onnx.helper.get_attribute_value(a))
    return values


def propagate(model: onnx.ModelProto, order: list[onnx.NodeProto], input_name: str, input_shape, axes,
              shapes: Shapes, note: Callable[[str, str], None], visit: Callable[[str, Field], None]) -> None:
    """Walk ``order`` once; call ``visit(tensor, field)`` for every tensor computed from the image.

    A field is dropped once its last consumer has run, so memory stays near the widest point of the graph."""
    opset = next((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), 13)
    weights = {t.name: tuple(t.dims) for t in model.graph.initializer}
    ctx = _Ctx({**weights, **shapes}, constants(model), opset, note)
    fields: dict[str, Field | None] = {input_name: input_field(tuple(input_shape), axes)}
    uses: dict[str, int] = {}
    for node in order:
        for i in node.input:
            uses[i] = uses.get(i, 0) + 1
    visit(input_name, fields[input_name])
    for node in order:
        ins = [fields.get(i) if i else None for i in node.input]
        if any(i in fields for i in node.input if i) and node.op_type not in NON_SPATIAL_OPS:
            outs = [_within_budget(f, note) for f in _apply(node, ins, ctx, note)]
            for name, f in zip(node.output, outs):
                if name:
                    fields[name] = f
                    if f is not None:
                        visit(name, f)
        for i in node.input:
            uses[i] = uses.get(i, 1) - 1
            if uses[i] == 0 and i != input_name:
                fields.pop(i, None)


def _budget_note(shape) -> str:
    return (f"A tensor of shape {'×'.join(map(str, shape))} would need more than {MAX_BOX_INTS * 4 // 2**20} MB of "
            "receptive-field boxes; its channels share one box from there on, so boxes after channels are split "
            "apart may be bounds rather than exact.")


def _within_budget(f: Field | None, note) -> Field | None:
    """Channels with different boxes at a high resolution (a concat of branches) can need gigabytes: past the
    budget, every position keeps the union over its channels. Unit boxes stay exact unless a later op picks
    channels apart (Split/Slice on channels, grouped convolutions): there they become bounds."""
    if f is None or f.box.size <= MAX_BOX_INTS:
        return f
    note("rf-memory", _budget_note(f.shape))
    keep = set(f.axes or ())
    return Field(_reduce(f.box, [i for i in range(len(f.shape)) if i not in keep]), f.shape, f.axes)


def _apply(node, ins, ctx: _Ctx, note) -> list[Field | None]:
    name = node.name or node.output[0]
    if all(f is None for f in ins):  # inputs computed from the image but of unknown extent
        return [None] * len(node.output)
    rule = RULES.get(node.op_type) if node.domain in ("", "ai.onnx") else None
    if rule is not None and (ins[0] is not None or rule in (_elementwise, _matmul, _concat)):
        try:
            outs = rule(node, ins, ctx)
            for out_name, f in zip(node.output, outs):
                known = ctx.shape(out_name)
                if f is not None and known is not None and tuple(known) != f.shape:
                    raise Unsupported(f"shape {f.shape} disagrees with {known}")
            return outs
        except (Unsupported, KeyError, IndexError, ValueError, TypeError, AttributeError) as exc:
            note(f"rf-{node.op_type}", f"{node.op_type} (e.g. {name}): receptive field not modelled ({exc}); "
                 "each of its outputs is taken to see everything its inputs see.")
            return _whole(node, ins, ctx)
    first = next(f for f in ins if f is not None)
    out = ctx.shape(node.output[0])
    if out is not None and out == first.shape:
        note(f"rf-{node.op_type}", f"{node.op_type} (e.g. {name}) is not modelled; it keeps its input's shape, so "
             "it is taken to be element-wise.")
        return [first] * len(node.output)
    note(f"rf-{node.op_type}", f"{node.op_type} (e.g. {name}) is not modelled; each of its outputs is taken to see "
         "everything its inputs see.")
    return _whole(node, ins, ctx)
