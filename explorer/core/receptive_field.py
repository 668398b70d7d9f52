"""Receptive-field algebra over an ONNX graph (Araujo, Norris & Sim, Distill 2019).

Per spatial axis every tensor carries (size, stride, padding): unit ``y`` sees input pixels
``y*stride - padding ... y*stride - padding + size - 1``. The image input is (1, 1, 0). Sliding-window ops
grow it, element-wise ops keep it, merges take the union of their inputs' regions, and global ops
(Gemm, Flatten, GlobalAveragePool, ...) see the whole input, written ``None``; everything downstream of a
``None`` is ``None`` too.
"""
from __future__ import annotations

import heapq
import math
from dataclasses import dataclass

import onnx
from onnx import numpy_helper

from explorer.core.onnx_load import find_image_input, image_axes, private_copy

Shapes = dict[str, "tuple[int | None, ...] | None"]


@dataclass(frozen=True)
class RF:
    size: tuple[int, int]
    stride: tuple[int, int]
    padding: tuple[int, int]
    mixed_strides: bool = False


@dataclass(frozen=True)
class Region:
    box: tuple[int, int, int, int]  # (top, left, bottom, right) inclusive, may extend past the image
    clipped: tuple[int, int, int, int] | None  # the same box clipped to the image; None if entirely outside
    in_padding: bool  # part of the box lies outside the image (in the zero padding)


# Ops that act on each spatial position independently (element-wise, per-pixel normalisation, channel ops).
UNCHANGED_OPS = {
    "Relu", "LeakyRelu", "PRelu", "Elu", "Selu", "Celu", "Gelu", "Tanh", "Sigmoid", "HardSigmoid", "HardSwish",
    "Softplus", "Softsign", "Mish", "Erf", "Exp", "Log", "Sqrt", "Neg", "Abs", "Reciprocal", "Floor", "Ceil",
    "Round", "Sign", "Not", "Clip", "Cast", "CastLike", "Identity", "Dropout", "BatchNormalization", "LRN",
    "QuantizeLinear", "DequantizeLinear", "Split",
}
# Merges: the output unit sees the union of what the corresponding input units see.
MERGE_OPS = {"Add", "Sum", "Concat", "Mul", "Max", "Min", "Mean", "Sub", "Div", "Pow", "Where", "And", "Or"}
# Ops whose output units see the whole input.
GLOBAL_OPS = {
    "Gemm", "MatMul", "Flatten", "Reshape", "GlobalAveragePool", "GlobalMaxPool", "GlobalLpPool",
    "InstanceNormalization", "LayerNormalization", "GroupNormalization", "MeanVarianceNormalization",
}
WINDOW_OPS = {"Conv", "MaxPool", "AveragePool", "LpPool"}
REDUCE_PREFIX = "Reduce"
# Outputs describe shapes or constants, not image content: they get no receptive field.
NON_SPATIAL_OPS = {"Shape", "Size", "Constant", "ConstantOfShape", "EyeLike", "RandomNormal", "RandomUniform"}


@dataclass(frozen=True)
class _State:
    rf: RF | None
    axes: tuple[int, int] | None  # which dims of the tensor are (height, width); None when rf is None


def _attrs(node: onnx.NodeProto) -> dict:
    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


def inferred_shapes(model: onnx.ModelProto) -> tuple[Shapes, dict[str, int]]:
    """Shapes (unknown dims as None) and element types that shape inference (strict=False) determines."""
    try:
        inferred = onnx.shape_inference.infer_shapes(model, strict_mode=False)
    except Exception:  # inference gave up entirely: keep what the file declares
        inferred = model
    shapes: Shapes = {}
    types: dict[str, int] = {}
    g = inferred.graph
    for vi in list(g.input) + list(g.value_info) + list(g.output):
        shapes[vi.name] = value_info_shape(vi)
        if vi.type.tensor_type.elem_type:
            types[vi.name] = vi.type.tensor_type.elem_type
    for t in g.initializer:
        shapes[t.name], types[t.name] = tuple(t.dims), t.data_type
    return shapes, types


def value_info_shape(vi: onnx.ValueInfoProto) -> tuple[int | None, ...] | None:
    tt = vi.type.tensor_type
    if not tt.HasField("shape"):
        return None
    return tuple(d.dim_value if d.HasField("dim_value") else None for d in tt.shape.dim)


