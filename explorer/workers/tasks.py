"""The background work of every view as plain task functions ``fn(ctx, ...)`` for the TaskRunner.

Each function calls core and returns a frozen result; none touches Qt or the state. Cancellation reaches into
the work: progress callbacks raise once cancelled, and onnxruntime runs are stopped with RunOptions.terminate.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnxruntime as ort

from explorer.core import architectures, images, mnist, models, preprocess, zoo
from explorer.core import inspect as core_inspect
from explorer.core.images import LoadedImage
from explorer.core.runtime import Activations, ActivationSession, RunCancelled
from explorer.state.playground import Outcome, Settings, compute
from explorer.workers import model_facts
from explorer.workers.model_facts import Filters
from explorer.workers.runner import Cancelled, TaskContext


# ----- images and the Playground ----------------------------------------------------------------------------
def decode_image(ctx: TaskContext, path: str) -> LoadedImage:
    ctx.progress(0.0, f"Opening {Path(path).name}…")
    return images.load_image(path)


def compute_playground(ctx: TaskContext, image: LoadedImage, settings: Settings) -> Outcome:
    return compute(image, settings)


# ----- the Model Explorer ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class LoadedModel:
    key: str                                   # what the user chose: a built-in name or an .onnx path
    title: str
    builtin: bool
    info: core_inspect.ModelInfo
    preprocess: preprocess.Preprocess | None   # the model's own recipe; None asks the user
    weights: str                               # where the weights come from ("" when the file does not say)
    labels: list[str] | None
    filters: dict[str, Filters]
    session: ActivationSession
    load_ms: float

    @property
    def provider(self) -> str:
        return self.session.provider


@dataclass(frozen=True)
class RunResult:
    model_key: str
    image: LoadedImage
    activations: Activations
    prepared: preprocess.Prepared
    preprocess: preprocess.Preprocess
    run_ms: float     # onnxruntime alone
    total_ms: float   # prepare + run + collecting


def load_model(ctx: TaskContext, key: str) -> LoadedModel:
    """Build or open, inspect and start a session for ``key``; the previous model stays usable meanwhile."""
    started = time.perf_counter()
    builtin = models.is_builtin(key)
    proto = models.open_model(key, progress=ctx.progress)
    ctx.progress(0.99, "Inspecting layers…")
    info = core_inspect.inspect_model(proto)
    ctx.check()
    meta = model_facts.metadata(proto)
    filters = model_facts.conv_filters(proto)
    own_recipe = preprocess.from_model(proto)
    title = zoo.BUILTINS[key].title if builtin else (meta.get(model_facts.TITLE_KEY) or Path(key).name)
    # The session reads the file itself (no second in-memory copy of a 500 MB proto); built-ins are cached.
    source = zoo.materialize(key) if builtin else Path(key)
    del proto
    ctx.progress(0.995, "Starting onnxruntime…")
    session = ActivationSession(source)
    weights = meta.get(model_facts.WEIGHTS_KEY, "")
    labels = None if model_facts.is_random(weights) else model_facts.labels(meta, output_count(info))
    return LoadedModel(key=key, title=title, builtin=builtin, info=info, preprocess=own_recipe, weights=weights,
                       labels=labels, filters=filters, session=session,
                       load_ms=(time.perf_counter() - started) * 1000)


def output_count(info: core_inspect.ModelInfo) -> int:
    """Number of values in the model's last layer (class count for classifiers), 0 when unknown."""
    if not info.layers:
        return 0
    size = 1
    for dim in info.layers[-1].shape[1:]:
        size *= int(dim) if isinstance(dim, int) and dim > 0 else 1
    return size


