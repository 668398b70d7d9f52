"""Receptive fields over an ONNX graph: the triple algebra (Araujo, Norris & Sim, Distill 2019) checked against
every unit's exact box.

Per spatial axis a tensor's field is a triple (size, stride, padding): unit ``y`` sees input pixels
``y*stride - padding ... y*stride - padding + size - 1``. The algebra proposes the triple (sliding windows grow it,
element-wise ops keep it, merges take the union); ``rf_boxes`` computes each unit's exact box by interval
propagation. Where the proposed triple reproduces every box (clipped to the input) it is kept; where no triple
does (reflect padding, slicing, resizing, merges of different strides) the smallest triple that contains every
box is reported with ``exact=False``. A field is ``None`` ("the whole input") only when every unit sees the
whole input, or the tensor has no rows and columns left (after Flatten/Gemm).
"""
from __future__ import annotations

import heapq
from dataclasses import dataclass, field, replace

import numpy as np
import onnx

from explorer.core import rf_boxes, rf_index
from explorer.core.errors import UserError
from explorer.core.onnx_load import CONV_WEIGHT_INPUT, find_image_input, image_axes
from explorer.core.rf_shapes import Shapes, runtime_shapes


@dataclass(frozen=True)
class RF:
    size: tuple[int, int]
    stride: tuple[int, int]
    padding: tuple[int, int]
    mixed_strides: bool = False
    exact: bool = True  # False: no triple gives every unit's box; this one contains each of them


@dataclass(frozen=True)
class Region:
    box: tuple[int, int, int, int]  # (top, left, bottom, right) inclusive, may extend past the image
    clipped: tuple[int, int, int, int] | None  # the same box clipped to the image; None if entirely outside
    in_padding: bool  # part of the box lies outside the image (in the zero padding)


@dataclass(frozen=True)
class UnitBoxes:
    """The exact box of every spatial position (all channels together) of one tensor.

    Stored per axis when the field is separable (a unit's rows depend on y only and its columns on x only, as
    in every chain of convolutions): a few KB instead of a (rows, cols, 4) grid per layer."""
    spans: tuple[np.ndarray, np.ndarray] | np.ndarray  # ((rows, 2), (cols, 2)) top/bottom, left/right; or the grid
    shape: tuple[int, int]  # rows, cols
    input_hw: tuple[int, int]

    @classmethod
    def of(cls, units: np.ndarray, input_hw: tuple[int, int]) -> UnitBoxes:
        """From rf_boxes' (4, rows, cols) form: top, left, -bottom, -right, EMPTY where a unit sees no pixel."""
        top, left, bottom, right = units[0], units[1], -units[2], -units[3]
        if top.size == 0:  # an empty tensor (a slice or resize to zero rows or columns) has no unit to box
            rows, cols = top.shape
            return cls((np.full((rows, 2), -1, np.int32), np.full((cols, 2), -1, np.int32)), top.shape, input_hw)
        if (top < rf_boxes.EMPTY).all() and (top == top[:, :1]).all() and (bottom == bottom[:, :1]).all() \
                and (left == left[:1]).all() and (right == right[:1]).all():  # the usual case, without a grid
            return cls((np.stack([top[:, 0], bottom[:, 0]], 1).astype(np.int32),
                        np.stack([left[0], right[0]], 1).astype(np.int32)), top.shape, input_hw)
        grid = np.where((top < rf_boxes.EMPTY)[..., None], np.stack([top, left, bottom, right], axis=-1), -1)
        seen = grid[..., 0] >= 0
        big = np.iinfo(np.int32).max
        rows = np.stack([np.where(seen, grid[..., 0], big).min(1), grid[..., 2].max(1)], axis=1)
        cols = np.stack([np.where(seen, grid[..., 1], big).min(0), grid[..., 3].max(0)], axis=1)
        rows[rows[:, 1] < 0], cols[cols[:, 1] < 0] = -1, -1
        split = cls((rows.astype(np.int32), cols.astype(np.int32)), grid.shape[:2], input_hw)
        return split if np.array_equal(split.boxes, grid) else cls(grid.astype(np.int32), grid.shape[:2], input_hw)

    @property
    def boxes(self) -> np.ndarray:
        """(rows, cols, 4): top, left, bottom, right inclusive; -1s for a unit that sees no pixel."""
        if isinstance(self.spans, np.ndarray):
            return self.spans
        rows, cols = self.spans
        grid = np.stack(np.broadcast_arrays(rows[:, None, 0], cols[None, :, 0], rows[:, None, 1], cols[None, :, 1]),
                        axis=-1)
        return np.where(((rows[:, None, 0] >= 0) & (cols[None, :, 0] >= 0))[..., None], grid, -1)

    def box(self, y: int, x: int) -> tuple[int, int, int, int] | tuple[()] | None:
        """Input pixels unit (y, x) sees: a box, () for none (only padding), None for the whole input."""
        if isinstance(self.spans, np.ndarray):
            top, left, bottom, right = (int(v) for v in self.spans[y, x])
        else:
            (top, bottom), (left, right) = (int(v) for v in self.spans[0][y]), (int(v) for v in self.spans[1][x])
            top = -1 if left < 0 else top
        if top < 0:
            return ()
        if (top, left, bottom, right) == (0, 0, self.input_hw[0] - 1, self.input_hw[1] - 1):
            return None
        return top, left, bottom, right


