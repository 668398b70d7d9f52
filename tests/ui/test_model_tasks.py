"""The Model Explorer's task functions on the one TaskRunner: latest wins on real onnxruntime runs, errors are one
line and the next request is served, closing during a long run is fast, builds report progress."""
from __future__ import annotations

import threading
import time

import numpy as np
import pytest
from small_models import slow_rgb

from explorer.core import zoo
from explorer.core.images import from_array
from explorer.workers import tasks
from explorer.workers.runner import TaskRunner


def picture(value: int, size: int = 64):
    return from_array(np.full((size, size, 3), value, np.uint8), f"flat {value}")


def load(qtbot, runner, key: str) -> tasks.LoadedModel:
    loaded = []
    runner.submit("model-load", tasks.load_model, key, on_done=loaded.append)
    qtbot.waitUntil(lambda: bool(loaded), timeout=60_000)
    return loaded[0]


def test_rapid_runs_end_with_the_latest_image_only(qtbot, qapp, runner):
    lenet = load(qtbot, runner, "lenet5")
    results = []
    for value in (0, 60, 120, 250):
        runner.submit("model-run", tasks.run_model, lenet, picture(value), lenet.preprocess, on_done=results.append)
    qtbot.waitUntil(lambda: bool(results), timeout=30_000)
    qtbot.waitUntil(lambda: not runner.running_tasks(), timeout=10_000)
    qapp.processEvents()
    assert len(results) == 1  # the three superseded runs were dropped, whether they finished or not
    assert results[0].image.source == "flat 250" and results[0].model_key == "lenet5"
    assert results[0].prepared.resized_rgb.mean() == pytest.approx(250, abs=1)


def test_loaded_model_carries_what_the_explorer_shows(qtbot, runner):
    lenet = load(qtbot, runner, "lenet5")
    assert lenet.title == "LeNet-5" and lenet.builtin
    assert lenet.provider in ("CPUExecutionProvider", "CUDAExecutionProvider")
    assert lenet.labels == [str(d) for d in range(10)] and lenet.weights.startswith("trained")
    assert lenet.filters["c1"].weights.shape == (6, 5, 5)


def test_an_invalid_model_is_one_line_and_the_next_load_is_served(qtbot, runner, tmp_path):
    bad = tmp_path / "broken.onnx"
    bad.write_bytes(b"this is not a model")
    errors = []
    runner.submit("model-load", tasks.load_model, str(bad), on_error=errors.append)
    qtbot.waitUntil(lambda: bool(errors), timeout=10_000)
    assert "broken.onnx" in errors[0] and "\n" not in errors[0]
    assert load(qtbot, runner, "lenet5").key == "lenet5"


def test_an_unexpected_exception_is_one_line(qtbot, runner, monkeypatch):
    lenet = load(qtbot, runner, "lenet5")

    def boom(*_args):
        raise RuntimeError("boom\nwith a second line")

    errors, results = [], []
    monkeypatch.setattr(tasks.preprocess, "prepare", boom)
    runner.submit("model-run", tasks.run_model, lenet, picture(1), lenet.preprocess, on_error=errors.append)
    qtbot.waitUntil(lambda: bool(errors), timeout=10_000)
    assert errors == ["Unexpected error (RuntimeError): boom with a second line"]
    monkeypatch.undo()
    runner.submit("model-run", tasks.run_model, lenet, picture(2), lenet.preprocess, on_done=results.append)
    qtbot.waitUntil(lambda: bool(results), timeout=10_000)


def test_closing_during_a_long_run_is_fast_and_clean(qtbot, qapp, tmp_path, monkeypatch):
    runner = TaskRunner()
    slow = load(qtbot, runner, str(slow_rgb(tmp_path / "slow.onnx")))
    running, original = threading.Event(), type(slow.session).run  # a user's file: its SandboxedSession

    def run(self, *args, **kwargs):
        running.set()  # on the task thread, just before onnxruntime starts
        return original(self, *args, **kwargs)

    monkeypatch.setattr(type(slow.session), "run", run)
    results = []
    runner.submit("model-run", tasks.run_model, slow, picture(128, 512), slow.preprocess, on_done=results.append)
    assert running.wait(10)
    time.sleep(0.05)  # the run (seconds) is in flight
    started = time.perf_counter()
    assert runner.shutdown(1.0)  # RunOptions.terminate stopped onnxruntime: the thread ended in time
    elapsed = time.perf_counter() - started
    qapp.processEvents()
    assert not results
    assert elapsed < 1.0, f"shutdown took {elapsed:.2f} s"


def test_building_a_model_reports_progress(qtbot, runner, monkeypatch, tmp_path):
    monkeypatch.setenv("CNN_EXPLORER_CACHE_DIR", str(tmp_path))  # an empty cache: the model is built now
    progress, loaded = [], []
    runner.submit("model-load", tasks.load_model, "lenet5", on_done=loaded.append,
                  on_progress=lambda fraction, text: progress.append((fraction, text)))
    qtbot.waitUntil(lambda: bool(loaded), timeout=60_000)
    fractions = [f for f, _ in progress]
    assert fractions == sorted(fractions) and fractions[-1] < 1  # the bar never runs back, nor ends early
    assert progress[0] == (0.0, "Looking the model up…")  # the first report always passes the throttle


def test_builtins_are_inspected_in_turn_as_partial_results(qtbot, runner):
    names = ["lenet5", "alexnet"]
    found, done = [], []
    runner.submit("inspect-builtins", tasks.inspect_builtins, names, on_partial=found.append, on_done=done.append)
    qtbot.waitUntil(lambda: bool(done), timeout=120_000)
    assert [name for name, _ in found] == names and done == [2]
    assert found[0][1].params == zoo.BUILTINS["lenet5"].params
