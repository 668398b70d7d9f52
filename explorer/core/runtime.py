"""onnxruntime sessions that return every intermediate tensor of a model in one run.

``ActivationSession`` keeps a private copy of the model in which every node output is also a graph output, so
one run yields all activations (onnxruntime computes the whole graph anyway).

Graph optimisation is ``ORT_ENABLE_ALL``, the same as a plain session. No level can hide a tensor here: every
node output is a graph output, and onnxruntime's fusions and eliminations skip nodes whose output is a graph
output (tests compare every tensor with an unoptimised run). Measured in bench/inference.py, ALL is the fastest
level for all-activations runs on most built-in models (its NCHWc conv kernels still apply; only DenseNet's
many concatenations make it slower than BASIC).

Large weights are handed to onnxruntime as in-memory external initializers rather than serialised into the
protobuf, so loading needs one copy of the weights (not three) and models over protobuf's 2 GB limit work. Weights
the caller already holds as arrays (a built-in's, drawn from its seed) are taken as they are.

Pre-packing is off: it copies every Gemm/MatMul weight into a second, packed buffer while the session starts
(VGG-16's 411 MB fc6: about a second on the bench machine), and for these one-image runs it gains nothing
measurable (bench/model_load.py, bench/README.md "Opening a built-in model"). Live sessions (``sharing_weights``,
one run per video frame) keep it on. The weights' arrays stay alive beside the session so that live sessions can be
built from them without drawing or reading the weights again (VGG-16: 553 MB).

Providers: CUDA is asked for only when onnxruntime lists it; onnxruntime-gpu without CUDA libraries then falls
back to CPU on its own (logging to stderr only), so the provider really used is read back from the session and
``fell_back`` says when it differs from the one asked for.
"""
from __future__ import annotations

import dataclasses
import os
import re
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import onnx

from explorer.core import preprocess as pp
from explorer.core.errors import UserError
from explorer.core.onnx_load import check_tensor_sizes, find_image_input, load_model
from explorer.core.ort_setup import ort  # onnxruntime with its telemetry off
from explorer.core.protobuf_util import copy_fields

CPU = "CPUExecutionProvider"
CUDA = "CUDAExecutionProvider"
VERBOSE_ENV = "CNN_EXPLORER_ORT_VERBOSE"
OPTIMIZATION_LEVEL = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
PREPACK = False  # see the module's docstring; the bench measures both ways
# Protobuf cannot serialise past 2 GiB. Weights travel outside the protobuf (see _private_copy), so only a
# graph with huge non-raw constants can hit this.
_PROTOBUF_LIMIT = 2**31 - 1
# Set once CUDA failed to start in this process: later sessions skip the (slow, stderr-noisy) retry.
_cuda_unusable = False


class RunCancelled(Exception):
    """The run was stopped by ActivationSession.cancel()."""


def log_severity() -> int:
    # 4 = FATAL only: onnxruntime-gpu without CUDA logs the failed library load at ERROR (3) on every start,
    # though it then runs fine on the CPU; real failures still surface as exceptions, and `note` says CPU.
    return 0 if os.environ.get(VERBOSE_ENV) == "1" else 4


def available_providers() -> list[str]:
    """Providers to request: CUDA first when this onnxruntime build lists it, then CPU."""
    listed = ort.get_available_providers()
    return ([CUDA] if CUDA in listed else []) + [CPU]


@dataclass
class Activations:
    tensors: dict[str, np.ndarray]   # every node output, keyed by tensor name
    layer_tensor: dict[str, str]     # node name (or its first output when unnamed) -> its first output tensor
    output: np.ndarray               # the model's original first output
    timings: dict[str, float]        # run_ms (onnxruntime), total_ms (incl. feeding and collecting)
    provider: str

    def release(self, names: Iterable[str]) -> None:
        """Drop these tensors (unknown names are ignored) so their memory can be freed."""
        for name in list(names):
            self.tensors.pop(name, None)


# onnxruntime's C++ messages carry a source location and a function signature before the words that matter:
# "/onnxruntime_src/.../model.cc:256 onnxruntime::Model::Model(onnx::ModelProto&&, ...) Unsupported model IR ..."
_CPP_LOCATION = re.compile(r"(?:Status Message: )?/\S+\.(?:cc|cpp|h):\d+ (?:[\w:<>~*&, ]+\((?:[^()]|\([^()]*\))*\)"
                           r"(?: const)? )?")