def _known(shape) -> bool:
    return shape is not None and None not in shape


def _same_pad_begin(n: int | None, k_eff: int, s: int, mode: str) -> tuple[int, bool]:
    """Begin padding of SAME_UPPER/SAME_LOWER; second value says the input size was unknown (assumed n % s == 0)."""
    total = max((math.ceil(n / s) - 1) * s + k_eff - n, 0) if n else max(k_eff - s, 0)
    begin = total // 2 if mode == "SAME_UPPER" else total - total // 2
    return begin, n is None


def _constants(model: onnx.ModelProto) -> dict[str, onnx.TensorProto]:
    """Initializers and Constant-node values, by name (enough to read Pad pads and reduce axes)."""
    values = {t.name: t for t in model.graph.initializer}
    for node in model.graph.node:
        if node.op_type == "Constant":
            for a in node.attribute:
                if a.name == "value":
                    values[node.output[0]] = a.t
    return values


def _union(states: list[_State]) -> _State:
    """Union of the regions of several inputs that share one output grid."""
    if any(st.rf is None for st in states):
        return _State(None, None)
    axes = {st.axes for st in states}
    if len(axes) != 1:
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


def receptive_fields(
    model: onnx.ModelProto, shapes: Shapes | None = None, notes: list[str] | None = None
) -> dict[str, RF | None]:
    """Receptive field of every tensor computed from the image input, keyed by tensor name; None = whole input.

    ``shapes`` (tensor -> shape) may be passed in when already known (inspect fills holes with a probe run);
    otherwise shape inference supplies them. Approximations are appended to ``notes``.
    """
    notes = notes if notes is not None else []
    input_name, input_shape = find_image_input(model, notes)
    if shapes is None:
        shapes = inferred_shapes(private_copy(model, input_name, input_shape, strip=True))[0]
    constants = _constants(model)
    states: dict[str, _State] = {input_name: _State(RF((1, 1), (1, 1), (0, 0)), image_axes(input_shape))}
    shapes = {**shapes, input_name: tuple(input_shape)}
    noted: set[str] = set()

    def note(key: str, text: str) -> None:
        if key not in noted:
            noted.add(key)
            notes.append(text)

    for node in topological_order(model.graph):
        ins = [states[i] for i in node.input if i in states]
        if not ins or node.op_type in NON_SPATIAL_OPS:
            continue  # constant subgraph or shape arithmetic: no receptive field
        out = _propagate(node, ins, shapes, constants, note)
        for name in node.output:
            if name:
                states[name] = out
    return {name: st.rf for name, st in states.items()}


def _propagate(node: onnx.NodeProto, ins: list[_State], shapes: Shapes, constants: dict, note) -> _State:
    op = node.op_type
    first = ins[0]
    if any(st.rf is None for st in ins) or op in GLOBAL_OPS:
        return _State(None, None)
    if op in MERGE_OPS:
        if op == "Concat" and (_attrs(node).get("axis", 1) % 4) in first.axes:
            note("concat-spatial", f"{node.name or node.output[0]}: Concat along a spatial axis; receptive field "
                 "treated as the whole input from there on.")
            return _State(None, None)
        return _union(ins)
    if op in UNCHANGED_OPS:
        return first
    if op in ("Softmax", "LogSoftmax", "Hardmax"):
        rank = len(shapes.get(node.input[0]) or (0,) * 4) or 4
        axis = _attrs(node).get("axis", -1) % rank
        return _State(None, None) if axis in first.axes else first
    if op.startswith(REDUCE_PREFIX):
        attrs = _attrs(node)
        axes = attrs.get("axes")
        if axes is None and len(node.input) > 1 and node.input[1] in constants:
            axes = numpy_helper.to_array(constants[node.input[1]]).tolist()
        rank = len(shapes.get(node.input[0]) or ()) or 4
        if axes is None or any(a % rank in first.axes for a in axes) or not attrs.get("keepdims", 1):
            return _State(None, None)
        return first
    if op == "Transpose":
        perm = _attrs(node).get("perm")
        if perm is None:
            return _State(None, None)
        return _State(first.rf, (list(perm).index(first.axes[0]), list(perm).index(first.axes[1])))
    if op == "Pad":
        return _pad(node, first, shapes, constants, note)
    if op in WINDOW_OPS:
        return _window(node, first, shapes, note)
    # Unknown op: unchanged if it keeps the spatial grid, otherwise give up on locality.
    in_shape, out_shape = shapes.get(node.input[0]), shapes.get(node.output[0])
    name = node.name or node.output[0]
    if _known(in_shape) and _known(out_shape) and len(in_shape) == len(out_shape) \
            and all(in_shape[a] == out_shape[a] for a in first.axes):
        note(f"unknown-{op}", f"{op} (e.g. {name}) is not modelled; it keeps the spatial size, so its receptive "
             "field is taken as unchanged.")
        return first
    change = "changes the spatial size" if _known(in_shape) and _known(out_shape) else "has an unknown output shape"
    note(f"unknown-{op}", f"{op} (e.g. {name}) is not modelled and {change}; its receptive field is treated as the "
         "whole input.")
    return _State(None, None)


