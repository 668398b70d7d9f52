"""A model prepared for explanations: its facts, and batched onnxruntime sessions over parts of its graph.

Why not ``runtime.ActivationSession``: it fetches every tensor of one image (hundreds of megabytes per image on
VGG-16) and keeps no graph to cut. Explanations need the opposite: many images per run (a free batch axis, also
for models declared with batch 1), one or two fetched tensors, and sub-graphs (layer -> class scores for
Ablation-CAM, input -> layer for the effective receptive field). ``ExplainModel`` takes the weights out of the
proto once (``runtime._private_copy``) and hands the same numpy buffers to every session it builds, so cutting the
graph costs no weight copies; sessions are cached per (inputs, outputs).

Cancellation: ``cancelled()`` is polled before every batch and, from a watcher thread, during the run, which then
stops through ``RunOptions.terminate``; either way ``runtime.RunCancelled`` is raised. ``cancelled`` must
therefore be callable from another thread (a ``threading.Event().is_set`` is).
"""
from __future__ import annotations

import functools
import json
import math
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnx
from onnx import helper

from explorer.core import preprocess as pp
from explorer.core import runtime
from explorer.core.errors import UserError
from explorer.core.onnx_load import check_tensor_sizes, find_image_input, load_model, private_copy
from explorer.core.ort_setup import ort  # onnxruntime with its telemetry off
from explorer.core.paths import assets_dir
from explorer.core.receptive_field import RF, receptive_fields, topological_order
from explorer.core.rf_shapes import inferred_shapes

Progress = Callable[[float, str], None]
Cancelled = Callable[[], bool]

WEIGHTS_KEY = "cnn_explorer.weights"
LABELS_KEY = "cnn_explorer.labels"
RANDOM_NOTE = "These weights are a random initialisation: the map explains a random network, not a trained one."
BATCH_DIM = "N"
POLL_S = 0.02             # how often the watcher asks cancelled() during a run
BATCH_BUDGET = 256 << 20  # bytes of activations one batch may take (estimated, see _batch_size)
# onnxruntime checks RunOptions.terminate between nodes, so the heaviest node of a batch bounds how long a cancel
# takes: 2e9 multiply-adds is ~0.05 s on an idle 2-core CPU (VGG-16's conv1_2 is 1.85e9 per image: 1 image a run).
NODE_MACS_BUDGET = 2e9
MAX_BATCH = 8             # more gains little on a CPU


def is_random(model: onnx.ModelProto) -> bool:
    """True when the model says its weights are a random initialisation (the zoo's metadata key)."""
    weights = next((p.value for p in model.metadata_props if p.key == WEIGHTS_KEY), "")
    return weights.strip().lower().startswith("random initialisation")


def class_names(model: onnx.ModelProto, classes: int) -> list[str] | None:
    """Names from ``cnn_explorer.labels`` (a JSON list or a file in assets/), only when they fit the output."""
    value = next((p.value for p in model.metadata_props if p.key == LABELS_KEY), "").strip()
    if value.startswith("["):
        names = [str(v) for v in json.loads(value)]
    elif value and (assets_dir() / value).is_file():
        names = [s.strip() for s in (assets_dir() / value).read_text(encoding="utf-8").splitlines() if s.strip()]
    else:
        return None
    return names if len(names) == classes else None


@dataclass(frozen=True)
class Cut:
    """The nodes computing ``outputs`` from ``inputs``; ``extra`` are other tensors they also need (a skip path
    from before the cut, the image itself), which callers feed unchanged."""

    nodes: list[onnx.NodeProto]
    extra: list[str]


def cut(graph: onnx.GraphProto, inputs: Sequence[str], outputs: Sequence[str]) -> Cut:
    """Walk back from ``outputs`` until ``inputs``, initializers or graph inputs (like onnx.utils.Extractor, but
    without its whole-model shape inference and keeping the tensors a branch brings in from before the cut)."""
    constant = {t.name for t in graph.initializer}
    needed, picked = set(outputs), []
    for node in reversed(topological_order(graph)):
        if not needed.intersection(node.output):
            continue
        picked.append(node)
        needed.update(i for i in node.input if i and i not in inputs and i not in constant)
    produced = {o for n in picked for o in n.output}
    extra = sorted(needed - produced - set(inputs))
    return Cut(picked[::-1], extra)