def _plain(text: str) -> str:
    """onnxruntime's message without its error-code prefix and C++ source locations/signatures."""
    text = " ".join(text.split())
    text = re.sub(r"^\[ONNXRuntimeError\] : \d+ : \w+ : ", "", text)
    return _CPP_LOCATION.sub("", text)


def _user_error(exc: Exception, when: str) -> UserError:
    """onnxruntime's exception -> one line saying what happened and what to do."""
    text = _plain(str(exc))
    version = ort.__version__
    ir = re.search(r"Unsupported model IR version: (\d+), max supported IR version: (\d+)", text)
    if ir:
        return UserError(f"This model was saved with ONNX IR version {ir.group(1)}, but onnxruntime {version} "
                         f"reads up to IR version {ir.group(2)}: re-export it with an older onnx package "
                         "(or set model.ir_version) and open it again.")
    opset = re.search(r"Opset (\d+) is under development.*?domain (\S+) is till opset (\d+)", text)
    if opset:
        return UserError(f"This model needs opset {opset.group(1)} of {opset.group(2)}, but onnxruntime {version} "
                         f"knows opsets up to {opset.group(3)}: re-export it with opset {opset.group(3)} or lower.")
    if any(w in text.lower() for w in ("failed to allocate", "bad_alloc")):
        return UserError(f"onnxruntime {version} ran out of memory trying to {when}: the model or its input is too "
                         "big for this machine; use a smaller model or input.")
    op = (re.search(r"No Op registered for (\S+) with domain", text)
          or re.search(r"Fatal error: (\S+?)\(-?\d+\) is not a registered function/op", text)
          or re.search(r"Could not find an implementation for (\S+?)\(", text))
    if op:
        return UserError(f"This model uses the operator '{op.group(1)}' that onnxruntime {version} cannot run: "
                         f"{text}. Export the model with standard ONNX operators (opset 7-21).")
    return UserError(f"onnxruntime {version} could not {when}: {text}")


def _load(model: onnx.ModelProto | str | Path) -> onnx.ModelProto:
    """The model itself, or the file read through onnx_load's safety checks."""
    return model if isinstance(model, onnx.ModelProto) else load_model(model)


# Initializers handed to onnxruntime as in-memory arrays instead of serialised protobuf bytes.
_INJECT_TYPES = {onnx.TensorProto.FLOAT: np.float32, onnx.TensorProto.DOUBLE: np.float64,
                 onnx.TensorProto.FLOAT16: np.float16, onnx.TensorProto.INT64: np.int64,
                 onnx.TensorProto.INT32: np.int32, onnx.TensorProto.INT8: np.int8, onnx.TensorProto.UINT8: np.uint8}
_INJECT_MIN_BYTES = 4096  # small constants stay in the graph where constant folding sees them
_IN_MEMORY = "cnn-explorer-in-memory"  # placeholder location; onnxruntime takes the data by name instead


def _given(tensor: onnx.TensorProto, array: np.ndarray) -> np.ndarray:
    """A weight given as an array, checked against the initializer it stands for."""
    dtype = _INJECT_TYPES.get(tensor.data_type)
    if dtype is None or array.dtype != dtype or array.shape != tuple(tensor.dims):
        raise ValueError(f"the array given for initializer {tensor.name!r} is {array.dtype}{list(array.shape)}, "
                         f"not {onnx.TensorProto.DataType.Name(tensor.data_type)}{list(tensor.dims)}")
    return np.ascontiguousarray(array)


