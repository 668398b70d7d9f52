"""Live inference: run a model fetching only what is on screen (the shown layers' tensors and the final output).

``ActivationSession`` makes every node output a graph output so that one run yields all activations; that also
stops onnxruntime from fusing or dropping any node. For live frames the Model Explorer needs only the layer on
screen and the prediction, so ``LiveSession`` runs a second session over the same model whose graph outputs are
exactly those (``ActivationSession.sharing_weights``: the weights are handed over in memory, not serialised again):
onnxruntime then optimises as for a plain session (fusions everywhere except at the fetched tensors) and prunes
every node that no fetched tensor needs.
bench/live.py compares it with a bare session fetching only the output.
"""
from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import onnx

from explorer.core import preprocess as pp
from explorer.core.errors import UserError
from explorer.core.ort_setup import ort  # onnxruntime with its telemetry off
from explorer.core.runtime import ActivationSession, RunCancelled, log_severity


class LiveSession:
    """One onnxruntime session over ``model`` whose graph outputs are ``tensors`` (shown layers) + the final output.

    ``model`` is the loaded model's ActivationSession (the app: weights shared) or a model/path (one is built)."""

    def __init__(self, model: ActivationSession | onnx.ModelProto | str | Path, tensors: Sequence[str] = (),
                 providers: list | None = None, threads: int = 0) -> None:
        """``threads``: onnxruntime's threads per run (0: one per core); runs may overlap (one per calling thread)."""
        full = model if isinstance(model, ActivationSession) else ActivationSession(model, providers)
        self.input_name, self.input_shape = full.input_name, full.input_shape
        self.preprocess: pp.Preprocess | None = full.preprocess
        if not full.output_name:
            raise UserError("This model declares no output, so there is nothing to predict: re-export it with one.")
        self.output_name = full.output_name
        known = set(full.tensor_names)
        unknown = [name for name in tensors if name not in known]
        if unknown:
            raise UserError(f"The model has no tensor named {unknown[0]!r}: pick a layer from its layer table.")
        self.tensors: tuple[str, ...] = tuple(tensors)
        self.fetch: tuple[str, ...] = tuple(dict.fromkeys([*tensors, self.output_name]))
        # The input's type and shape checks, as the all-activations run does them; holding the session also keeps
        # the weights alive, which onnxruntime reads in place for both sessions.
        self._feed = full.feed
        self._session = full.sharing_weights(self.fetch, threads)
        self.provider: str = self._session.get_providers()[0]

    def run(self, tensor: np.ndarray, run_options: ort.RunOptions | None = None) -> dict[str, np.ndarray]:
        """The fetched tensors by name; RunCancelled when ``run_options.terminate`` stopped the run."""
        options = run_options or ort.RunOptions()
        options.log_severity_level = log_severity()
        try:
            values = self._session.run(list(self.fetch), {self.input_name: self._feed(tensor)}, options)
        except UserError:
            raise
        except Exception as exc:  # noqa: BLE001 - onnxruntime's pybind errors have no common base
            if options.terminate:
                raise RunCancelled("The run was cancelled.") from None
            raise UserError(f"onnxruntime could not run this model: {' '.join(str(exc).split())[:200]}") from None
        if options.terminate:  # cancelled just as it finished: honour the request
            raise RunCancelled("The run was cancelled.")
        return dict(zip(self.fetch, values))
