"""The inference worker: one QThread that owns every onnxruntime session of the Model Explorer.

The GUI never calls onnxruntime. It hands (model, image) requests to :class:`InferenceController`, which puts
the newest one into a lock-protected :class:`RequestSlot` and wakes the worker. The worker drains the slot when
it is free, so requests coalesce even while a long run blocks its event loop: at most one is pending and the
latest wins. Every result carries its request id; the controller forwards only the latest request's results.
Errors become one-line messages; the worker survives them. ``shutdown()`` cancels the run in flight
(``ActivationSession.cancel`` -> ``RunOptions.terminate``), quits the thread and waits for it.
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from PySide6.QtCore import QObject, QThread, Signal, Slot

from explorer.core import inspect as core_inspect
from explorer.core import model_facts, models, preprocess, zoo
from explorer.core.errors import UserError
from explorer.core.images import LoadedImage
from explorer.core.model_facts import Filters
from explorer.core.runtime import Activations, ActivationSession, RunCancelled
from explorer.workers.threads import stop_thread


@dataclass(frozen=True)
class Request:
    id: int
    model: str                                 # built-in name or .onnx path
    image: LoadedImage | None
    preprocess: preprocess.Preprocess | None   # the user's recipe for a model without one (else None)


@dataclass(frozen=True)
class LoadedModel:
    request_id: int
    key: str                                   # the Request.model that loaded it
    title: str
    builtin: bool
    info: core_inspect.ModelInfo
    preprocess: preprocess.Preprocess | None   # the model's own recipe; None asks the user
    weights: str                               # where the weights come from ("" when the file does not say)
    labels: list[str] | None
    filters: dict[str, Filters]
    provider: str
    provider_note: str | None
    load_ms: float


@dataclass(frozen=True)
class RunResult:
    request_id: int
    model_key: str
    activations: Activations
    prepared: preprocess.Prepared
    preprocess: preprocess.Preprocess
    run_ms: float     # onnxruntime alone
    total_ms: float   # prepare + run + collecting, measured on the worker
    provider: str


class _Stopping(Exception):
    """Raised from a progress callback to abandon a model build when the window closes."""


@dataclass
class RequestSlot:
    """The one pending request (latest wins) and queued built-in inspections, shared by both threads."""

    _lock: threading.Lock = field(default_factory=threading.Lock)
    _pending: Request | None = None
    _inspections: list[str] = field(default_factory=list)

    def put(self, request: Request) -> None:
        with self._lock:
            self._pending = request

    def take(self) -> Request | None:
        with self._lock:
            request, self._pending = self._pending, None
            return request

    def pending(self) -> Request | None:
        with self._lock:
            return self._pending

    def queue_inspections(self, names: list[str]) -> None:
        with self._lock:
            self._inspections = [n for n in names if n not in self._inspections] + self._inspections

    def take_inspection(self) -> str | None:
        with self._lock:
            return self._inspections.pop(0) if self._inspections else None

    def clear(self) -> None:
        with self._lock:
            self._pending, self._inspections = None, []


def one_line(exc: BaseException) -> str:
    """UserError text as is; anything else as a one-line message that still names the bug."""
    if isinstance(exc, UserError):
        return str(exc)
    return " ".join(f"Unexpected error ({type(exc).__name__}): {exc}".split())


class InferenceWorker(QObject):
    progress = Signal(float, str)       # fraction in [0, 1], what is happening
    model_loaded = Signal(object)       # LoadedModel
    result = Signal(object)             # RunResult
    failed = Signal(int, str)           # request id, one-line message
    inspected = Signal(str, object)     # built-in name, ModelInfo (for the receptive-field comparison)

    def __init__(self, slot: RequestSlot) -> None:
        super().__init__()
        self._slot = slot
        self._stopping = threading.Event()
        self._session: ActivationSession | None = None
        self._loaded: LoadedModel | None = None

    # Called from the GUI thread: must not wait for the worker's event loop.
    def stop(self) -> None:
        self._stopping.set()
        session = self._session
        if session is not None:
            session.cancel()

    @Slot()
    def drain(self) -> None:
        """Handle pending work until the slot is empty; each wake-up signal may find nothing left to do."""
        while not self._stopping.is_set():
            request = self._slot.take()
            if request is not None:
                self._handle(request)
                continue
            name = self._slot.take_inspection()
            if name is None:
                return
            # The zoo has no weight-free build: inspecting VGG-16 builds its 138 M random weights (seconds),
            # so it happens here, one model at a time, with pending (model, image) requests served in between.
            self.progress.emit(0.0, f"Receptive fields: inspecting {zoo.BUILTINS[name].title}…")
            try:
                self.inspected.emit(name, core_inspect.inspect_model(name))
            except Exception as exc:  # noqa: BLE001 - a failed comparison curve must not stop the worker
                self.failed.emit(-1, one_line(exc))
            self.progress.emit(1.0, "")

    def _handle(self, request: Request) -> None:
        try:
            if self._loaded is None or self._loaded.key != request.model:
                self._load(request)
            if request.image is None or self._slot.pending() is not None:
                return  # nothing to run, or a newer request already supersedes this one
            recipe = request.preprocess or self._loaded.preprocess
            if recipe is None:
                return  # the view asks the user for a recipe and sends a new request
            self._run(request, recipe)
        except (RunCancelled, _Stopping):
            pass
        except Exception as exc:  # noqa: BLE001 - every failure becomes a message, never a dead worker
            self.failed.emit(request.id, one_line(exc))

    def _reporter(self, model: str):
        """Progress callback for building ``model``; abandons the build on shutdown or when another model is wanted."""
        def report(fraction: float, message: str) -> None:
            pending = self._slot.pending()
            if self._stopping.is_set() or (pending is not None and pending.model != model):
                raise _Stopping()
            self.progress.emit(fraction, message)
        return report

    def _load(self, request: Request) -> None:
        started = time.perf_counter()
        builtin = models.is_builtin(request.model)
        report = self._reporter(request.model)
        proto = models.open_model(request.model, progress=report)
        self.progress.emit(1.0, "Inspecting layers…")
        info = core_inspect.inspect_model(proto)
        meta = model_facts.metadata(proto)
        filters = model_facts.conv_filters(proto)
        own_recipe = preprocess.from_model(proto)
        if builtin:
            title = zoo.BUILTINS[request.model].title
        else:
            title = meta.get(model_facts.TITLE_KEY) or Path(request.model).name
        # The session reads the file itself (no second in-memory copy of a 500 MB proto); built-ins are cached.
        source = zoo.materialize(request.model) if builtin else Path(request.model)
        del proto
        report(1.0, "Starting onnxruntime…")
        session = ActivationSession(source)
        outputs = output_count(info)
        weights = meta.get(model_facts.WEIGHTS_KEY, "")
        labels = None if model_facts.is_random(weights) else model_facts.labels(meta, outputs)
        # Replace the old session only now: a model that fails to load leaves the current one working.
        self._session = session
        self._loaded = LoadedModel(
            request_id=request.id, key=request.model, title=title, builtin=builtin, info=info,
            preprocess=own_recipe, weights=weights, labels=labels, filters=filters, provider=session.provider,
            provider_note=session.note, load_ms=(time.perf_counter() - started) * 1000)
        self.model_loaded.emit(self._loaded)

    def _run(self, request: Request, recipe: preprocess.Preprocess) -> None:
        started = time.perf_counter()
        prepared = preprocess.prepare(request.image, recipe)
        if self._stopping.is_set():
            return
        activations = self._session.run(prepared.tensor)
        self.result.emit(RunResult(
            request_id=request.id, model_key=request.model, activations=activations, prepared=prepared,
            preprocess=recipe, run_ms=activations.timings["run_ms"],
            total_ms=(time.perf_counter() - started) * 1000, provider=activations.provider))


def output_count(info: core_inspect.ModelInfo) -> int:
    """Number of values in the model's last layer (class count for classifiers), 0 when unknown."""
    if not info.layers:
        return 0
    size = 1
    for dim in info.layers[-1].shape[1:]:
        size *= int(dim) if isinstance(dim, int) and dim > 0 else 1
    return size


