"""Tiny ONNX graphs for tests, built with onnx.helper (IR version and opset always explicit).

``Builder`` tracks channel counts so a test reads like the network it describes::

    b = Builder((1, 3, 32, 32))
    y = b.conv(b.input, 8, k=3, s=2, p=1)
    model = b.build(b.gap_fc(y, 10))
"""
from __future__ import annotations

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


class Builder:
    def __init__(self, input_shape=(1, 3, 32, 32), ir_version: int = 8, opset: int = 17, input_name: str = "input",
                 initializers_as_inputs: bool = False, seed: int = 0, positive: bool = False,
                 input_dims: list | None = None) -> None:
        self.input = input_name
        self.input_shape = tuple(input_shape)
        self.input_dims = input_dims if input_dims is not None else list(input_shape)
        self.ir_version, self.opset = ir_version, opset
        self.initializers_as_inputs = initializers_as_inputs
        self.rng = np.random.default_rng(seed)
        self.positive = positive  # all weights > 0: no cancellation in brute-force receptive-field checks
        self.nodes: list[onnx.NodeProto] = []
        self.inits: list[onnx.TensorProto] = []
        self.channels = {input_name: input_shape[1] if len(input_shape) == 4 else 1}
        self.count = 0

    def _name(self, prefix: str) -> str:
        self.count += 1
        return f"{prefix}{self.count}"

    def weight(self, name: str, shape, value: float | None = None) -> str:
        if value is not None:
            array = np.full(shape, value, dtype=np.float32)
        elif self.positive:
            array = self.rng.uniform(0.5, 1.5, size=shape).astype(np.float32)
        else:
            array = (self.rng.standard_normal(shape) * 0.1).astype(np.float32)
        self.inits.append(numpy_helper.from_array(array, name))
        return name

    def op(self, op_type: str, inputs: list[str], name: str | None = None, channels: int | None = None,
           n_outputs: int = 1, **attrs) -> str:
        name = name or self._name(op_type.lower())
        outputs = [name] + [f"{name}_out{i}" for i in range(1, n_outputs)]
        self.nodes.append(helper.make_node(op_type, inputs, outputs, name=name, **attrs))
        self.channels[name] = channels if channels is not None else self.channels.get(inputs[0], 0)
        return name

    def conv(self, x: str, cout: int, k: int = 3, s: int = 1, p: int | list = 0, d: int = 1, group: int = 1,
             bias: bool = True, name: str | None = None, auto_pad: str | None = None,
             weights_from: str = "initializer") -> str:
        """Conv; weights_from 'initializer', 'constant' (Constant node) or 'constant_of_shape' (old zoo style)."""
        name = name or self._name("conv")
        cin = self.channels[x]
        w_shape = [cout, cin // group, k, k]
        if weights_from == "initializer":
            w = self.weight(f"{name}_W", w_shape)
        elif weights_from == "constant":
            w = f"{name}_W"
            value = numpy_helper.from_array((self.rng.standard_normal(w_shape) * 0.1).astype(np.float32), w)
            self.nodes.append(helper.make_node("Constant", [], [w], name=f"{name}_W_const", value=value))
        else:
            shape = f"{name}_W_shape"
            self.inits.append(numpy_helper.from_array(np.array(w_shape, dtype=np.int64), shape))
            w = f"{name}_W"
            self.nodes.append(helper.make_node("ConstantOfShape", [shape], [w], name=f"{name}_W_fill",
                                               value=numpy_helper.from_array(np.array([0.01], np.float32))))
        inputs = [x, w] + ([self.weight(f"{name}_B", [cout])] if bias else [])
        attrs = dict(kernel_shape=[k, k], strides=[s, s], dilations=[d, d], group=group)
        if auto_pad:
            attrs["auto_pad"] = auto_pad
        else:
            attrs["pads"] = p if isinstance(p, list) else [p, p, p, p]
        return self.op("Conv", inputs, name=name, channels=cout, **attrs)

    def pool(self, x: str, op: str = "MaxPool", k: int = 2, s: int = 2, p: int = 0, ceil_mode: int = 0,
             name: str | None = None) -> str:
        attrs = dict(kernel_shape=[k, k], strides=[s, s], pads=[p, p, p, p])
        if ceil_mode:
            attrs["ceil_mode"] = ceil_mode
        return self.op(op, [x], name=name, **attrs)

    def relu(self, x: str, name: str | None = None) -> str:
        return self.op("Relu", [x], name=name)

    def concat(self, xs: list[str], name: str | None = None) -> str:
        return self.op("Concat", xs, name=name, channels=sum(self.channels[x] for x in xs), axis=1)

    def gap_fc(self, x: str, n_out: int, name: str = "fc") -> str:
        """GlobalAveragePool -> Flatten -> Gemm (weights n_out x C, bias n_out)."""
        g = self.op("GlobalAveragePool", [x], name=f"{name}_gap")
        f = self.op("Flatten", [g], name=f"{name}_flatten", axis=1)
        cin = self.channels[x]
        return self.op("Gemm", [f, self.weight(f"{name}_W", [n_out, cin]), self.weight(f"{name}_B", [n_out])],
                       name=name, channels=n_out, transB=1)

    def build(self, *outputs: str, metadata: dict[str, str] | None = None) -> onnx.ModelProto:
        inputs = [helper.make_tensor_value_info(self.input, TensorProto.FLOAT, self.input_dims)]
        if self.initializers_as_inputs:
            inputs += [helper.make_tensor_value_info(t.name, t.data_type, list(t.dims)) for t in self.inits]
        graph = helper.make_graph(
            self.nodes, "test_graph", inputs,
            [helper.make_tensor_value_info(o, TensorProto.FLOAT, None) for o in outputs], initializer=self.inits)
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", self.opset)],
                                  ir_version=self.ir_version, producer_name="model_factory")
        for key, value in (metadata or {}).items():
            model.metadata_props.add(key=key, value=value)
        return model


def chain(input_shape, layers, opset: int = 17, positive: bool = False, seed: int = 0) -> onnx.ModelProto:
    """A straight chain: layers are ('conv', k, s, p, d) or ('maxpool'|'avgpool', k, s, p); 1 channel throughout."""
    b = Builder(input_shape, opset=opset, positive=positive, seed=seed)
    x = b.input
    for spec in layers:
        if spec[0] == "conv":
            _, k, s, p, d = spec
            x = b.conv(x, 1, k=k, s=s, p=p, d=d, bias=False)
        else:
            _, k, s, p = spec
            x = b.pool(x, "MaxPool" if spec[0] == "maxpool" else "AveragePool", k=k, s=s, p=p)
    return b.build(x)
