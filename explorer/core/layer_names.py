"""The paper's layer names for a file that has the paper's structure (the zoo's VGG-16, ResNet-34, ...).

Exported graphs name their layers after the exporting framework (``vgg0_conv0``, ``resnetv15_stage1_conv0``,
``n12``). When a file's weight layers — every Conv and fully connected layer, in graph order — have exactly the
shapes, strides and total input channels of our built-in of the same architecture, the k-th of them is the
built-in's k-th layer and gets its name (``conv1_1``, ``layer1.0.conv1``). The layers after each one (ReLU,
BatchNorm, pooling...) are named too while both graphs continue with the same op through a single consumer.
Anything else keeps the file's name; a file whose structure differs anywhere gets no paper names at all.

Checked on the structure-only zoo copies the onnx package ships (tests/core/test_layer_names.py); not on the
real zoo files, which could not be downloaded here.
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import onnx
from onnx import numpy_helper

from explorer.core import zoo
from explorer.core.inspect import ModelInfo

WEIGHT_OPS = ("Conv", "Gemm", "MatMul")


@dataclass(frozen=True)
class WeightLayer:
    name: str          # node name, or its first output when unnamed (as core.inspect names layers)
    signature: tuple   # what must agree: op kind, output and total input channels, kernel, stride


def _layer_name(node: onnx.NodeProto) -> str:
    return node.name or next((o for o in node.output if o), "")


def _weight_shapes(model: onnx.ModelProto) -> dict[str, tuple[int, ...]]:
    """Shapes of the tensors weights can come from: initializers, graph inputs (old zoo files list their weights
    there), Constant nodes, and ConstantOfShape of a stored shape (the onnx package's structure-only copies)."""
    shapes = {v.name: tuple(d.dim_value for d in v.type.tensor_type.shape.dim) for v in model.graph.input}
    shapes.update({t.name: tuple(t.dims) for t in model.graph.initializer})
    stored = {t.name: t for t in model.graph.initializer}
    for node in model.graph.node:
        if node.op_type == "Constant" and node.attribute and node.attribute[0].name == "value":
            shapes[node.output[0]] = tuple(node.attribute[0].t.dims)
        elif node.op_type == "ConstantOfShape" and node.input and node.input[0] in stored:
            shapes[node.output[0]] = tuple(int(v) for v in numpy_helper.to_array(stored[node.input[0]]))
        elif node.op_type == "Reshape" and node.input[0] in shapes and node.input[1] in stored:
            shapes[node.output[0]] = _reshaped(shapes[node.input[0]], numpy_helper.to_array(stored[node.input[1]]))
    return shapes


def _reshaped(shape: tuple[int, ...], target) -> tuple[int, ...]:
    """ONNX Reshape's output shape: 0 copies the input's dimension, one -1 takes what is left."""
    dims = [shape[i] if int(v) == 0 and i < len(shape) else int(v) for i, v in enumerate(target)]
    if -1 in dims:
        known = math.prod(d for d in dims if d != -1)
        dims[dims.index(-1)] = math.prod(shape) // known if known else 0
    return tuple(dims)


def weight_layers(model: onnx.ModelProto) -> list[WeightLayer]:
    """Every Conv and fully connected layer in graph order with its signature; a layer whose weight shape is
    unknown gets a signature nothing matches."""
    shapes = _weight_shapes(model)
    layers = []
    for node in model.graph.node:
        if node.op_type not in WEIGHT_OPS or len(node.input) < 2:
            continue
        attrs = {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}
        shape = shapes.get(node.input[1], ())
        if node.op_type == "Conv" and len(shape) == 4:
            group = attrs.get("group", 1)
            signature = ("conv", shape[0], shape[1] * group, *shape[2:], tuple(attrs.get("strides", (1, 1))))
        elif len(shape) == 2:  # fully connected: Gemm (out, in) when transB, else (in, out) like MatMul
            out, inputs = (shape if attrs.get("transB", 0) else shape[::-1])
            signature = ("fc", out, inputs)
        else:
            signature = ("unknown", _layer_name(node))
        layers.append(WeightLayer(_layer_name(node), signature))
    return layers


def _same_layer(a: tuple, b: tuple) -> bool:
    """Equal signatures; or a fully connected layer and a 1×1 convolution with the same channels (DenseNet's
    Caffe classifier is a 1×1 convolution on the pooled 1×1 map)."""
    if a == b:
        return True
    as_fc = [("fc", s[1], s[2]) if s[0] == "conv" and s[3:] == (1, 1, (1, 1)) else s for s in (a, b)]
    return "fc" in (a[0], b[0]) and as_fc[0] == as_fc[1]


def _consumers(model: onnx.ModelProto) -> dict[str, list[onnx.NodeProto]]:
    by_tensor: dict[str, list[onnx.NodeProto]] = {}
    for node in model.graph.node:
        for name in node.input:
            by_tensor.setdefault(name, []).append(node)
    return by_tensor


def _follow(theirs: onnx.ModelProto, ours: onnx.ModelProto, mapping: dict[str, str]) -> None:
    """Name the layers after each mapped one while both graphs go on with the same op, one consumer each."""
    their_nodes = {_layer_name(n): n for n in theirs.graph.node}
    our_nodes = {_layer_name(n): n for n in ours.graph.node}
    their_consumers, our_consumers = _consumers(theirs), _consumers(ours)
    taken = set(mapping.values())
    for file_name, paper in list(mapping.items()):
        a, b = their_nodes[file_name], our_nodes[paper]
        while True:
            next_a = their_consumers.get(a.output[0], [])
            next_b = our_consumers.get(b.output[0], [])
            if len(next_a) != 1 or len(next_b) != 1 or next_a[0].op_type != next_b[0].op_type:
                break
            a, b = next_a[0], next_b[0]
            if a.op_type in WEIGHT_OPS or _layer_name(a) in mapping or _layer_name(b) in taken:
                break
            mapping[_layer_name(a)] = _layer_name(b)
            taken.add(_layer_name(b))


def paper_names(model: onnx.ModelProto, architecture: str) -> dict[str, str]:
    """File layer name -> the paper's name, when the file has the built-in ``architecture``'s structure; else {}."""
    ours = zoo.BUILTINS[architecture].builder(None)  # the layout only: no weights are drawn
    mine, theirs = weight_layers(ours), weight_layers(model)
    if len(mine) != len(theirs) or not all(_same_layer(a.signature, b.signature) for a, b in zip(mine, theirs)):
        return {}
    mapping = {t.name: m.name for t, m in zip(theirs, mine)}
    _follow(model, ours, mapping)
    return mapping


def rename(info: ModelInfo, names: dict[str, str]) -> ModelInfo:
    """The layer table with the paper's names where known (tensors keep the file's names)."""
    layers = [dataclasses.replace(layer, name=names.get(layer.name, layer.name)) for layer in info.layers]
    return dataclasses.replace(info, layers=layers)