class InferenceController(QObject):
    """GUI-thread side: hands out request ids, keeps only the latest results, stops the thread cleanly."""

    progress = Signal(float, str)
    model_loaded = Signal(object)       # LoadedModel of the latest requested model
    result = Signal(object)             # RunResult of the latest request only
    failed = Signal(str)                # one-line message about the latest request (or a comparison curve)
    inspected = Signal(str, object)
    provider_changed = Signal(str)
    _wake = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._slot = RequestSlot()
        self._latest: Request | None = None
        self._next_id = 0
        self._provider = ""
        self._thread = QThread()
        self._thread.setObjectName("inference")
        self._worker = InferenceWorker(self._slot)
        self._worker.moveToThread(self._thread)
        self._wake.connect(self._worker.drain)
        self._worker.progress.connect(self.progress)
        self._worker.model_loaded.connect(self._on_loaded)
        self._worker.result.connect(self._on_result)
        self._worker.failed.connect(self._on_failed)
        self._worker.inspected.connect(self.inspected)
        self._thread.start()

    @property
    def latest_request(self) -> Request | None:
        return self._latest

    def request(self, model: str, image: LoadedImage | None,
                recipe: preprocess.Preprocess | None = None) -> int:
        """Queue (model, image); replaces any request not yet started. Returns the request id."""
        self._next_id += 1
        self._latest = Request(self._next_id, model, image, recipe)
        self._slot.put(self._latest)
        self._wake.emit()
        return self._next_id

    def inspect_builtins(self, names: list[str]) -> None:
        self._slot.queue_inspections(names)
        self._wake.emit()

    def shutdown(self, timeout_s: float = 5.0) -> bool:
        """Cancel the run in flight, quit the thread and wait for it; True when it stopped in time."""
        self._slot.clear()
        return stop_thread(self._thread, self._worker.stop, timeout_s)

    def _is_latest(self, request_id: int) -> bool:
        return self._latest is not None and request_id == self._latest.id

    def _on_loaded(self, loaded: LoadedModel) -> None:
        if loaded.provider != self._provider:
            self._provider = loaded.provider
            self.provider_changed.emit(loaded.provider)
        # A model loaded for an older request still counts if it is the model the latest request wants.
        if self._latest is not None and loaded.key == self._latest.model:
            self.model_loaded.emit(loaded)

    def _on_result(self, result: RunResult) -> None:
        if self._is_latest(result.request_id):
            self.result.emit(result)

    def _on_failed(self, request_id: int, message: str) -> None:
        if request_id == -1 or self._is_latest(request_id):
            self.failed.emit(message)
