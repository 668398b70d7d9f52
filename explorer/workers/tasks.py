"""The background work of every view as plain task functions ``fn(ctx, ...)`` for the TaskRunner.

Each function calls core and returns a frozen result; none touches Qt or the state. Cancellation reaches into
the work: progress callbacks raise once cancelled, and onnxruntime runs are stopped with RunOptions.terminate.
"""
from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from explorer.core import (
    architectures,
    builtin_structure,
    catalog,
    digit_likeness,
    erf,
    explain,
    images,
    layer_names,
    mnist,
    predictions,
    preprocess,
    render,
    sandbox,
    zoo,
)
from explorer.core import inspect as core_inspect
from explorer.core.explain import sandboxed
from explorer.core.explain.child import ExplainChild
from explorer.core.images import LoadedImage
from explorer.core.layer_picture import LayerPicture
from explorer.core.model_facts import Filters, ModelFacts
from explorer.core.ort_setup import ort  # onnxruntime with its telemetry off
from explorer.core.runtime import Activations, ActivationSession, RunCancelled
from explorer.core.sandboxed_session import SandboxedSession
from explorer.state.playground import Outcome, Settings, compute
from explorer.workers.runner import Cancelled, TaskContext

SANDBOX_TIMEOUT_S = 60.0   # a user's model that needs longer than this to run once is refused, in one line
T = TypeVar("T")


# ----- images and the Playground ----------------------------------------------------------------------------
def decode_image(ctx: TaskContext, path: str) -> LoadedImage:
    ctx.progress(0.0, f"Opening {Path(path).name}…")
    return images.load_image(path)


def compute_playground(ctx: TaskContext, image: LoadedImage, settings: Settings) -> Outcome:
    return compute(image, settings)