def _window(node: onnx.NodeProto, st: _State, shapes: Shapes, note) -> _State:
    """Conv / MaxPool / AveragePool / LpPool: size += (k_eff-1)*stride, padding += p*stride, stride *= s."""
    name = node.name or node.output[0]
    if st.axes != (2, 3):
        note(f"layout-{name}", f"{name}: {node.op_type} does not slide over the image axes; receptive field "
             "treated as the whole input.")
        return _State(None, None)
    attrs = _attrs(node)
    kernel = attrs.get("kernel_shape")
    if kernel is None and len(node.input) > 1:
        w_shape = shapes.get(node.input[1])
        kernel = list(w_shape[2:]) if w_shape and None not in w_shape[2:] else None
    if kernel is None or len(kernel) != 2:
        note(f"kernel-{name}", f"{name}: kernel shape unknown or not 2-D; receptive field treated as the whole input.")
        return _State(None, None)
    strides = attrs.get("strides", [1, 1])
    dilations = attrs.get("dilations", [1, 1])
    pads = attrs.get("pads", [0, 0, 0, 0])
    auto_pad = attrs.get("auto_pad", b"NOTSET")
    auto_pad = auto_pad.decode() if isinstance(auto_pad, bytes) else auto_pad
    in_shape = shapes.get(node.input[0])
    rf = st.rf
    size, stride, padding = [], [], []
    for ax in range(2):
        k_eff = dilations[ax] * (kernel[ax] - 1) + 1
        if auto_pad in ("SAME_UPPER", "SAME_LOWER"):
            n = in_shape[2 + ax] if in_shape and len(in_shape) == 4 else None
            begin, guessed = _same_pad_begin(n, k_eff, strides[ax], auto_pad)
            if guessed:
                note(f"same-{name}", f"{name}: input size unknown; {auto_pad} padding assumed for a size divisible "
                     "by the stride.")
        elif auto_pad == "VALID":
            begin = 0
        else:
            begin = pads[ax]
        size.append(rf.size[ax] + (k_eff - 1) * rf.stride[ax])
        padding.append(rf.padding[ax] + begin * rf.stride[ax])
        stride.append(rf.stride[ax] * strides[ax])
    return _State(RF(tuple(size), tuple(stride), tuple(padding), rf.mixed_strides), st.axes)


def _pad(node: onnx.NodeProto, st: _State, shapes: Shapes, constants: dict, note) -> _State:
    """An explicit Pad shifts the grid: padding += pad_begin * stride on each image axis."""
    attrs = _attrs(node)
    pads = attrs.get("pads")
    if pads is None and len(node.input) > 1 and node.input[1] in constants:
        pads = numpy_helper.to_array(constants[node.input[1]]).tolist()
    rank = len(shapes.get(node.input[0]) or ()) or (len(pads) // 2 if pads else 0)
    axes_in = len(node.input) > 3 and node.input[3]
    if pads is None or axes_in or len(pads) != 2 * rank:
        note(f"pad-{node.name or node.output[0]}", f"{node.name or node.output[0]}: Pad amounts unknown; receptive "
             "field treated as the whole input.")
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