@dataclass
class Analysis:
    rfs: dict[str, RF | None]  # by tensor name
    units: dict[str, UnitBoxes] = field(default_factory=dict)  # by tensor name, for tensors with rows and columns


# Ops that act on each spatial position independently: the algebra keeps the field.
UNCHANGED_OPS = rf_boxes.ELEMENTWISE_OPS | {"LRN", "Split"}
WINDOW_OPS = {*CONV_WEIGHT_INPUT, "MaxPool", "AveragePool", "LpPool"}  # quantised convolutions included


@dataclass(frozen=True)
class _State:
    rf: RF | None
    axes: tuple[int, int] | None  # which dims of the tensor are (height, width); None when rf is None


def _attrs(node: onnx.NodeProto) -> dict:
    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


def _union(states: list[_State]) -> _State:
    """Union of the regions of several inputs that share one output grid."""
    if any(st.rf is None for st in states) or len({st.axes for st in states}) != 1:
        return _State(None, None)
    size, stride, padding, mixed = [], [], [], any(st.rf.mixed_strides for st in states)
    for ax in range(2):
        strides = {st.rf.stride[ax] for st in states}
        mixed |= len(strides) > 1
        p_max = max(st.rf.padding[ax] for st in states)
        size.append(max(p_max - st.rf.padding[ax] + st.rf.size[ax] for st in states))
        stride.append(max(strides))
        padding.append(p_max)
    return _State(RF(tuple(size), tuple(stride), tuple(padding), mixed), states[0].axes)


def analyse(model: onnx.ModelProto, shapes: Shapes | None = None, notes: list[str] | None = None) -> Analysis:
    """Receptive field (triple) and exact unit boxes of every tensor computed from the image input.

    ``shapes`` (tensor -> shape) may be passed in when already known (inspect measures what onnxruntime
    computes); otherwise shape inference supplies them. What is not modelled is appended to ``notes``."""
    notes = notes if notes is not None else []
    input_name, input_shape = find_image_input(model, notes)
    shapes = runtime_shapes(model, input_name, input_shape, notes)[0] if shapes is None else shapes
    shapes = {**shapes, input_name: tuple(input_shape)}
    axes = image_axes(input_shape)
    hw = (input_shape[axes[0]], input_shape[axes[1]])
    order = topological_order(model.graph)
    hints = _algebra(model, order, input_name, axes, shapes)
    noted: set[str] = set()

    def note(key: str, text: str) -> None:
        if key not in noted:
            noted.add(key)
            notes.append(text)

    result = Analysis({})

    def visit(name: str, f: rf_boxes.Field) -> None:
        units = f.units()
        if units is None:
            result.rfs[name] = None
            return
        upright = units if f.axes[0] < f.axes[1] else units.transpose(0, 2, 1)  # triples run along image rows
        result.rfs[name] = _fit(upright, hints.get(name), hw)
        result.units[name] = UnitBoxes.of(units, hw)

    rf_boxes.propagate(model, order, input_name, input_shape, axes, shapes, note, visit)
    return result