class Net:
    """One onnxruntime session over a cut of the model, batch axis free."""

    def __init__(self, session: ort.InferenceSession, feeds: list[str], outputs: list[str], batch: int) -> None:
        self._session, self.feeds, self.outputs = session, feeds, outputs
        self.batch = batch  # images per run (see ExplainModel._batch_size)

    def run(self, feeds: dict[str, np.ndarray], cancelled: Cancelled | None = None) -> list[np.ndarray]:
        """One run; raises RunCancelled when ``cancelled()`` turns True before or during it.

        Some exported models hard-code batch 1 inside the graph (a Reshape to [1, -1]): when a batch of several
        fails, it is run one image at a time, and so is every later batch (``batch`` drops to 1)."""
        size = len(next(iter(feeds.values())))
        if size > 1 and self.batch > 1:
            try:
                return self._run(feeds, cancelled)
            except UserError:
                self.batch = 1
        if size > 1 and self.batch == 1:
            runs = [self._run({k: v[i:i + 1] for k, v in feeds.items()}, cancelled) for i in range(size)]
            return [np.concatenate(parts) for parts in zip(*runs)]
        return self._run(feeds, cancelled)

    def _run(self, feeds: dict[str, np.ndarray], cancelled: Cancelled | None) -> list[np.ndarray]:
        if cancelled is not None and cancelled():
            raise runtime.RunCancelled("The run was cancelled.")
        options = ort.RunOptions()
        options.log_severity_level = runtime.log_severity()
        done = threading.Event()

        def watch() -> None:
            while not done.wait(POLL_S):
                if cancelled():
                    options.terminate = True
                    return

        watcher = threading.Thread(target=watch, daemon=True) if cancelled is not None else None
        if watcher is not None:
            watcher.start()
        try:
            return self._session.run(self.outputs, feeds, options)
        except Exception as exc:  # noqa: BLE001 - onnxruntime's pybind errors have no common base
            if options.terminate:
                raise runtime.RunCancelled("The run was cancelled.") from None
            raise runtime._user_error(exc, "run this model") from None
        finally:
            done.set()
            if watcher is not None:
                watcher.join()


