"""The layer table of any ONNX model: ops, attributes, shapes, parameters, multiply-adds, receptive fields.

Shapes are those onnxruntime produces (``rf_shapes``: shape inference, one probe run where needed). Tensors
computed only from constants (weights built by Constant/ConstantOfShape in old models) are weights, not layers.
"""
from __future__ import annotations

import math
import os
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

import onnx

from explorer.core.errors import UserError
from explorer.core.onnx_load import CONV_WEIGHT_INPUT, find_image_input
from explorer.core.receptive_field import RF, Shapes, UnitBoxes, analyse, lookup_unit, topological_order
from explorer.core.rf_shapes import known as _known
from explorer.core.rf_shapes import runtime_shapes

# Ops whose constant inputs are all learned parameters (except BatchNormalization's running statistics).
WEIGHT_OPS = {"Conv", "ConvTranspose", "Gemm", "MatMul", "BatchNormalization", "InstanceNormalization",
              "LayerNormalization", "GroupNormalization", "PRelu", "QLinearConv", "ConvInteger"}
# Integer convolutions: the input positions holding learned parameters (weights, bias); the others are
# quantisation scales and zero points.
QUANTISED_PARAMS = {"QLinearConv": (3, 8), "ConvInteger": (1,)}
# Ops whose constant inputs are shapes, indices, scales or bounds, never learned parameters.
PARAM_FREE_OPS = {"Reshape", "Resize", "Upsample", "Pad", "Slice", "Expand", "Tile", "Clip", "Gather", "Shape",
                  "Squeeze", "Unsqueeze", "Transpose", "Split", "Cast", "Range", "TopK", "Where", "Equal",
                  "ReduceMean", "ReduceSum", "ReduceMax", "ReduceMin", "Flatten", "Concat", "ScatterND"}
_FLOAT_TYPES = {onnx.TensorProto.FLOAT, onnx.TensorProto.FLOAT16, onnx.TensorProto.DOUBLE,
                onnx.TensorProto.BFLOAT16}


@dataclass
class LayerInfo:
    name: str
    op: str
    inputs: list[str]
    outputs: list[str]
    output: str  # first output tensor (the one whose shape and receptive field are shown)
    shape: tuple[int | None, ...] | None
    attrs: dict
    params: int
    macs: int  # multiply-adds per image: Conv, ConvTranspose, Gemm, MatMul; 0 for every other op
    rf: RF | None


@dataclass
class ModelInfo:
    name: str
    input_name: str
    input_shape: tuple[int, ...]
    layers: list[LayerInfo]
    params: int
    macs: int
    notes: list[str] = field(default_factory=list)
    units: dict[str, UnitBoxes] = field(default_factory=dict, repr=False)  # exact box of every unit, by tensor


def _resolve(source, allow_large: bool = False) -> tuple[onnx.ModelProto, str]:
    """ModelProto, .onnx path or built-in name -> (model, display name)."""
    if isinstance(source, onnx.ModelProto):
        return source, source.graph.name or "model"
    if isinstance(source, str) and not os.path.exists(source):
        try:
            from explorer.core import (
                zoo,  # lazy: the zoo is only needed for built-in names
            )
        except ImportError:
            zoo = None
        if zoo is not None and source in zoo.BUILTINS:
            return zoo.build(source), source
    if isinstance(source, (str, os.PathLike)):
        from explorer.core.models import (
            open_model,  # one place decides "built-in name or file?" and its message
        )

        return open_model(source, allow_large=allow_large), Path(source).stem
    raise UserError(f"Cannot inspect a {type(source).__name__}; give a built-in model name, an .onnx path or a model.")


def _constant_tensors(graph: onnx.GraphProto) -> set[str]:
    """Tensors computed only from initializers/Constant nodes (never from a real graph input)."""
    const = {t.name for t in graph.initializer}
    for node in topological_order(graph):
        if all(i in const or not i for i in node.input):
            const.update(o for o in node.output if o)
    return const


def _attr_value(a: onnx.AttributeProto):
    value = onnx.helper.get_attribute_value(a)
    if isinstance(value, bytes):
        return value.decode(errors="replace")
    if isinstance(value, onnx.TensorProto):
        return f"tensor{list(value.dims)}"
    if isinstance(value, list):
        return [v.decode(errors="replace") if isinstance(v, bytes) else v if isinstance(v, (int, float, str))
                else type(v).__name__ for v in value]
    if isinstance(value, (int, float, str)):
        return value
    return type(value).__name__