def receptive_fields(
    model: onnx.ModelProto, shapes: Shapes | None = None, notes: list[str] | None = None
) -> dict[str, RF | None]:
    """Receptive field of every tensor computed from the image input, keyed by tensor name; None = whole input."""
    return analyse(model, shapes, notes).rfs


def element_boxes(model: onnx.ModelProto, tensor: str, shapes: Shapes | None = None) -> np.ndarray | None:
    """(*tensor shape, 4): the exact box (top, left, bottom, right) of every element, channels apart; -1s where
    an element sees no pixel. None if the tensor is not computed from the image."""
    input_name, input_shape = find_image_input(model)
    shapes = runtime_shapes(model, input_name, input_shape, [])[0] if shapes is None else shapes
    shapes = {**shapes, input_name: tuple(input_shape)}
    found: list[rf_boxes.Field] = []
    rf_boxes.propagate(model, topological_order(model.graph), input_name, input_shape, image_axes(input_shape),
                       shapes, lambda key, text: None, lambda name, f: found.append(f) if name == tensor else None)
    if not found:
        return None
    box = np.moveaxis(found[0].full(), 0, -1)
    boxes = box * np.array([1, 1, -1, -1], np.int32)
    return np.where((box[..., :1] < rf_boxes.EMPTY), boxes, -1)


def unit_box(model: onnx.ModelProto, layer: str, y: int, x: int, shapes: Shapes | None = None):
    """Exact input box (top, left, bottom, right) unit (y, x) of ``layer`` sees; None = whole input, () = none."""
    units = analyse(model, shapes).units
    outputs = {n.name or n.output[0]: n.output[0] for n in model.graph.node if n.output}
    return lookup_unit(units, outputs, layer, y, x)


def lookup_unit(units: dict[str, UnitBoxes], outputs: dict[str, str], layer: str, y: int, x: int):
    """The box of unit (y, x) of a layer (by layer or tensor name); one-line UserError if there is no such unit."""
    tensor = outputs.get(layer, layer)
    if tensor not in units:
        if tensor in outputs.values() or layer in outputs:
            raise UserError(f"Layer {layer!r} has no rows and columns (it is fully connected or flattened); "
                            "choose a convolution or pooling layer.")
        raise UserError(f"No layer named {layer!r}; 'cnn-explorer inspect MODEL' lists the layers.")
    rows, cols = units[tensor].shape
    if not (0 <= y < rows and 0 <= x < cols):
        raise UserError(f"Unit ({y}, {x}) is outside layer {layer!r}, which has {rows}×{cols} units; "
                        f"choose Y in 0..{rows - 1} and X in 0..{cols - 1}.")
    return units[tensor].box(y, x)


def _fit(units: np.ndarray, hint: RF | None, hw: tuple[int, int]) -> RF | None:
    """The hint if it reproduces every unit's box; else the smallest triple containing them (exact=False)."""
    top, left, bottom, right = units[0], units[1], -units[2], -units[3]
    seen = top < rf_boxes.EMPTY
    if not seen.any() or hint is not None and _describes(hint, units, hw):
        return hint
    if (top[seen] == 0).all() and (left[seen] == 0).all() and (bottom[seen] == hw[0] - 1).all() \
            and (right[seen] == hw[1] - 1).all():
        return None  # every unit sees everything and no sliding-window triple says more (GAP, Gemm, softmax)
    size, stride, padding = [], [], []
    for ax, (lo, hi) in enumerate(((top, bottom), (left, right))):
        lo = np.where(seen, lo, np.iinfo(np.int32).max).min(axis=1 - ax)
        hi = np.where(seen, hi, np.iinfo(np.int32).min).max(axis=1 - ax)
        pos = np.flatnonzero(seen.any(axis=1 - ax))
        lo, hi = lo[pos], hi[pos]
        if hint is not None:
            s = hint.stride[ax]
        else:
            s = max(1, round(((lo[-1] + hi[-1]) - (lo[0] + hi[0])) / 2 / max(pos[-1] - pos[0], 1)))
        p = int((pos * s - lo).max())
        stride.append(s)
        padding.append(p)
        size.append(int((hi - pos * s).max()) + p + 1)
    fitted = RF(tuple(size), tuple(stride), tuple(padding), hint.mixed_strides if hint else False)
    return replace(fitted, exact=_describes(fitted, units, hw))