class ExplainModel:
    """A model ready for explanations. Build once per loaded model; the GUI keeps it while the model is open."""

    def __init__(self, model: onnx.ModelProto | str | Path, providers: list | None = None) -> None:
        proto = model if isinstance(model, onnx.ModelProto) else load_model(model)
        self.notes: list[str] = []
        self.input_name, self.input_shape = find_image_input(proto, self.notes)
        if len(self.input_shape) != 4:
            raise UserError(f"The model's input has shape {self.input_shape}; explanations need a batch of images "
                            "(N, C, H, W) or (N, H, W, C). Re-export the model with a batch axis.")
        check_tensor_sizes(proto, self.input_name, self.input_shape)  # before any session allocates it
        self.preprocess, guessed = pp.for_model(proto, self.input_shape)
        if guessed:
            self.notes.append(guessed)
        self.random = is_random(proto)
        if self.random:
            self.notes.append(RANDOM_NOTE)
        self.nhwc = self.preprocess.layout == "NHWC"
        self.shapes, self.types = inferred_shapes(private_copy(proto, self.input_name, self.input_shape, strip=True))
        out = proto.graph.output[0].name
        producer = next((n for n in proto.graph.node if out in n.output), None)
        # The class score is the logit: the input of a final Softmax when there is one, else the output itself.
        self.softmax_output = producer is not None and producer.op_type == "Softmax"
        self.score_tensor = producer.input[0] if self.softmax_output else out
        self.classes = math.prod(d or 1 for d in (self.shapes.get(self.score_tensor) or (1, 1))[1:])
        self.class_names = class_names(proto, self.classes)
        self.layer_tensor: dict[str, str] = {}
        for node in proto.graph.node:
            first = next((o for o in node.output if o), None)
            if first is not None:
                self.layer_tensor.setdefault(node.name or first, first)
        self._skeleton, names, arrays = runtime._private_copy(proto)
        self._weights = dict(zip(names, (ort.OrtValue.ortvalue_from_numpy(a) for a in arrays)))
        requested = providers if providers is not None else runtime.available_providers()
        # onnxruntime-gpu without CUDA libraries: runtime remembers the failure; don't retry (slow, noisy).
        self._providers = [p for p in requested if not (p == runtime.CUDA and runtime._cuda_unusable)]
        self._nets: dict[tuple[tuple[str, ...], tuple[str, ...]], Net] = {}
        self._lock = threading.Lock()
        self._fields: dict[str, RF | None] | None = None

    # --- layers and classes --------------------------------------------------------------------------------
    def tensor_of(self, layer: str) -> str:
        """Layer (node) name or tensor name -> tensor name; a one-line error naming what exists otherwise."""
        if layer in self.layer_tensor:
            return self.layer_tensor[layer]
        if layer in self.shapes and layer != self.input_name:
            return layer
        raise UserError(f"No layer named {layer!r} in this model; 'cnn-explorer inspect MODEL' lists the names.")

    @functools.cache  # noqa: B019 - one ExplainModel per open model; the graph never changes
    def spatial_layers(self) -> tuple[str, ...]:
        """Layers whose output is a (1, C, H, W) map with more than one position and on which the score depends."""
        feeding = {n.name or n.output[0] for n in cut(self._skeleton.graph, [self.input_name],
                                                      [self.score_tensor]).nodes}
        found = []
        for layer, tensor in self.layer_tensor.items():
            shape = self.shapes.get(tensor)
            if layer in feeding and shape is not None and len(shape) == 4 and None not in shape \
                    and shape[2] * shape[3] > 1 and self.types.get(tensor) == onnx.TensorProto.FLOAT:
                found.append(layer)
        return tuple(found)

    def default_layer(self) -> str:
        """The last layer that still has a spatial map (the usual choice for class activation maps)."""
        layers = self.spatial_layers()
        if not layers:
            raise UserError("This model has no layer with a spatial map (N, C, H, W); class activation maps "
                            "need one. Use the occlusion method instead.")
        return layers[-1]

    def receptive_fields(self) -> dict[str, RF | None]:
        """Theoretical receptive field of every tensor (computed once; None = the whole input)."""
        if self._fields is None:
            self._fields = receptive_fields(self._skeleton)
        return self._fields

    def class_name(self, index: int) -> str | None:
        return self.class_names[index] if self.class_names else None

    def check_class(self, index: int) -> int:
        if not 0 <= index < self.classes:
            raise UserError(f"Class {index} does not exist: this model has classes 0 to {self.classes - 1}.")
        return index

    # --- running -------------------------------------------------------------------------------------------
    def _batch_size(self, nodes: Sequence[onnx.NodeProto]) -> int:
        """Images per run of these nodes: activations within BATCH_BUDGET (largest output x3 for the tensors alive
        around it) and the heaviest node within NODE_MACS_BUDGET."""
        largest, heaviest = 1, 1
        for node in nodes:
            shape = self.shapes.get(node.output[0]) if node.output else None
            if shape is None or None in shape[1:]:
                continue
            largest = max(largest, math.prod(shape[1:]))
            weight = self.shapes.get(node.input[1]) if node.op_type in ("Conv", "Gemm", "MatMul") else None
            if weight is not None and None not in weight:  # Conv: outputs x fan-in; Gemm/MatMul: the weight's size
                macs = math.prod(shape[1:]) * math.prod(weight[1:]) if node.op_type == "Conv" else math.prod(weight)
                heaviest = max(heaviest, macs)
        by_memory, by_time = BATCH_BUDGET // (largest * 4 * 3), int(NODE_MACS_BUDGET // heaviest)
        return int(np.clip(min(by_memory, by_time), 1, MAX_BATCH))

    def net(self, inputs: Sequence[str], outputs: Sequence[str]) -> Net:
        """A (cached) session computing ``outputs`` from ``inputs``; its ``feeds`` also list the cut's extras."""
        key = (tuple(inputs), tuple(outputs))
        with self._lock:
            if key not in self._nets:
                self._nets[key] = self._build(list(inputs), list(outputs))
            return self._nets[key]

    @functools.cache  # noqa: B019 - as spatial_layers
    def extras(self, inputs: tuple[str, ...], outputs: tuple[str, ...]) -> tuple[str, ...]:
        """The other tensors computing ``outputs`` from ``inputs`` needs (see ``cut``), without building a session."""
        return tuple(cut(self._skeleton.graph, inputs, outputs).extra)

    def _value_info(self, name: str) -> onnx.ValueInfoProto:
        shape = self.shapes.get(name)
        dims = None if shape is None else [BATCH_DIM, *shape[1:]]
        return helper.make_tensor_value_info(name, self.types.get(name, onnx.TensorProto.FLOAT), dims)

    def _build(self, inputs: list[str], outputs: list[str]) -> Net:
        graph = self._skeleton.graph
        part = cut(graph, inputs, outputs)
        feeds = inputs + part.extra  # extras are fed the unaltered image's values
        used = {i for n in part.nodes for i in n.input}
        inits = [t for t in graph.initializer if t.name in used]
        sub = helper.make_graph(part.nodes, graph.name or "cut", [self._value_info(n) for n in feeds],
                                [self._value_info(n) for n in outputs], initializer=inits)
        proto = onnx.ModelProto()
        proto.ir_version = self._skeleton.ir_version
        proto.opset_import.extend(self._skeleton.opset_import)
        proto.graph.CopyFrom(sub)
        options = ort.SessionOptions()
        options.log_severity_level = runtime.log_severity()
        options.graph_optimization_level = runtime.OPTIMIZATION_LEVEL
        # onnxruntime's threads otherwise spin for a while after each run and starve the numpy work between
        # runs (measured: a 49x512 SVD after a ResNet-34 run took 0.4 s instead of 1 ms).
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        names = [t.name for t in inits if t.name in self._weights]
        if names:
            options.add_external_initializers(names, [self._weights[n] for n in names])
        ort.set_default_logger_severity(runtime.log_severity())
        try:
            session = ort.InferenceSession(proto.SerializeToString(), options, providers=self._providers)
        except Exception as exc:  # noqa: BLE001
            raise runtime._user_error(exc, "prepare this model for explanations") from None
        if self._providers[0] == runtime.CUDA and session.get_providers()[0] != runtime.CUDA:
            runtime._cuda_unusable = True
            self._providers = [runtime.CPU]
        return Net(session, feeds, outputs, self._batch_size(part.nodes))

    def feed(self, x: np.ndarray) -> np.ndarray:
        """Internal NCHW float32 batch -> the model's own layout."""
        x = np.ascontiguousarray(x, dtype=np.float32)
        return np.ascontiguousarray(x.transpose(0, 2, 3, 1)) if self.nhwc else x

    def prepare(self, image) -> pp.Prepared:
        """Image -> Prepared, with the tensor in internal NCHW."""
        prepared = pp.prepare(image, self.preprocess)
        if self.nhwc:
            tensor = np.ascontiguousarray(prepared.tensor.transpose(0, 3, 1, 2))
            prepared = pp.Prepared(tensor, prepared.to_image, prepared.resized_rgb)
        return prepared

    def scores(self, count: int, make: Callable[[int, int], np.ndarray], progress: Progress | None = None,
               cancelled: Cancelled | None = None, text: str = "") -> np.ndarray:
        """Class scores (logits), (count, classes), of images ``make(start, stop)`` -> (stop-start, C, H, W),
        built one batch at a time so only one batch of images is ever in memory."""
        net = self.net([self.input_name], [self.score_tensor])
        step = net.batch
        out = np.empty((count, self.classes), np.float32)
        for start in range(0, count, step):
            stop = min(start + step, count)
            out[start:stop] = net.run({self.input_name: self.feed(make(start, stop))}, cancelled)[0].reshape(
                stop - start, self.classes)
            if progress is not None:
                progress(stop / count, f"{text} {stop}/{count}")
        return out