def _private_copy(model: onnx.ModelProto, weights: Mapping[str, np.ndarray] | None = None,
                  ) -> tuple[onnx.ModelProto, list[str], list[np.ndarray]]:
    """A copy of the model that we may modify, with its large weights moved out as numpy arrays (names, arrays).

    The weights go to onnxruntime as external initializers: never serialised to protobuf bytes nor parsed a
    second time. The source proto is left untouched; once the caller drops it, its memory is freed as a whole.
    ``weights`` are initializers the caller already holds as arrays (a built-in's drawn weights): they are used
    as they are, and the proto's copy of them (if any) is never read, which would copy it whole holding the GIL.
    """
    weights = weights or {}
    proto = onnx.ModelProto()
    copy_fields(model, proto, "graph")
    copy_fields(model.graph, proto.graph, "initializer")
    names: list[str] = []
    arrays: list[np.ndarray] = []
    for tensor in model.graph.initializer:
        target = proto.graph.initializer.add()
        if tensor.name in weights:
            array = _given(tensor, weights[tensor.name])
        else:
            dtype = _INJECT_TYPES.get(tensor.data_type)
            raw = tensor.raw_data if dtype is not None and tensor.HasField("raw_data") else b""
            if len(raw) < _INJECT_MIN_BYTES or tensor.data_location == onnx.TensorProto.EXTERNAL:
                target.CopyFrom(tensor)
                continue
            array = np.frombuffer(raw, dtype).reshape(tuple(tensor.dims))
        copy_fields(tensor, target, "raw_data")
        names.append(tensor.name)
        arrays.append(array)
        target.data_location = onnx.TensorProto.EXTERNAL
        entry = target.external_data.add()
        entry.key, entry.value = "location", _IN_MEMORY
    return proto, names, arrays


def output_session(model: onnx.ModelProto, weights: Mapping[str, np.ndarray] | None = None) -> ort.InferenceSession:
    """A plain CPU session over ``model`` as it is (its own outputs, default options: what a bare onnxruntime user
    gets), the large weights handed over as arrays: a built-in built in memory is timed without writing a file."""
    proto, names, arrays = _private_copy(model, weights)
    options = ort.SessionOptions()
    options.log_severity_level = log_severity()
    values = [ort.OrtValue.ortvalue_from_numpy(array) for array in arrays]  # alive until the session has copied them
    if names:
        options.add_external_initializers(names, values)
    return ActivationSession._create(proto, options, [CPU])


def _declared_dims(model: onnx.ModelProto, name: str) -> list[int | None]:
    """The input's dims as declared (None for dynamic axes). A function so no reference into the proto
    outlives it: any live sub-message keeps the whole parsed model in memory."""
    graph_input = next(i for i in model.graph.input if i.name == name)
    return [d.dim_value if d.dim_value > 0 else None for d in graph_input.type.tensor_type.shape.dim]


def _input_dtype(model: onnx.ModelProto, name: str) -> np.dtype:
    elem = next(i for i in model.graph.input if i.name == name).type.tensor_type.elem_type
    try:
        return np.dtype(onnx.helper.tensor_dtype_to_np_dtype(elem or onnx.TensorProto.FLOAT))
    except (KeyError, TypeError, ValueError):
        raise UserError(f"The model's input '{name}' has ONNX element type {elem}, which is not an image type: "
                        "export it with a float or 8-bit image input.") from None


