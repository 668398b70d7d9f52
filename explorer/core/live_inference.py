"""Live inference: run a model fetching only what is on screen (the shown layers' tensors and the final output).

``ActivationSession`` makes every node output a graph output so that one run yields all activations; that also
stops onnxruntime from fusing or dropping any node. For live frames the Model Explorer needs only the layer on
screen and the prediction, so ``LiveSession`` runs a copy of the model whose graph outputs are exactly those:
onnxruntime then optimises as for a plain session (fusions everywhere except at the fetched tensors) and prunes
every node that no fetched tensor needs. bench/live.py compares it with a bare session fetching only the output.
"""
from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort

from explorer.core import preprocess as pp
from explorer.core.errors import UserError
from explorer.core.onnx_load import find_image_input, load_model
from explorer.core.runtime import OPTIMIZATION_LEVEL, RunCancelled, available_providers, log_severity


class LiveSession:
    """One onnxruntime session over ``model`` whose graph outputs are ``tensors`` (shown layers) + the final output."""

    def __init__(self, model: onnx.ModelProto | str | Path, tensors: Sequence[str] = (),
                 providers: list | None = None) -> None:
        if isinstance(model, onnx.ModelProto):
            proto = onnx.ModelProto()
            proto.CopyFrom(model)  # the caller's model keeps its outputs
        else:
            proto = load_model(model)
        self.input_name, self.input_shape = find_image_input(proto)
        self.preprocess: pp.Preprocess | None = pp.from_model(proto)
        if not proto.graph.output:
            raise UserError("This model declares no output, so there is nothing to predict: re-export it with one.")
        self.output_name = proto.graph.output[0].name
        produced = {out for node in proto.graph.node for out in node.output}
        unknown = [name for name in tensors if name not in produced]
        if unknown:
            raise UserError(f"The model has no tensor named {unknown[0]!r}: pick a layer from its layer table.")
        self.fetch: tuple[str, ...] = tuple(dict.fromkeys([*tensors, self.output_name]))
        del proto.graph.output[:]
        # Names only: onnxruntime infers each fetched tensor's type and shape itself.
        proto.graph.output.extend(onnx.ValueInfoProto(name=name) for name in self.fetch)
        options = ort.SessionOptions()
        options.log_severity_level = log_severity()
        options.graph_optimization_level = OPTIMIZATION_LEVEL
        try:
            self._session = ort.InferenceSession(proto.SerializeToString(), options,
                                                 providers=providers or available_providers())
        except Exception as exc:  # noqa: BLE001 - onnxruntime's pybind errors have no common base
            raise UserError(f"onnxruntime could not load this model for live runs: {_short(exc)}") from None
        self.provider: str = self._session.get_providers()[0]

    def run(self, tensor: np.ndarray, run_options: ort.RunOptions | None = None) -> dict[str, np.ndarray]:
        """The fetched tensors by name; RunCancelled when ``run_options.terminate`` stopped the run."""
        options = run_options or ort.RunOptions()
        try:
            values = self._session.run(list(self.fetch), {self.input_name: np.ascontiguousarray(tensor, np.float32)},
                                       options)
        except Exception as exc:  # noqa: BLE001
            if options.terminate:
                raise RunCancelled("The run was cancelled.") from None
            raise UserError(f"onnxruntime could not run this model: {_short(exc)}") from None
        return dict(zip(self.fetch, values))


def _short(exc: Exception) -> str:
    return " ".join(str(exc).split())[:200]
