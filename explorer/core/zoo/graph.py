"""A small ONNX graph builder for the zoo: named layers, tracked shapes, deterministic He-normal weights.

Naming scheme shared by every architecture:
- a node and the tensor it outputs carry the same name (the layer name from the paper or its reference code);
- a parameter is an initializer named ``<layer>.weight`` / ``<layer>.bias`` (torch style); BatchNorm adds
  ``<layer>.running_mean`` / ``<layer>.running_var`` (statistics, not parameters);
- an activation without a name of its own in the paper is ``<layer>/relu`` (or ``/tanh``).

Weights: the builder lays out the graph only. He-normal tensors are left without data and
``fill_he_normal(model, seed)`` draws them afterwards. Seed scheme (builder version 2): the k-th tensor left
empty (initializer order) is cut into blocks of ``BLOCK`` values, and block b is drawn from its own stream
``default_rng((seed, k, b))``. Blocks are independent, so they are drawn on all cores at once (numpy releases
the GIL while drawing: the GUI thread never waits long) and the values do not depend on how many threads drew
them. (Version 1 drew everything from one ``default_rng(seed)`` stream, which only one core can draw.)

Given an ``arrays`` dict, ``fill_he_normal`` also hands every drawn tensor over as a numpy array (for
``runtime.ActivationSession(model, weights=arrays)``) and leaves those of ``OUTSIDE_MIN_BYTES`` or more
structure-only in the proto (dims, no data): copying a 411 MB fc6 into protobuf bytes holds the GIL for
~0.3 s per copy, and onnxruntime takes the array as it is.

Every tensor gets a ``value_info`` with its static shape, so viewers see shapes without running shape inference.
"""
from __future__ import annotations

import math
import os
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import onnx
from onnx import TensorProto, helper

from explorer.core.progress import Cancel, Progress, check

IR_VERSION = 8  # onnxruntime >= 1.14 reads it; make_model would stamp a newer one
OPSET = 17
INPUT_NAME = "data"

def pooled_size(n: int, k: int, s: int, p: int, ceil_mode: bool) -> int:
    """Pooling output size; ceil mode drops a last window that would start in the right padding (Caffe/ONNX)."""
    if not ceil_mode:
        return (n + 2 * p - k) // s + 1
    out = math.ceil((n + 2 * p - k) / s) + 1
    if (out - 1) * s >= n + p:
        out -= 1
    return out