# ----- the Model Explorer ------------------------------------------------------------------------------------
class Explainer:
    """The loaded model prepared for explanations (core.explain.ExplainModel), built by the first task that needs
    it: most sessions never explain, and load_model drops the model proto, so it is rebuilt from the catalog then.
    One per loaded model, shared by the "explain" and "erf" tasks (the lock makes the second wait for the first).
    A user's file is never run here: its ExplainModel lives in a sandboxed child of its own (core/explain/child.py),
    started by the first request and kept for the next ones until ``close``."""

    def __init__(self, entry: catalog.ModelEntry) -> None:
        self._entry = entry
        self._child = None if sandboxed.trusted(entry) else ExplainChild(
            entry, memory_bytes=sandbox.default_memory_bytes(), timeout_s=SANDBOX_TIMEOUT_S)
        self._model: explain.ExplainModel | None = None
        self._lock = threading.Lock()

    def run(self, ctx: TaskContext, job: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """``job(model, *args, progress=, cancelled=, **kwargs)``: on the shared ExplainModel for our own models;
        for a user's file in its child, with a memory cap and a time limit per step, stopped on cancel."""
        if self._child is None:
            model = self.get(ctx)
            try:
                return job(model, *args, progress=ctx.progress, cancelled=lambda: ctx.cancelled, **kwargs)
            except RunCancelled:
                raise Cancelled() from None
        stop = threading.Event()
        ctx.on_cancel(stop.set)
        try:
            return self._child.run(job, *args, progress=ctx.progress, cancel=stop, **kwargs)
        except sandbox.Cancelled:
            raise Cancelled() from None

    def get(self, ctx: TaskContext) -> explain.ExplainModel:
        with self._lock:
            if self._model is None:
                ctx.progress(0.0, "Preparing the model for explanations…")
                proto = catalog.load(self._entry, lambda _, text: ctx.progress(0.0, text), lambda: ctx.cancelled)
                self._model = explain.ExplainModel(proto)
            return self._model

    def close(self) -> None:
        """The model left: its explanation child (a user's file) stops now rather than when collected."""
        if self._child is not None:
            self._child.close()


@dataclass(frozen=True)
class LoadedModel:
    key: str                                   # what the user chose: a catalog key or an .onnx path
    entry: catalog.ModelEntry                  # what the catalog knows about it (a known zoo file is its entry)
    facts: ModelFacts                          # title, weights, badge, labels, filters, one-line facts
    info: core_inspect.ModelInfo
    preprocess: preprocess.Preprocess | None   # the model's own recipe; None asks the user
    session: ActivationSession | SandboxedSession   # the same run(tensor, options) and cancel()
    load_ms: float
    explainer: Explainer
    file_names: dict[str, str] = field(default_factory=dict)  # paper's layer name -> the file's, where renamed

    @property
    def title(self) -> str:
        return self.facts.title

    @property
    def weights(self) -> str:
        return self.facts.weights_text

    @property
    def labels(self) -> list[str] | None:
        return self.facts.labels

    @property
    def filters(self) -> dict[str, Filters]:
        return self.facts.filters

    @property
    def builtin(self) -> bool:
        return self.entry.key == self.entry.architecture

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
    top: tuple[tuple[int, float], ...] = ()              # (class, probability), best first
    digit_check: digit_likeness.DigitLikeness | None = None  # for a digits-only network: is this input a digit?
    live: bool = False  # a playing frame: activations holds only the shown layer (workers/live_tasks.py)
    picture: LayerPicture | None = None  # the shown layer's mosaic, made beside a live run (off the GUI thread)


def load_model(ctx: TaskContext, key: str) -> LoadedModel:
    """Resolve ``key`` in the catalog, build or open it, inspect it and start a session; the previous model stays
    usable meanwhile. Recognising a file by its checksum, building and loading all report progress and stop
    when cancelled."""
    started = time.perf_counter()
    cancelled = lambda: ctx.cancelled  # noqa: E731
    ctx.progress(0.0, "Looking the model up…")
    entry = catalog.resolve(key, lambda f, text: ctx.progress(0.1 * f, f"Checking the file… {text}"), cancelled)
    ctx.progress(0.1, f"{entry.title}: {'building' if entry.key == entry.architecture else 'opening'}")
    untrusted = isinstance(entry.weights, catalog.UserFile)
    if untrusted:  # a stranger's file may loop for ever or ask for gigabytes: inspect it where it can be killed
        info = inspect_in_sandbox(ctx, Path(entry.weights.path))
    # The build ends at 1.0; inspecting and starting the session follow, so the bar must not reach 1 before.
    weights: dict[str, np.ndarray] = {}  # a built-in's drawn weights, handed to onnxruntime as they are
    proto = catalog.load(entry, lambda f, text: ctx.progress(0.1 + 0.88 * f, text), cancelled, arrays=weights)
    if not untrusted:
        ctx.progress(0.99, "Inspecting layers…")
        info = core_inspect.inspect_model(proto)
    ctx.check()
    facts = catalog.describe(entry, proto)
    # A downloaded zoo file with the paper's structure is shown under the paper's layer names.
    names = (layer_names.paper_names(proto, entry.architecture)
             if isinstance(entry.weights, catalog.Download) and entry.architecture else {})
    if names:
        info = layer_names.rename(info, names)
        facts = replace(facts, filters={names.get(k, k): v for k, v in facts.filters.items()})
    own_recipe = preprocess.from_model(proto)
    ctx.progress(0.995, "Starting onnxruntime…")
    # Built-ins have no file: weights from the seed. A stranger's file is run only in its own child process.
    session = (sandboxed_session(ctx, Path(entry.weights.path)) if untrusted
               else ActivationSession(proto, weights=weights))
    del proto, weights
    return LoadedModel(key=key, entry=entry, facts=facts, info=info, preprocess=own_recipe, session=session,
                       load_ms=(time.perf_counter() - started) * 1000, explainer=Explainer(entry),
                       file_names={paper: file for file, paper in names.items() if paper != file})


def inspect_in_sandbox(ctx: TaskContext, path: Path) -> core_inspect.ModelInfo:
    """Inspect a user's file (which runs it once for its shapes) in a child process with a memory cap and a time
    limit that cancelling the task kills at once."""
    ctx.progress(0.1, f"{path.name}: checking the graph in a separate process…")
    stop = threading.Event()
    ctx.on_cancel(stop.set)
    try:
        return sandbox.run_limited(core_inspect.inspect_model, str(path), timeout_s=SANDBOX_TIMEOUT_S,
                                   memory_bytes=sandbox.default_memory_bytes(), cancel=stop, what=f"'{path.name}'")
    except sandbox.Cancelled:
        raise Cancelled() from None


def sandboxed_session(ctx: TaskContext, path: Path) -> SandboxedSession:
    """A user's file held in a child process with a memory cap; each run has a time limit and cancelling kills it."""
    stop = threading.Event()
    ctx.on_cancel(stop.set)
    try:
        return SandboxedSession(path, memory_bytes=sandbox.default_memory_bytes(), timeout_s=SANDBOX_TIMEOUT_S,
                                cancel=stop)
    except sandbox.Cancelled:
        raise Cancelled() from None


def download_model(ctx: TaskContext, key: str, mirror: str | None = None) -> Path:
    """Fetch a catalog entry's published file into the user cache (the user's mirror first, then the published
    ones in order, sha256 checked)."""
    from explorer.core import downloads  # pooch and requests load only when someone downloads

    entry = catalog.get(key)
    ctx.progress(0.0, f"{entry.title}: connecting…")
    return downloads.download(entry, ctx.progress, lambda: ctx.cancelled, mirror)


def run_model(ctx: TaskContext, loaded: LoadedModel, image: LoadedImage, recipe: preprocess.Preprocess) -> RunResult:
    started = time.perf_counter()
    prepared = preprocess.prepare(image, recipe)
    ctx.check()
    activations = cancellable_run(ctx, loaded.session.run, prepared.tensor)
    return run_result(loaded, image, recipe, prepared, activations, started)


def cancellable_run(ctx: TaskContext, run: Callable[[np.ndarray, Any], T], tensor: np.ndarray) -> T:
    """``run(tensor, run_options)`` that the task's cancel stops inside onnxruntime (RunOptions.terminate)."""
    options = ort.RunOptions()
    ctx.on_cancel(lambda: setattr(options, "terminate", True))
    try:
        return run(tensor, options)
    except RunCancelled:
        raise Cancelled() from None


def run_result(loaded: LoadedModel, image: LoadedImage, recipe: preprocess.Preprocess,
               prepared: preprocess.Prepared, activations: Activations, started: float,
               live: bool = False, picture: LayerPicture | None = None) -> RunResult:
    """A run's activations with the prediction read from its output (top five, the digits-only check)."""
    top = tuple(predictions.top_classes(activations.output, loaded.facts.probabilities))
    check = (digit_likeness.judge(image.pixels, top[0][1])
             if top and digit_likeness.applies(loaded.labels) else None)
    return RunResult(model_key=loaded.key, image=image, activations=activations, prepared=prepared,
                     preprocess=recipe, run_ms=activations.timings["run_ms"],
                     total_ms=(time.perf_counter() - started) * 1000, top=top, digit_check=check, live=live,
                     picture=picture)


def inspect_builtin(ctx: TaskContext, name: str) -> tuple[str, core_inspect.ModelInfo]:
    """One built-in's layer table (receptive-field comparison, architecture strips): its structure, no weights."""
    ctx.progress(0.0, f"Inspecting {zoo.BUILTINS[name].title}…")
    return name, builtin_structure.inspect_builtin(name)


def inspect_builtins(ctx: TaskContext, names: list[str]) -> int:
    """Every built-in in turn, one at a time (VGG-16's build takes seconds and memory); each (name, info) is a
    partial result as soon as it is ready. Returns how many were inspected."""
    for name in names:
        ctx.partial(inspect_builtin(ctx, name))
    return len(names)


@dataclass(frozen=True)
class Explained:
    """An explanation and what the Explain panel needs beside it, computed off the GUI thread."""

    request: tuple                     # the request it answers (ExplainPanel's cache key)
    image: LoadedImage                 # the picture explained
    explanation: explain.Explanation
    colours: np.ndarray                # uint8 (H, W, 3): the heat in the sequential colours, at the image's size
    layers: tuple[str, ...]            # the model's layers with a spatial map (the choices for the CAM methods)
    default_layer: str | None          # the last of them; None when there is none
    classes: int


def explain_image(ctx: TaskContext, explainer: Explainer, request: tuple, image: LoadedImage, method: str,
                  layer: str, class_index: int | None, options: dict) -> Explained:
    """One explanation (core.explain.explain); ``layer`` "" is the model's default, ``options`` the occlusion's."""
    got = explainer.run(ctx, sandboxed.answer, image, method, layer or None, class_index, options)
    heat = got.explanation.heat
    return Explained(request, image, got.explanation, render.unit_to_rgb(explain.unit_heat(heat)), got.layers,
                     got.layers[-1] if got.layers else None, got.classes)


def measure_field(ctx: TaskContext, explainer: Explainer, layer: str, unit: tuple[int, int, int],
                  image: LoadedImage, max_passes: int) -> erf.EffectiveField:
    """The effective receptive field of ``unit`` (channel, row, col) of ``layer``, measured around ``image``."""
    return explainer.run(ctx, erf.effective_receptive_field, layer, unit, image, max_passes=max_passes)


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


# ----- Random vs trained ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ComparedSide:
    title: str
    badge: str
    first_filters: Filters | None    # conv1's weights
    layer: str                       # the chosen convolution's name in this network ("" when it has fewer)
    activation: np.ndarray | None    # its output on the image, (C, H, W)


@dataclass(frozen=True)
class Comparison:
    keys: tuple[str, str]            # (random, trained) catalog keys
    image: LoadedImage
    index: int                       # which convolution (0 = conv1)
    sides: tuple[ComparedSide, ComparedSide]


def load_pair(ctx: TaskContext, keys: tuple[str, str], have: tuple[LoadedModel, ...]) -> tuple[LoadedModel, ...]:
    """Both networks of a pair; a model already loaded (``have``, e.g. the explorer's) is reused, not loaded twice."""
    known = {m.key: m for m in have}
    return tuple(known[key] if key in known else load_model(ctx, key) for key in keys)


def compare_run(ctx: TaskContext, models_: tuple[LoadedModel, ...], image: LoadedImage, index: int) -> Comparison:
    """Run both networks on the image and keep conv1's filters and the index-th convolution's output of each."""
    from explorer.core.random_vs_trained import conv_layers

    sides = []
    for loaded in models_:
        ctx.progress(len(sides) / len(models_), f"Running {loaded.title}…")
        convs = conv_layers(loaded.info)
        first = loaded.filters.get(convs[0].name) if convs else None
        chosen = convs[index] if index < len(convs) else None
        activation = None
        if chosen is not None:
            result = run_model(ctx, loaded, image, loaded.preprocess)
            values = result.activations.tensors.get(chosen.tensor)
            activation = None if values is None else np.array(values[0])  # a copy: the rest is released
        sides.append(ComparedSide(loaded.title, loaded.facts.badge, first, chosen.name if chosen else "", activation))
    return Comparison(tuple(m.key for m in models_), image, index, tuple(sides))
