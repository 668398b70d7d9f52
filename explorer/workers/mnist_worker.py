"""The MNIST tab's worker: one QThread owning the LeNet-5 and fully connected sessions.

The GUI never calls onnxruntime. Predictions (a drawing or a held-out digit) go into a lock-protected slot where
the latest wins, so a fast-moving pen never queues up stale work. Measuring the held-out accuracy and the shift
curves takes seconds; while it runs, the worker still answers pending predictions between digits (from the
measurement's cancel check), so drawing stays live. ``shutdown()`` cancels, quits the thread and waits for it.
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

import numpy as np
from PySide6.QtCore import QObject, QThread, Signal, Slot

from explorer.core import mnist
from explorer.core.runtime import RunCancelled
from explorer.workers.inference import one_line
from explorer.workers.threads import stop_thread


@dataclass(frozen=True)
class PredictRequest:
    id: int
    image: np.ndarray        # uint8 (H,W) white on black
    normalize: bool          # a drawing: make it MNIST-like first (held-out digits already are)
    shift: tuple[int, int]   # (dx, dy) applied after normalising


@dataclass(frozen=True)
class Prediction:
    request_id: int
    digit: np.ndarray                   # uint8 (28,28): exactly what both networks were given
    probabilities: dict[str, np.ndarray]  # classifier name -> (10,)
    ms: float                           # both networks, measured on the worker


@dataclass(frozen=True)
class ModelsReady:
    params: dict[str, int]               # classifier name -> parameter count
    recorded: dict[str, float | None]    # held-out accuracy recorded by tools/train_mnist.py
    heldout: mnist.Digits
    provider: str


@dataclass
class _Slot:
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _predict: PredictRequest | None = None
    _measure: str | None = None   # shift direction to measure

    def put_predict(self, request: PredictRequest) -> None:
        with self._lock:
            self._predict = request

    def take_predict(self) -> PredictRequest | None:
        with self._lock:
            request, self._predict = self._predict, None
            return request

    def put_measure(self, direction: str) -> None:
        with self._lock:
            self._measure = direction

    def take_measure(self) -> str | None:
        with self._lock:
            direction, self._measure = self._measure, None
            return direction

    def clear(self) -> None:
        with self._lock:
            self._predict, self._measure = None, None


class MnistWorker(QObject):
    ready = Signal(object)           # ModelsReady, once the sessions exist
    prediction = Signal(object)      # Prediction
    progress = Signal(float, str)    # measurement progress
    curve = Signal(object)           # mnist.ShiftCurve (shift 0 = plain held-out accuracy)
    failed = Signal(str)

    def __init__(self, slot: _Slot) -> None:
        super().__init__()
        self._slot = slot
        self._stopping = threading.Event()
        self._classifiers: list[mnist.DigitClassifier] = []
        self._digits: mnist.Digits | None = None

    def stop(self) -> None:  # GUI thread
        self._stopping.set()
        for c in list(self._classifiers):
            c.cancel()

    @Slot()
    def drain(self) -> None:
        try:
            if not self._classifiers and not self._stopping.is_set():
                self._load()
            while not self._stopping.is_set():
                if self._serve_prediction():
                    continue
                direction = self._slot.take_measure()
                if direction is None:
                    return
                self._measure(direction)
        except RunCancelled:
            pass
        except Exception as exc:  # noqa: BLE001 - every failure becomes a message, never a dead worker
            self.failed.emit(one_line(exc))

    def _load(self) -> None:
        self._classifiers = [mnist.lenet_classifier(), mnist.mlp_classifier()]
        self._digits = mnist.heldout_digits()
        self.ready.emit(ModelsReady(
            params={c.name: c.params for c in self._classifiers},
            recorded={c.name: mnist.recorded_accuracy(c) for c in self._classifiers},
            heldout=self._digits, provider=self._classifiers[0].session.provider))

    def _serve_prediction(self) -> bool:
        request = self._slot.take_predict()
        if request is None:
            return False
        started = time.perf_counter()
        digit = mnist.normalize_drawing(request.image) if request.normalize else np.asarray(request.image, np.uint8)
        digit = mnist.shift_digits(digit, *request.shift)
        probs = {c.name: c.probabilities(digit) for c in self._classifiers}
        self.prediction.emit(Prediction(request.id, digit, probs, (time.perf_counter() - started) * 1000))
        return True

    def _measure(self, direction: str) -> None:
        def cancelled() -> bool:
            self._serve_prediction()  # keep the draw pad answering while the curves are measured
            return self._stopping.is_set()

        def progress(fraction: float) -> None:
            self.progress.emit(fraction, f"Measuring shifted digits ({direction})… {fraction:.0%}")

        self.curve.emit(mnist.shift_robustness(self._classifiers, self._digits, mnist.SHIFTS, direction,
                                               progress, cancelled))


class MnistController(QObject):
    """GUI-thread side: request ids, latest-only predictions, clean shutdown."""

    ready = Signal(object)
    prediction = Signal(object)
    progress = Signal(float, str)
    curve = Signal(object)
    failed = Signal(str)
    _wake = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._slot = _Slot()
        self._next_id = 0
        self._thread = QThread()
        self._thread.setObjectName("mnist")
        self._worker = MnistWorker(self._slot)
        self._worker.moveToThread(self._thread)
        self._wake.connect(self._worker.drain)
        self._worker.ready.connect(self.ready)
        self._worker.prediction.connect(self._on_prediction)
        self._worker.progress.connect(self.progress)
        self._worker.curve.connect(self.curve)
        self._worker.failed.connect(self.failed)
        self._thread.start()

    def start(self) -> None:
        """Load the networks now (otherwise on the first request)."""
        self._wake.emit()

    def predict(self, image: np.ndarray, normalize: bool, shift: tuple[int, int] = (0, 0)) -> int:
        self._next_id += 1
        self._slot.put_predict(PredictRequest(self._next_id, np.array(image, np.uint8), normalize, shift))
        self._wake.emit()
        return self._next_id

    def measure(self, direction: str) -> None:
        self._slot.put_measure(direction)
        self._wake.emit()

    def shutdown(self, timeout_s: float = 5.0) -> bool:
        self._slot.clear()
        return stop_thread(self._thread, self._worker.stop, timeout_s)

    def _on_prediction(self, prediction: Prediction) -> None:
        if prediction.request_id == self._next_id:  # an older drawing's answer would flicker the bars
            self.prediction.emit(prediction)