def _describes(rf: RF, units: np.ndarray, hw: tuple[int, int]) -> bool:
    """Does the triple, clipped to the input, give exactly every unit's box (and no box where a unit sees none)?"""
    rows, cols = units.shape[1:]
    start = [np.arange(n) * rf.stride[ax] - rf.padding[ax] for ax, n in enumerate((rows, cols))]
    lo = [np.maximum(s, 0) for s in start]
    hi = [np.minimum(s + rf.size[ax] - 1, hw[ax] - 1) for ax, s in enumerate(start)]
    seen = (lo[0] <= hi[0])[:, None] & (lo[1] <= hi[1])[None, :]
    actual = units[0] < rf_boxes.EMPTY
    if not np.array_equal(seen, actual):
        return False
    expected = [lo[0][:, None], lo[1][None, :], -hi[0][:, None], -hi[1][None, :]]
    return all(np.array_equal(np.broadcast_to(e, seen.shape)[seen], units[i][seen]) for i, e in enumerate(expected))


def _algebra(model: onnx.ModelProto, order, input_name: str, axes, shapes: Shapes) -> dict[str, RF | None]:
    """The triple each tensor would have by the Araujo et al. rules (None where they do not apply)."""
    constants = rf_boxes.constants(model)
    states: dict[str, _State] = {input_name: _State(RF((1, 1), (1, 1), (0, 0)), axes)}
    for node in order:
        ins = [states[i] for i in node.input if i in states]
        if not ins or node.op_type in rf_boxes.NON_SPATIAL_OPS:
            continue
        out = _propagate(node, ins, shapes, constants)
        for name in node.output:
            if name:
                states[name] = out
    return {name: st.rf for name, st in states.items()}


def _propagate(node: onnx.NodeProto, ins: list[_State], shapes: Shapes, constants: dict) -> _State:
    op = node.op_type
    first = ins[0]
    if any(st.rf is None for st in ins):
        return _State(None, None)
    if op == "Concat" and (_attrs(node).get("axis", 1) % 4) not in first.axes or op in rf_boxes.ELEMENTWISE_OPS \
            and len(ins) > 1:
        return _union(ins)
    if op in UNCHANGED_OPS:
        return first
    if op == "Transpose" and _attrs(node).get("perm") is not None:
        perm = list(_attrs(node)["perm"])
        return _State(first.rf, (perm.index(first.axes[0]), perm.index(first.axes[1])))
    if op == "Pad":
        return _pad(node, first, shapes, constants)
    if op in WINDOW_OPS:
        return _window(node, first, shapes)
    in_shape, out_shape = shapes.get(node.input[0]), shapes.get(node.output[0])
    if len(ins) == 1 and in_shape and out_shape and len(in_shape) == len(out_shape) \
            and all(in_shape[a] == out_shape[a] for a in first.axes):
        return first  # keeps the grid: a guess the exact boxes confirm or overrule
    return _State(None, None)