def _as_input(tensor: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """The prepared tensor in the model's input type; integers are rounded and clipped to the type's range."""
    tensor = np.asarray(tensor)
    if np.issubdtype(dtype, np.integer) and not np.issubdtype(tensor.dtype, np.integer):
        info = np.iinfo(dtype)
        tensor = np.clip(np.rint(tensor), info.min, info.max)
    elif dtype == np.bool_:
        tensor = tensor != 0
    return np.ascontiguousarray(tensor, dtype=dtype)


def _expose_all(model: onnx.ModelProto) -> list[str]:
    """Append every node output to the graph outputs (in place); return all node output names in graph order.

    Outputs go in with their name only: onnxruntime infers type and shape itself, which also keeps non-float
    tensors (Shape, ArgMax) valid.
    """
    listed = {o.name for o in model.graph.output}
    names: list[str] = []
    seen: set[str] = set()
    for node in model.graph.node:
        for out in node.output:
            if out and out not in seen:
                seen.add(out)
                names.append(out)
                if out not in listed:
                    model.graph.output.append(onnx.ValueInfoProto(name=out))
    return names


class ActivationSession:
    """One onnxruntime session on a private all-outputs copy of a model; thread-safe cancel()."""

    def __init__(self, model: onnx.ModelProto | str | Path, providers: list | None = None,
                 weights: Mapping[str, np.ndarray] | None = None) -> None:
        """``weights``: initializers held as arrays by name (``catalog.load(..., arrays=)``), used instead of the
        proto's data for them."""
        started = time.perf_counter()
        proto = _load(model)
        self.notes: list[str] = []  # one-line facts to show the user (dynamic input size, provider fallback)
        self.input_name, self.input_shape = find_image_input(proto, self.notes)
        check_tensor_sizes(proto, self.input_name, self.input_shape)  # before onnxruntime allocates anything
        self._fixed_dims = _declared_dims(proto, self.input_name)
        self.input_dtype = _input_dtype(proto, self.input_name)  # fed as the model declares it (uint8, float16)
        self.output_name = proto.graph.output[0].name if proto.graph.output else ""
        self.preprocess: pp.Preprocess | None = pp.from_model(proto)  # the model's own recipe, if stored
        proto, weight_names, arrays = _private_copy(proto, weights)  # a path's full proto is freed here
        self.tensor_names = _expose_all(proto)
        # The graph with only the small (or non-raw) tensors left in it: further sessions over the same model
        # (sharing_weights) start from it.
        self._graph = proto
        self.layer_tensor: dict[str, str] = {}
        for node in proto.graph.node:
            first = next((o for o in node.output if o), None)
            if first is not None:
                key = node.name if node.name and node.name not in self.layer_tensor else first
                self.layer_tensor.setdefault(key, first)

        requested = list(providers) if providers is not None else available_providers()
        names = [p[0] if isinstance(p, tuple) else p for p in requested]
        listed = ort.get_available_providers()
        # Only hand onnxruntime what this build knows; CPU is always the last resort.
        chosen = [p for p, n in zip(requested, names) if n in listed and not (n == CUDA and _cuda_unusable)]
        if CPU not in [p[0] if isinstance(p, tuple) else p for p in chosen]:
            chosen.append(CPU)
        chosen = [(CUDA, {}) if p == CUDA else p for p in chosen]

        ort.set_default_logger_severity(log_severity())
        # onnxruntime copies these into each session while it loads (its C API's AddExternalInitializers says so,
        # and a test checks it); they are kept so that live sessions (sharing_weights) can be built beside this one.
        self._weight_names = weight_names
        self._weights = [ort.OrtValue.ortvalue_from_numpy(w) for w in arrays]
        self._session = self._create(proto, self._options(prepack=PREPACK), chosen)
        del arrays

        self.provider: str = self._session.get_providers()[0]
        self.requested_provider: str = names[0] if names else CPU
        self.fell_back: bool = self.provider != self.requested_provider
        if self.fell_back and self.requested_provider == CUDA:
            global _cuda_unusable
            _cuda_unusable = True
        # The provider fallback alone (None when the requested provider runs); notes holds it too.
        self.note: str | None = (f"{self.requested_provider} was requested but is not usable here; "
                                 f"running on {self.provider}." if self.fell_back else None)
        if self.note:
            self.notes.append(self.note)
        self.load_ms = (time.perf_counter() - started) * 1000
        self._output_names = [o.name for o in self._session.get_outputs()]
        self._lock = threading.Lock()
        self._in_flight: list[ort.RunOptions] = []  # runs may overlap (onnxruntime allows it): cancel all

    def _options(self, prepack: bool) -> ort.SessionOptions:
        options = ort.SessionOptions()
        options.log_severity_level = log_severity()
        options.graph_optimization_level = OPTIMIZATION_LEVEL
        if not prepack:
            options.add_session_config_entry("session.disable_prepacking", "1")
        if self._weights:
            options.add_external_initializers(self._weight_names, self._weights)
        return options

    def sharing_weights(self, outputs: Sequence[str], threads: int = 0) -> ort.InferenceSession:
        """Another session over this model whose graph outputs are exactly ``outputs``, on the provider this one
        uses: onnxruntime then fuses and prunes as for a plain session, except at those tensors (core.live_inference).
        The weights go in as this session's OrtValues, not serialised again; onnxruntime still packs its own copy for
        its fast kernels (measured: +272 MB beside AlexNet's 244 MB of weights, +606 MB beside VGG-16's 553 MB).
        ``threads``: onnxruntime's threads per run (0: its default, one per core)."""
        proto = onnx.ModelProto()
        proto.CopyFrom(self._graph)  # the graph alone: the weights travel as the shared OrtValues
        del proto.graph.output[:]
        proto.graph.output.extend(onnx.ValueInfoProto(name=name) for name in outputs)
        # Pre-packing pays off here: a live session runs every frame.
        options = self._options(prepack=True)
        options.intra_op_num_threads = threads
        return self._create(proto, options, list(dict.fromkeys([self.provider, CPU])))

    def feed(self, tensor: np.ndarray) -> np.ndarray:
        """The prepared tensor as this model's input: its type, its batch axis; a wrong shape is one line."""
        tensor = _as_input(tensor, self.input_dtype)
        expected = self._fixed_dims
        if tensor.ndim != len(expected) and tensor.size == int(np.prod(self.input_shape)):
            tensor = tensor.reshape(self.input_shape)  # models whose input has no batch axis, e.g. (C, H, W)
        if len(expected) != tensor.ndim or any(e is not None and e != t for e, t in zip(expected, tensor.shape)):
            shown = tuple("?" if e is None else e for e in expected)
            raise UserError(f"The model expects an input of shape {shown} but got {tensor.shape}: "
                            "check the preprocessing size and layout.")
        return tensor

    @staticmethod
    def _create(proto: onnx.ModelProto, options: ort.SessionOptions, providers: list) -> ort.InferenceSession:
        if proto.ByteSize() >= _PROTOBUF_LIMIT:
            raise UserError("This model's graph is over 2 GB even without its raw weights; re-save it with "
                            "onnx.save(..., save_as_external_data=True) and open that file.")
        try:
            return ort.InferenceSession(proto.SerializeToString(), options, providers=providers)
        except Exception as exc:  # noqa: BLE001 - onnxruntime's pybind errors have no common base
            raise _user_error(exc, "load this model") from None

    def run(self, tensor: np.ndarray, run_options: ort.RunOptions | None = None) -> Activations:
        """Run once and return every node output; raises RunCancelled if cancel() stopped it."""
        started = time.perf_counter()
        tensor = self.feed(tensor)
        options = run_options or ort.RunOptions()
        options.log_severity_level = log_severity()
        with self._lock:
            self._in_flight.append(options)
        try:
            ran = time.perf_counter()
            values = self._session.run(self._output_names, {self.input_name: tensor}, options)
            run_ms = (time.perf_counter() - ran) * 1000
        except Exception as exc:  # noqa: BLE001
            if options.terminate:
                raise RunCancelled("The run was cancelled.") from None
            raise _user_error(exc, "run this model") from None
        finally:
            with self._lock:
                self._in_flight.remove(options)
        if options.terminate:  # cancelled just as it finished: honour the request
            raise RunCancelled("The run was cancelled.")
        tensors: dict[str, Any] = dict(zip(self._output_names, values))
        output = tensors[self.output_name]
        # The model's own outputs that no node produces (a graph input passed through) are not activations.
        tensors = {name: tensors[name] for name in self.tensor_names}
        return Activations(tensors=tensors, layer_tensor=dict(self.layer_tensor), output=output,
                           timings={"run_ms": run_ms, "total_ms": (time.perf_counter() - started) * 1000},
                           provider=self.provider)

    def cancel(self) -> None:
        """Ask the runs in flight (if any) to stop; their run() raises RunCancelled."""
        with self._lock:
            for options in self._in_flight:
                options.terminate = True


def compute_activations(model: onnx.ModelProto | str | Path, image: Any,
                        preprocess: pp.Preprocess | None = None) -> Activations:
    """Model + image (LoadedImage or array) -> all activations, using the model's recipe or a guessed one."""
    session = ActivationSession(model)
    if preprocess is None:
        preprocess = session.preprocess or guessed_preprocess(session)
    return session.run(pp.prepare(image, preprocess).tensor)


def guessed_preprocess(session: ActivationSession) -> pp.Preprocess:
    """The guess for a model without a recipe; an integer input (uint8) gets the raw 0..255 pixel values."""
    guess = pp.default_for_input(session.input_shape)[0]
    if np.issubdtype(session.input_dtype, np.integer):
        guess = dataclasses.replace(guess, scale=1.0, mean=(0.0,) * len(guess.mean), std=(1.0,) * len(guess.std))
    return guess