def _macs(node: onnx.NodeProto, shapes: Shapes) -> int:
    """Multiply-adds per image of the ops that have them (Conv, ConvTranspose, Gemm, MatMul)."""
    out = shapes.get(node.output[0])
    ins = [shapes.get(i) for i in node.input]
    if not _known(out) or len(ins) < 2 or not _known(ins[0]) or not _known(ins[1]):
        return 0
    per_image = math.prod(out[1:]) if len(out) > 1 else math.prod(out)
    weight = CONV_WEIGHT_INPUT.get(node.op_type)
    if weight is not None and len(ins) > weight and _known(ins[weight]):  # out_h*out_w*cout * (cin/group)*kh*kw
        return per_image * math.prod(ins[weight][1:])
    if node.op_type == "ConvTranspose":  # every input pixel scatters through the whole (cin, cout/g, kh, kw) kernel
        return math.prod(ins[0][2:]) * math.prod(ins[1])
    if node.op_type == "Gemm":
        trans_a = next((a.i for a in node.attribute if a.name == "transA"), 0)
        return per_image * (ins[0][0] if trans_a else ins[0][-1])
    if node.op_type == "MatMul":
        return per_image * ins[0][-1]
    return 0


def inspect_model(model_or_path_or_builtin, allow_large: bool = False) -> ModelInfo:
    """Inspect a ModelProto, an .onnx path or a built-in name (lenet5, vgg16, ...) without running it twice.

    ``allow_large`` lifts the file-size safety limit for a file the user trusts."""
    model, name = _resolve(model_or_path_or_builtin, allow_large)
    notes: list[str] = []
    input_name, input_shape = find_image_input(model, notes)
    graph = model.graph
    shapes, types = runtime_shapes(model, input_name, input_shape, notes)
    fields = analyse(model, shapes=shapes, notes=notes)
    rfs = fields.rfs

    const = _constant_tensors(graph)
    for node in graph.node:
        if node.op_type == "Constant":
            for a in node.attribute:
                if a.name == "value":
                    types[node.output[0]], shapes[node.output[0]] = a.t.data_type, tuple(a.t.dims)
        elif node.op_type == "ConstantOfShape":
            value = next((a.t for a in node.attribute if a.name == "value"), None)
            types[node.output[0]] = value.data_type if value is not None else onnx.TensorProto.FLOAT
    counted: set[str] = set()
    layers: list[LayerInfo] = []
    for node in topological_order(graph):
        if node.output and all(o in const for o in node.output if o):
            continue  # builds a weight, not a layer
        params = 0
        quantised = QUANTISED_PARAMS.get(node.op_type)
        for pos, i in enumerate(node.input):
            if quantised is not None and pos not in quantised:
                continue
            if i not in const or i in counted or not _known(shapes.get(i)) or \
                    (quantised is None and types.get(i) not in _FLOAT_TYPES):
                continue
            if node.op_type in PARAM_FREE_OPS or (node.op_type == "BatchNormalization" and pos >= 3):
                continue
            size = math.prod(shapes[i])
            if node.op_type in WEIGHT_OPS or size > 1:
                params += size
                counted.add(i)
        attrs = {a.name: _attr_value(a) for a in node.attribute}
        if node.op_type in ("Conv", "ConvTranspose") and "kernel_shape" not in attrs and len(node.input) > 1 \
                and _known(shapes.get(node.input[1])):
            attrs["kernel_shape"] = list(shapes[node.input[1]][2:])
        out = node.output[0] if node.output else ""
        layers.append(LayerInfo(
            name=node.name or out, op=node.op_type, inputs=list(node.input), outputs=list(node.output), output=out,
            shape=shapes.get(out), attrs=attrs, params=params, macs=_macs(node, shapes), rf=rfs.get(out),
        ))
    return ModelInfo(name=name, input_name=input_name, input_shape=tuple(input_shape), layers=layers,
                     params=sum(layer.params for layer in layers), macs=sum(layer.macs for layer in layers),
                     notes=notes, units={layer.output: fields.units[layer.output] for layer in layers
                                         if layer.output in fields.units})