def run_model(ctx: TaskContext, loaded: LoadedModel, image: LoadedImage, recipe: preprocess.Preprocess) -> RunResult:
    started = time.perf_counter()
    prepared = preprocess.prepare(image, recipe)
    ctx.check()
    options = ort.RunOptions()
    ctx.on_cancel(lambda: setattr(options, "terminate", True))
    try:
        activations = loaded.session.run(prepared.tensor, options)
    except RunCancelled:
        raise Cancelled() from None
    return RunResult(model_key=loaded.key, image=image, activations=activations, prepared=prepared,
                     preprocess=recipe, run_ms=activations.timings["run_ms"],
                     total_ms=(time.perf_counter() - started) * 1000)


def inspect_builtin(ctx: TaskContext, name: str) -> tuple[str, core_inspect.ModelInfo]:
    """One built-in's layer table for the receptive-field comparison (builds it first when not cached)."""
    ctx.progress(0.0, f"Receptive fields: inspecting {zoo.BUILTINS[name].title}…")
    zoo.materialize(name, progress=ctx.progress)
    return name, core_inspect.inspect_model(name)


# ----- MNIST -------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class MnistModels:
    classifiers: tuple[mnist.DigitClassifier, ...]
    params: dict[str, int]               # classifier name -> parameter count
    recorded: dict[str, float | None]    # held-out accuracy recorded by tools/train_mnist.py
    heldout: mnist.Digits
    provider: str


@dataclass(frozen=True)
class Prediction:
    request: tuple                        # MnistState.request() it answers
    digit: np.ndarray                     # uint8 (28,28): exactly what both networks were given
    probabilities: dict[str, np.ndarray]  # classifier name -> (10,)
    ms: float


def load_mnist(ctx: TaskContext) -> MnistModels:
    ctx.progress(0.0, "Loading LeNet-5 and the fully connected network…")
    classifiers = (mnist.lenet_classifier(), mnist.mlp_classifier())
    digits = mnist.heldout_digits()
    return MnistModels(classifiers, {c.name: c.params for c in classifiers},
                       {c.name: mnist.recorded_accuracy(c) for c in classifiers}, digits,
                       classifiers[0].session.provider)


def predict_digit(ctx: TaskContext, models_: MnistModels, request: tuple, image: np.ndarray, normalize: bool,
                  shift: int) -> Prediction:
    started = time.perf_counter()
    digit = mnist.normalize_drawing(image) if normalize else np.asarray(image, np.uint8)
    digit = mnist.shift_digits(digit, shift, 0)
    probabilities = {c.name: c.probabilities(digit) for c in models_.classifiers}
    return Prediction(request, digit, probabilities, (time.perf_counter() - started) * 1000)


def measure_shifts(ctx: TaskContext, models_: MnistModels, direction: str) -> mnist.ShiftCurve:
    try:
        return mnist.shift_robustness(models_.classifiers, models_.heldout, mnist.SHIFTS, direction,
                                      lambda f: ctx.progress(f, f"Measuring shifted digits ({direction})… {f:.0%}"),
                                      lambda: ctx.cancelled)
    except RunCancelled:
        raise Cancelled() from None


# ----- the architecture comparison ---------------------------------------------------------------------------
def architecture_facts(ctx: TaskContext, keys: tuple[str, ...]) -> dict[str, architectures.Facts]:
    """Every architecture's facts (built and inspected once, then cached on disk)."""
    out = {}
    for i, key in enumerate(keys):
        def part(f: float, text: str = "", i: int = i) -> None:
            ctx.progress((i + f) / len(keys), text or f"Inspecting {zoo.BUILTINS[keys[i]].title}…")
        out[key] = architectures.facts_for(key, progress=part)
    return out


def architecture_times(ctx: TaskContext, keys: tuple[str, ...]) -> dict[str, float]:
    """CPU milliseconds per image for each architecture, measured now on this machine."""
    out = {}
    for i, key in enumerate(keys):
        ctx.progress(i / len(keys), f"Timing {zoo.BUILTINS[key].title} on the CPU…")
        out[key] = architectures.cpu_ms_per_image(key)
    return out
