"""onnxruntime sessions that return every intermediate tensor of a model in one run.

``ActivationSession`` keeps a private copy of the model in which every node output is also a graph output, so
one run yields all activations (onnxruntime computes the whole graph anyway). Graph optimisation is
``ORT_ENABLE_BASIC``: constant folding and redundant-node elimination never remove a graph output, so every
exposed tensor survives, and the fusing levels gain nothing once every intermediate must be kept
(measured in bench/inference.py).

Providers: CUDA is asked for only when onnxruntime lists it; onnxruntime-gpu without CUDA libraries then falls
back to CPU on its own (logging to stderr only), so the provider really used is read back from the session and
``fell_back`` says when it differs from the one asked for.
"""
from __future__ import annotations

import os
import re
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

import numpy as np
import onnx
import onnxruntime as ort

from explorer.core import preprocess as pp
from explorer.core.errors import UserError

CPU = "CPUExecutionProvider"
CUDA = "CUDAExecutionProvider"
VERBOSE_ENV = "CNN_EXPLORER_ORT_VERBOSE"
OPTIMIZATION_LEVEL = ort.GraphOptimizationLevel.ORT_ENABLE_BASIC
# Protobuf cannot serialise past 2 GiB; above this the private copy goes through a temp file with external data.
_INLINE_LIMIT = 1_800_000_000
# Set once CUDA failed to start in this process: later sessions skip the (slow, stderr-noisy) retry.
_cuda_unusable = False


class RunCancelled(Exception):
    """The run was stopped by ActivationSession.cancel()."""


def _severity() -> int:
    return 0 if os.environ.get(VERBOSE_ENV) == "1" else 3


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


def _user_error(exc: Exception, when: str) -> UserError:
    """onnxruntime's exception -> one line saying what happened and what to do."""
    text = " ".join(str(exc).split())
    text = re.sub(r"^\[ONNXRuntimeError\] : \d+ : \w+ : ", "", text)
    version = ort.__version__
    op = (re.search(r"No Op registered for (\S+) with domain", text)
          or re.search(r"Fatal error: (\S+?)\(-?\d+\) is not a registered function/op", text)
          or re.search(r"Could not find an implementation for (\S+?)\(", text))
    if op:
        return UserError(f"This model uses the operator '{op.group(1)}' that onnxruntime {version} cannot run: "
                         f"{text}. Export the model with standard ONNX operators (opset 7-21).")
    return UserError(f"onnxruntime {version} could not {when}: {text}")


def _input_of(model: onnx.ModelProto) -> tuple[str, tuple]:
    """(name, shape) of the image input: the onnx_load helper when present, else the first non-initializer input."""
    try:
        from explorer.core.onnx_load import find_image_input
    except ImportError:
        initializers = {t.name for t in model.graph.initializer}
        inputs = [i for i in model.graph.input if i.name not in initializers]
        if not inputs:
            raise UserError("This model has no input: every graph input is a weight.") from None
        dims = inputs[0].type.tensor_type.shape.dim
        return inputs[0].name, tuple(d.dim_value if d.HasField("dim_value") else (d.dim_param or None) for d in dims)
    name, shape = find_image_input(model)
    return name, tuple(shape)


def _load(model: onnx.ModelProto | str | Path) -> tuple[onnx.ModelProto, bool]:
    """(proto, owned): a path is loaded here (our own copy); a caller's proto must not be modified."""
    if isinstance(model, onnx.ModelProto):
        return model, False
    try:
        from explorer.core.onnx_load import load_model
    except ImportError:
        try:
            return onnx.load(str(model)), True
        except Exception as exc:  # noqa: BLE001 - any parse failure is the user's file
            raise UserError(f"Could not read the ONNX file {Path(model).name}: {exc}") from None
    return load_model(model), True


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

    def __init__(self, model: onnx.ModelProto | str | Path, providers: list | None = None) -> None:
        started = time.perf_counter()
        proto, owned = _load(model)
        self.input_name, self.input_shape = _input_of(proto)
        self.output_name = proto.graph.output[0].name if proto.graph.output else ""
        self.preprocess: pp.Preprocess | None = pp.from_model(proto)  # the model's own recipe, if stored
        if not owned:
            copy = onnx.ModelProto()
            copy.CopyFrom(proto)
            proto = copy
        self.tensor_names = _expose_all(proto)
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

        ort.set_default_logger_severity(_severity())
        options = ort.SessionOptions()
        options.log_severity_level = _severity()
        options.graph_optimization_level = OPTIMIZATION_LEVEL
        self._session = self._create(proto, options, chosen)
        del proto

        self.provider: str = self._session.get_providers()[0]
        self.requested_provider: str = names[0] if names else CPU
        self.fell_back: bool = self.provider != self.requested_provider
        if self.fell_back and self.requested_provider == CUDA:
            global _cuda_unusable
            _cuda_unusable = True
        self.note: str | None = (
            f"{self.requested_provider} was requested but is not usable here; running on {self.provider}."
            if self.fell_back else None)
        self.load_ms = (time.perf_counter() - started) * 1000
        self._output_names = [o.name for o in self._session.get_outputs()]
        self._lock = threading.Lock()
        self._in_flight: ort.RunOptions | None = None

    @staticmethod
    def _create(proto: onnx.ModelProto, options: ort.SessionOptions, providers: list) -> ort.InferenceSession:
        try:
            if proto.ByteSize() < _INLINE_LIMIT:
                return ort.InferenceSession(proto.SerializeToString(), options, providers=providers)
            with tempfile.TemporaryDirectory(prefix="cnn-explorer-") as folder:
                path = Path(folder) / "model.onnx"
                onnx.save(proto, str(path), save_as_external_data=True, location="weights.bin")
                return ort.InferenceSession(str(path), options, providers=providers)
        except UserError:
            raise
        except Exception as exc:  # noqa: BLE001 - onnxruntime's pybind errors have no common base
            raise _user_error(exc, "load this model") from None

    def run(self, tensor: np.ndarray, run_options: ort.RunOptions | None = None) -> Activations:
        """Run once and return every node output; raises RunCancelled if cancel() stopped it."""
        started = time.perf_counter()
        tensor = np.ascontiguousarray(tensor, dtype=np.float32)
        expected = self.input_shape
        if tensor.ndim != len(expected) and all(isinstance(e, int) and e > 0 for e in expected) \
                and tensor.size == int(np.prod(expected)):
            tensor = tensor.reshape(expected)  # models whose input has no batch axis, e.g. (C, H, W)
        if len(expected) != tensor.ndim or any(
                isinstance(e, int) and e > 0 and e != t for e, t in zip(expected, tensor.shape)):
            raise UserError(f"The model expects an input of shape {expected} but got {tensor.shape}: "
                            "check the preprocessing size and layout.")
        options = run_options or ort.RunOptions()
        options.log_severity_level = _severity()
        with self._lock:
            self._in_flight = options
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
                self._in_flight = None
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
        """Ask the run in flight (if any) to stop; its run() raises RunCancelled."""
        with self._lock:
            if self._in_flight is not None:
                self._in_flight.terminate = True


def compute_activations(model: onnx.ModelProto | str | Path, image: Any, preprocess: Any = None) -> Activations:
    """Model + image (LoadedImage or array) -> all activations, using the model's recipe or a guessed one."""
    session = ActivationSession(model)
    if preprocess is None:
        preprocess = session.preprocess or pp.default_for_input(session.input_shape)[0]
    return session.run(pp.prepare(image, preprocess).tensor)