class GraphBuilder:
    """Appends layers in order; each method returns the name of the tensor it produced."""

    def __init__(self, name: str, input_shape: tuple[int, int, int, int], *,
                 weights: Mapping[str, np.ndarray] | None = None) -> None:
        self.name = name
        self.weights = dict(weights) if weights is not None else None
        # Built in place: make_graph/make_model would copy every initializer (hundreds of MB for VGG-16).
        self.model = onnx.ModelProto()
        self.shapes: dict[str, tuple[int, ...]] = {INPUT_NAME: tuple(input_shape)}

    # --- parameters -------------------------------------------------------------------------------------------
    def _param(self, name: str, shape: tuple[int, ...], he_normal: bool, fill: float = 0.0) -> str:
        """Add one initializer: trained weights when given, else He-normal (left for fill_he_normal, fan-in =
        product of all but the first axis) or the constant ``fill``."""
        tensor = self.model.graph.initializer.add()
        tensor.name, tensor.data_type = name, TensorProto.FLOAT
        tensor.dims.extend(shape)
        if self.weights is not None and name in self.weights:
            array = np.asarray(self.weights.pop(name), dtype=np.float32)
            if array.shape != shape:
                raise ValueError(f"weight {name!r} has shape {array.shape}, expected {shape}")
            tensor.raw_data = _le_bytes(array)
        elif not he_normal:
            tensor.raw_data = _le_bytes(np.full(shape, fill, dtype=np.float32))
        return name

    def _node(self, op: str, name: str, inputs: list[str], shape: tuple[int, ...], **attrs: object) -> str:
        self.model.graph.node.append(helper.make_node(op, inputs, [name], name=name, **attrs))
        self.shapes[name] = shape
        return name

    # --- layers -----------------------------------------------------------------------------------------------
    def conv(self, name: str, x: str, filters: int, k: int, stride: int = 1, pad: int = 0,
             bias: bool = True) -> str:
        n, c, h, w = self.shapes[x]
        inputs = [x, self._param(f"{name}.weight", (filters, c, k, k), he_normal=True)]
        if bias:
            inputs.append(self._param(f"{name}.bias", (filters,), he_normal=False))
        out = (n, filters, (h + 2 * pad - k) // stride + 1, (w + 2 * pad - k) // stride + 1)
        self._node("Conv", name, inputs, out, kernel_shape=[k, k], strides=[stride, stride],
                   pads=[pad] * 4)
        return name

    def batchnorm(self, name: str, x: str) -> str:
        c = self.shapes[x][1]
        inputs = [x, self._param(f"{name}.weight", (c,), False, 1.0), self._param(f"{name}.bias", (c,), False, 0.0),
                  self._param(f"{name}.running_mean", (c,), False, 0.0),
                  self._param(f"{name}.running_var", (c,), False, 1.0)]
        self._node("BatchNormalization", name, inputs, self.shapes[x], epsilon=1e-5)
        return name

    def gemm(self, name: str, x: str, units: int) -> str:
        """Fully connected: weight stored (out, in) with transB=1, like torch.nn.Linear."""
        n, features = self.shapes[x]
        inputs = [x, self._param(f"{name}.weight", (units, features), he_normal=True),
                  self._param(f"{name}.bias", (units,), he_normal=False)]
        self._node("Gemm", name, inputs, (n, units), transB=1)
        return name

    def relu(self, name: str, x: str) -> str:
        return self._node("Relu", name, [x], self.shapes[x])

    def tanh(self, name: str, x: str) -> str:
        return self._node("Tanh", name, [x], self.shapes[x])

    def softmax(self, name: str, x: str) -> str:
        return self._node("Softmax", name, [x], self.shapes[x], axis=1)

    def lrn(self, name: str, x: str, size: int, alpha: float, beta: float, bias: float) -> str:
        return self._node("LRN", name, [x], self.shapes[x], size=size, alpha=alpha, beta=beta, bias=bias)

    def pool(self, name: str, x: str, kind: str, k: int, stride: int, pad: int = 0,
             ceil_mode: bool = False) -> str:
        n, c, h, w = self.shapes[x]
        out = (n, c, pooled_size(h, k, stride, pad, ceil_mode), pooled_size(w, k, stride, pad, ceil_mode))
        op = {"max": "MaxPool", "avg": "AveragePool"}[kind]
        attrs: dict[str, object] = {"kernel_shape": [k, k], "strides": [stride, stride], "pads": [pad] * 4,
                                    "ceil_mode": int(ceil_mode)}
        if kind == "avg":
            attrs["count_include_pad"] = 0
        return self._node(op, name, [x], out, **attrs)

    def global_avgpool(self, name: str, x: str) -> str:
        n, c, _, _ = self.shapes[x]
        return self._node("GlobalAveragePool", name, [x], (n, c, 1, 1))

    def flatten(self, name: str, x: str) -> str:
        n, *rest = self.shapes[x]
        return self._node("Flatten", name, [x], (n, math.prod(rest)), axis=1)

    def concat(self, name: str, xs: list[str]) -> str:
        n, _, h, w = self.shapes[xs[0]]
        return self._node("Concat", name, xs, (n, sum(self.shapes[x][1] for x in xs), h, w), axis=1)

    def add(self, name: str, a: str, b: str) -> str:
        return self._node("Add", name, [a, b], self.shapes[a])

    # --- result -----------------------------------------------------------------------------------------------
    def finish(self, output: str) -> onnx.ModelProto:
        if self.weights:
            raise ValueError(f"unused weights: {sorted(self.weights)}")
        def info(name: str) -> onnx.ValueInfoProto:
            return helper.make_tensor_value_info(name, TensorProto.FLOAT, list(self.shapes[name]))
        model, graph = self.model, self.model.graph
        graph.name = self.name
        graph.input.append(info(INPUT_NAME))
        graph.output.append(info(output))
        graph.value_info.extend(info(n.output[0]) for n in graph.node if n.output[0] != output)
        model.ir_version = IR_VERSION
        model.producer_name = "cnn-explorer"
        model.opset_import.append(helper.make_opsetid("", OPSET))
        return model


def _le_bytes(array: np.ndarray) -> bytes:
    return array.astype("<f4", copy=False).tobytes()  # ONNX raw data is little-endian


BLOCK = 1 << 20  # values per stream: part of the seed scheme (changing it changes every weight)
WORKERS = os.cpu_count() or 1  # threads drawing blocks; the values do not depend on it
# Tensors this big stay out of the proto when the caller takes arrays: only the fully connected layers of AlexNet
# and VGG-16 (every convolution stays, so the filters shown and the layer table read the proto as before).
OUTSIDE_MIN_BYTES = 16 << 20


Block = tuple[np.ndarray, tuple[int, int, int], np.float32]  # (where, stream entropy, scale)


def _draw(blocks: list[Block]) -> None:
    for out, entropy, scale in blocks:
        np.random.default_rng(entropy).standard_normal(dtype=np.float32, out=out)
        out *= scale


def _jobs(values: list[np.ndarray], empty: list[onnx.TensorProto], seed: int) -> list[tuple[list[Block], str]]:
    """The blocks in order, consecutive small ones grouped into jobs of at least BLOCK / 4 values (GoogLeNet's 58
    small tensors would otherwise cost a thread hand-off each; bigger jobs would make the progress bar jumpy),
    with the tensor each job ends in."""
    jobs: list[tuple[list[Block], str]] = []
    job: list[Block] = []
    size = 0
    for k, (tensor, flat) in enumerate(zip(empty, values)):
        scale = np.float32(math.sqrt(2.0 / math.prod(tensor.dims[1:])))
        for b, start in enumerate(range(0, flat.size, BLOCK)):
            job.append((flat[start:start + BLOCK], (seed, k, b), scale))
            size += job[-1][0].size
            if size >= BLOCK // 4:
                jobs.append((job, tensor.name))
                job, size = [], 0
    if job:
        jobs.append((job, empty[-1].name))
    return jobs


def fill_he_normal(model: onnx.ModelProto, seed: int, progress: Progress | None = None,
                   cancel: Cancel | None = None, arrays: dict[str, np.ndarray] | None = None) -> None:
    """Draw every initializer the builder left empty: N(0, 2/fan_in), fan_in = product of all but the first
    axis (conv: C·k·k, fully connected: inputs), block by block as the module's docstring describes.
    With ``arrays``, each drawn tensor is also put there by name, and one of OUTSIDE_MIN_BYTES or more only there."""
    empty = [t for t in model.graph.initializer if not t.raw_data and math.prod(t.dims) > 0]
    values = [np.empty(math.prod(t.dims), dtype=np.float32) for t in empty]
    total = sum(v.size for v in values)
    with ThreadPoolExecutor(WORKERS, thread_name_prefix="he-normal") as pool:
        futures = [(pool.submit(_draw, job), name, sum(out.size for out, _, _ in job))
                   for job, name in _jobs(values, empty, seed)]
        try:
            done = 0
            for future, name, size in futures:
                future.result()
                check(cancel, f"Building {model.graph.name}")
                done += size
                if progress is not None:
                    progress(done / total, f"drawing the weights of {name}")
        except BaseException:
            for future, _, _ in futures:
                future.cancel()  # the pool then waits only for the jobs being drawn
            raise
    for tensor, flat in zip(empty, values):
        if arrays is not None:
            arrays[tensor.name] = flat.reshape(tuple(tensor.dims))
        if arrays is None or flat.nbytes < OUTSIDE_MIN_BYTES:
            tensor.raw_data = _le_bytes(flat)
