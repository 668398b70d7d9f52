"""The inference worker: coalescing, stale results, errors as messages, cancel-and-quit on close."""
from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from explorer.core.images import from_array
from explorer.core.runtime import ActivationSession
from explorer.workers import inference
from explorer.workers.inference import InferenceController, Request, RequestSlot


def pause(app, ms: float) -> None:
    """Process events for ms milliseconds without a QTimer (qtbot.wait's timer-driven loop hung once here)."""
    deadline = time.perf_counter() + ms / 1000
    while time.perf_counter() < deadline:
        app.processEvents()
        time.sleep(0.002)


def picture(value: int, size: int = 64):
    return from_array(np.full((size, size, 3), value, np.uint8), f"flat {value}")


@pytest.fixture
def controller(qapp):
    c = InferenceController()
    yield c
    assert c.shutdown()


def test_slot_keeps_only_the_latest_request():
    slot = RequestSlot()
    for i in range(1, 4):
        slot.put(Request(i, "lenet5", None, None))
    assert slot.pending().id == 3
    assert slot.take().id == 3
    assert slot.take() is None


def test_rapid_requests_end_with_the_latest_result(qtbot, qapp, controller):
    results, latest_when_delivered = [], []
    controller.result.connect(results.append)
    controller.result.connect(lambda _: latest_when_delivered.append(controller.latest_request.id))
    images = [picture(v) for v in (0, 60, 120, 250)]
    last = 0
    for model, image in zip(("lenet5", "googlenet", "lenet5", "lenet5"), images):
        last = controller.request(model, image)
        pause(qapp, 40)  # the worker is busy with an earlier request while the next arrives
    qtbot.waitUntil(lambda: bool(results) and results[-1].request_id == last, timeout=60_000)
    pause(qapp, 100)  # anything stale arriving late would show up now
    ids = [r.request_id for r in results]
    assert ids == latest_when_delivered  # a result is only delivered while its request is the latest
    assert 2 not in ids  # GoogLeNet was superseded while loading
    assert ids[-1] == last
    assert results[-1].model_key == "lenet5"
    assert results[-1].prepared.resized_rgb.mean() == pytest.approx(250, abs=1)


def test_invalid_model_is_a_message_and_the_worker_lives_on(qtbot, controller, tmp_path):
    bad = tmp_path / "broken.onnx"
    bad.write_bytes(b"this is not a model")
    messages, results = [], []
    controller.failed.connect(messages.append)
    controller.result.connect(results.append)
    controller.request(str(bad), picture(10))
    qtbot.waitUntil(lambda: bool(messages), timeout=10_000)
    assert "broken.onnx" in messages[0] and "\n" not in messages[0]
    last = controller.request("lenet5", picture(10))
    qtbot.waitUntil(lambda: bool(results) and results[-1].request_id == last, timeout=30_000)


def test_unexpected_exception_is_one_line(qtbot, controller, monkeypatch):
    def boom(*_args):
        raise RuntimeError("boom\nwith a second line")

    messages, results = [], []
    controller.failed.connect(messages.append)
    controller.result.connect(results.append)
    monkeypatch.setattr(inference.preprocess, "prepare", boom)
    controller.request("lenet5", picture(1))
    qtbot.waitUntil(lambda: bool(messages), timeout=30_000)
    assert messages[0] == "Unexpected error (RuntimeError): boom with a second line"
    monkeypatch.undo()
    last = controller.request("lenet5", picture(2))
    qtbot.waitUntil(lambda: bool(results) and results[-1].request_id == last, timeout=30_000)


def test_provider_is_reported(qtbot, controller):
    providers = []
    controller.provider_changed.connect(providers.append)
    controller.request("lenet5", None)
    qtbot.waitUntil(lambda: bool(providers), timeout=30_000)
    assert providers[0] in ("CPUExecutionProvider", "CUDAExecutionProvider")


def test_closing_during_a_vgg16_run_is_fast_and_clean(qtbot, qapp, monkeypatch):
    running = threading.Event()
    original = ActivationSession.run

    def run(self, *args, **kwargs):
        running.set()  # on the worker thread, just before onnxruntime starts
        return original(self, *args, **kwargs)

    monkeypatch.setattr(ActivationSession, "run", run)
    controller = InferenceController()
    results = []
    controller.result.connect(results.append)
    controller.request("vgg16", picture(128, 224))
    qtbot.waitUntil(running.is_set, timeout=120_000)
    time.sleep(0.02)  # the run (0.15-2 s) is in flight
    started = time.perf_counter()
    assert controller.shutdown()
    elapsed = time.perf_counter() - started
    qapp.processEvents()
    assert not results  # the run was cancelled, not finished
    assert elapsed < 2.0, f"shutdown took {elapsed:.2f} s"


def test_building_a_model_reports_progress(qtbot, controller, monkeypatch, tmp_path):
    monkeypatch.setenv("CNN_EXPLORER_CACHE_DIR", str(tmp_path))  # an empty cache: the model is built now
    progress, loaded = [], []
    controller.progress.connect(lambda fraction, text: progress.append((fraction, text)))
    controller.model_loaded.connect(loaded.append)
    controller.request("googlenet", None)
    qtbot.waitUntil(lambda: bool(loaded), timeout=60_000)
    fractions = [f for f, _ in progress]
    assert any(0 <= f < 1 for f in fractions) and fractions[-1] == 1.0
    assert fractions == sorted(fractions)
    assert any("GoogLeNet" in text for _, text in progress)