def unit_box(info: ModelInfo, layer: str, y: int, x: int):
    """Exact input box (top, left, bottom, right) unit (y, x) of ``layer`` sees: None = the whole input,
    () = no pixel (only padding). One-line UserError for an unknown layer or a unit outside it."""
    return lookup_unit(info.units, {item.name: item.output for item in info.layers}, layer, y, x)


def _rf_json(rf: RF | None) -> dict | None:
    if rf is None:
        return None
    data = {"size": list(rf.size), "stride": list(rf.stride), "padding": list(rf.padding)}
    return data if rf.exact else {**data, "exact": False}


def to_json(info: ModelInfo) -> dict:
    """Exactly the CLI contract of shared/design.md (`cnn-explorer inspect MODEL --json`)."""
    return {
        "model": info.name,
        "input": {"name": info.input_name, "shape": list(info.input_shape)},
        "params": info.params,
        "macs": info.macs,
        "layers": [
            {"name": layer.name, "op": layer.op, "output": layer.output,
             "shape": list(layer.shape) if layer.shape is not None else None,
             "params": layer.params, "macs": layer.macs, "rf": _rf_json(layer.rf)}
            for layer in info.layers
        ],
    }


def _fit(text: str, width: int) -> str:
    return text if len(text) <= width else text[: max(width - 1, 0)] + "…"


def _pair(values: tuple[int, int]) -> str:
    return str(values[0]) if values[0] == values[1] else f"{values[0]}×{values[1]}"


def _rf_text(rf: RF | None) -> str:
    if rf is None:
        return "whole input"
    return f"{_pair(rf.size)}/{_pair(rf.stride)}/{_pair(rf.padding)}" + ("*" if rf.mixed_strides else "") \
        + ("~" if not rf.exact else "")


def _shape_text(shape) -> str:
    return "?" if shape is None else "×".join("?" if d is None else str(d) for d in shape)


def format_table(info: ModelInfo, width: int = 120) -> str:
    """A plain-text layer table that fits ``width`` columns, with totals and notes."""
    headers = ["#", "layer", "op", "output shape", "params", "MACs", "RF size/stride/pad"]
    rows = [[str(i), layer.name, layer.op, _shape_text(layer.shape), f"{layer.params:,}", f"{layer.macs:,}",
             _rf_text(layer.rf)] for i, layer in enumerate(info.layers, 1)]
    caps = [4, 0, 18, 20, 12, 16, 20]  # column 1 (names) takes whatever width is left
    widths = [min(max([len(headers[c])] + [len(r[c]) for r in rows]), caps[c] or 10**6) for c in range(len(headers))]
    gap = 2
    fixed = sum(widths) - widths[1] + gap * (len(headers) - 1)
    widths[1] = max(min(widths[1], width - fixed), 8)
    right = {0, 4, 5}

    def line(cells: list[str]) -> str:
        parts = [_fit(c, w).rjust(w) if i in right else _fit(c, w).ljust(w) for i, (c, w) in enumerate(zip(cells, widths))]
        return _fit((" " * gap).join(parts).rstrip(), width)

    out = [_fit(f"{info.name} — input {info.input_name} {_shape_text(info.input_shape)}", width),
           line(headers), _fit("-" * sum(widths) + "-" * gap * (len(headers) - 1), width)]
    out += [line(r) for r in rows]
    out.append(_fit("-" * sum(widths) + "-" * gap * (len(headers) - 1), width))
    out.append(_fit(f"Total: {len(info.layers)} layers, {info.params:,} parameters, {info.macs:,} multiply-adds "
                    f"({info.macs / 1e9:.2f} G) per image", width))
    out.append(_fit("RF size/stride/pad: unit y sees input pixels y·stride − pad … y·stride − pad + size − 1; "
                    "* = mixed strides", width))
    if any(layer.rf is not None and not layer.rf.exact for layer in info.layers):
        out.append(_fit("~ = bounds the field (no triple fits every unit); 'cnn-explorer rf MODEL --layer L "
                        "--unit Y X' gives one unit's box", width))
    for note in info.notes:
        out += textwrap.wrap("Note: " + note, width=width, subsequent_indent="  ")
    return "\n".join(out)