def _window(node: onnx.NodeProto, st: _State, shapes: Shapes) -> _State:
    """Conv (plain or quantised) / MaxPool / AveragePool / LpPool: size += (k_eff-1)*stride, padding += p*stride,
    stride *= s."""
    attrs = _attrs(node)
    kernel = attrs.get("kernel_shape")
    weight = CONV_WEIGHT_INPUT.get(node.op_type)
    if kernel is None and weight is not None and len(node.input) > weight:
        w_shape = shapes.get(node.input[weight])
        kernel = list(w_shape[2:]) if w_shape and None not in w_shape[2:] else None
    in_shape = shapes.get(node.input[0])
    if st.axes != (2, 3) or kernel is None or len(kernel) != 2 or not in_shape or len(in_shape) != 4:
        return _State(None, None)
    strides = attrs.get("strides", [1, 1])
    dilations = attrs.get("dilations", [1, 1])
    pads = attrs.get("pads", [0, 0, 0, 0])
    auto_pad = attrs.get("auto_pad", b"NOTSET")
    auto_pad = auto_pad.decode() if isinstance(auto_pad, bytes) else auto_pad
    rf = st.rf
    size, stride, padding = [], [], []
    for ax in range(2):
        k_eff = dilations[ax] * (kernel[ax] - 1) + 1
        if auto_pad in ("SAME_UPPER", "SAME_LOWER"):
            if in_shape[2 + ax] is None:
                return _State(None, None)
            begin = rf_index.same_pad_begin(in_shape[2 + ax], kernel[ax], strides[ax], dilations[ax], auto_pad,
                                            pool=weight is None)
        else:
            begin = 0 if auto_pad == "VALID" else pads[ax]
        size.append(rf.size[ax] + (k_eff - 1) * rf.stride[ax])
        padding.append(rf.padding[ax] + begin * rf.stride[ax])
        stride.append(rf.stride[ax] * strides[ax])
    return _State(RF(tuple(size), tuple(stride), tuple(padding), rf.mixed_strides), st.axes)


def _pad(node: onnx.NodeProto, st: _State, shapes: Shapes, constants: dict) -> _State:
    """An explicit Pad shifts the grid: padding += pad_begin * stride on each image axis."""
    attrs = _attrs(node)
    pads = attrs.get("pads")
    if pads is None and len(node.input) > 1 and node.input[1] in constants:
        pads = np.asarray(constants[node.input[1]]).tolist()
    rank = len(shapes.get(node.input[0]) or ()) or (len(pads) // 2 if pads else 0)
    if pads is None or (len(node.input) > 3 and node.input[3]) or len(pads) != 2 * rank:
        return _State(None, None)
    rf = st.rf
    padding = tuple(rf.padding[i] + pads[st.axes[i]] * rf.stride[i] for i in range(2))
    return _State(RF(rf.size, rf.stride, padding, rf.mixed_strides), st.axes)


def topological_order(graph: onnx.GraphProto) -> list[onnx.NodeProto]:
    """Nodes in dependency order (stable: keeps the file's order where it is already valid)."""
    producer = {out: i for i, node in enumerate(graph.node) for out in node.output if out}
    deps = [{producer[i] for i in node.input if i in producer and producer[i] != idx}
            for idx, node in enumerate(graph.node)]
    if all(all(d < idx for d in ds) for idx, ds in enumerate(deps)):
        return list(graph.node)
    users: dict[int, list[int]] = {}
    for idx, ds in enumerate(deps):
        for d in ds:
            users.setdefault(d, []).append(idx)
    remaining = [len(ds) for ds in deps]
    ready = [idx for idx, n in enumerate(remaining) if n == 0]
    heapq.heapify(ready)
    order: list[int] = []
    while ready:
        idx = heapq.heappop(ready)
        order.append(idx)
        for u in users.get(idx, []):
            remaining[u] -= 1
            if remaining[u] == 0:
                heapq.heappush(ready, u)
    # Nodes in a cycle (invalid graph) are appended in file order so nothing silently disappears.
    done = set(order)
    order += [idx for idx in range(len(graph.node)) if idx not in done]
    return [graph.node[i] for i in order]


def back_project(rf: RF, y: int, x: int, input_hw) -> Region:
    """Input pixels seen by unit (y, x) of a tensor with receptive field ``rf``, for an input of size ``input_hw``."""
    h, w = int(input_hw[0]), int(input_hw[1])
    top = y * rf.stride[0] - rf.padding[0]
    left = x * rf.stride[1] - rf.padding[1]
    box = (top, left, top + rf.size[0] - 1, left + rf.size[1] - 1)
    clipped = (max(box[0], 0), max(box[1], 0), min(box[2], h - 1), min(box[3], w - 1))
    inside = clipped[0] <= clipped[2] and clipped[1] <= clipped[3]
    in_padding = box[0] < 0 or box[1] < 0 or box[2] > h - 1 or box[3] > w - 1
    return Region(box, clipped if inside else None, in_padding)
