"""The Model Explorer's tasks while a camera or video plays: only the shown layer and the prediction are computed.

``build_live`` makes a ``core.live_inference.LiveSession`` for (loaded model, shown layer) beside the loaded
model's session (its weights handed over in memory); ``run_live`` runs one frame through it. Its ``RunResult``
(``live=True``) holds the shown layer's tensor alone, so every readout made for a full run works on it unchanged;
pausing runs ``tasks.run_model`` again.
No Qt, no state: arguments in, a frozen result out.
"""
from __future__ import annotations

import os
import time
from dataclasses import dataclass

from explorer.core import preprocess
from explorer.core.images import LoadedImage
from explorer.core.layer_picture import is_map, layer_picture, without_batch
from explorer.core.live_inference import LiveSession
from explorer.core.runtime import Activations
from explorer.core.sandboxed_session import SandboxedLive, SandboxedSession
from explorer.workers.runner import TaskContext
from explorer.workers.tasks import LoadedModel, RunResult, cancellable_run, run_result


# Frames run at once on a model in the app's process, each on its share of the cores. A run on every core is held
# up for as long as the window paints on one of them (its threads wait for each other at every layer), and the
# window paints every frame; two runs on a core each lose only the painting time (bench/README.md, "Live video").
DEPTH = 2


@dataclass(frozen=True)
class LiveModel:
    loaded: LoadedModel
    layer: str             # the shown row's tensor (the model input's name when the input row is shown)
    session: LiveSession | SandboxedLive   # fetches that layer (unless it is the input, which needs no run) and the output
    depth: int = 1         # frames that may run at once


def build_live(ctx: TaskContext, loaded: LoadedModel, layer: str) -> LiveModel:
    """A session for live frames of ``loaded`` showing ``layer``; onnxruntime's set-up takes up to a second."""
    ctx.progress(0.0, f"{loaded.title}: preparing live runs…")
    tensors = [layer] if layer in loaded.session.tensor_names else []  # the input row is the prepared tensor
    if isinstance(loaded.session, SandboxedSession):  # a user's file runs in its child, one request at a time
        live, depth = SandboxedLive(loaded.session, tensors), 1
    else:
        live, depth = LiveSession(loaded.session, tensors, threads=max(1, (os.cpu_count() or 1) // DEPTH)), DEPTH
    ctx.check()
    return LiveModel(loaded, layer, live, depth)


def run_live(ctx: TaskContext, live: LiveModel, image: LoadedImage, recipe: preprocess.Preprocess,
             normalize: str, sort_by_mean: bool, aspect: float = 1.0) -> RunResult:
    """One frame: the shown layer's tensor and the prediction, nothing else; feature maps come with their mosaic
    (the panel's colour scale, sort and shape), made here rather than on the GUI thread."""
    started = time.perf_counter()
    prepared = preprocess.prepare(image, recipe)
    ctx.check()
    ran = time.perf_counter()
    fetched = cancellable_run(ctx, live.session.run, prepared.tensor)
    run_ms = (time.perf_counter() - ran) * 1000
    activations = Activations(tensors={name: fetched[name] for name in live.session.tensors},
                              layer_tensor={}, output=fetched[live.session.output_name],
                              timings={"run_ms": run_ms, "total_ms": (time.perf_counter() - started) * 1000},
                              provider=live.session.provider)
    shown = fetched.get(live.layer)
    shown = None if shown is None or shown.dtype.kind != "f" else without_batch(shown)
    picture = layer_picture(live.layer, shown, normalize, sort_by_mean, aspect) if shown is not None and is_map(shown) \
        else None
    return run_result(live.loaded, image, recipe, prepared, activations, started, live=True, picture=picture)
