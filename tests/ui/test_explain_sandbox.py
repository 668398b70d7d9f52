"""The Explain panel's and the effective field's tasks on a user's file run in core/sandbox.py's child: a hostile
model ends in one status line with the child gone and no thread left (conftest checks the threads), cancelling kills
the child, progress still arrives, and the answer equals the in-process core's."""
from __future__ import annotations

import multiprocessing

import numpy as np
import pytest
from small_models import tiny_rgb

import hostile_files as hostile
from explorer.core import catalog, erf, explain, sandbox
from explorer.core.images import from_array
from explorer.workers import tasks
from explorer.workers.runner import TaskRunner

IMAGE = from_array(np.random.default_rng(0).integers(0, 256, (40, 40, 3), np.uint8), "noise")


@pytest.fixture
def runner(qapp):
    r = TaskRunner()
    yield r
    r.shutdown(2.0)


def sandbox_children() -> list:
    return [p for p in multiprocessing.active_children() if p.name == "cnn-explorer-sandbox"]


def submit(runner, kind: str, path, outcome: dict) -> None:
    """The explain or erf task as the panels submit it, on an Explainer for the file's catalog entry."""
    explainer = tasks.Explainer(catalog.resolve(path))
    callbacks = dict(on_done=lambda value: outcome.setdefault("done", value),
                     on_error=lambda message: outcome.setdefault("error", message),
                     on_progress=lambda fraction, text: outcome.setdefault("progress", []).append(text))
    if kind == "explain":
        runner.submit(kind, tasks.explain_image, explainer, ("request",), IMAGE, "occlusion", "", None, {},
                      **callbacks)
    else:
        runner.submit(kind, tasks.measure_field, explainer, "score", (0, 0, 0), IMAGE, 4096, **callbacks)


@pytest.mark.parametrize("kind", ["explain", "erf"])
@pytest.mark.parametrize("builder", [lambda: hostile.scored(hostile.hidden_allocation()),
                                     lambda: hostile.scored(hostile.endless_loop(hidden=True))],
                         ids=["hidden-allocation", "hidden-loop"])
def test_a_hostile_file_ends_in_one_line_and_leaves_no_child(qtbot, runner, tmp_path, monkeypatch, kind, builder):
    # Limits a test machine can afford (the app's: half the RAM, 60 s without progress); 10 s leaves the child
    # time to start (spawn, imports) under load before its first report.
    monkeypatch.setattr(sandbox, "default_memory_bytes", lambda: sandbox.GB)
    monkeypatch.setattr(tasks, "SANDBOX_TIMEOUT_S", 10.0)
    path = hostile.save(builder(), tmp_path / "hostile.onnx")
    outcome: dict = {}
    submit(runner, kind, path, outcome)
    qtbot.waitUntil(lambda: "error" in outcome or "done" in outcome, timeout=60_000)
    message = outcome.get("error", "")
    assert "\n" not in message and message.startswith("'hostile.onnx' "), outcome
    assert "1 GB of memory" in message or "made no progress for 10 s" in message, message
    # The child said what it was doing before it was stopped.
    assert "Preparing the model for explanations (in a separate process)…" in outcome.get("progress", ()), outcome
    qtbot.waitUntil(lambda: not runner.running_tasks(), timeout=5_000)
    assert not sandbox_children()


def test_cancelling_kills_the_child(qtbot, runner, tmp_path, monkeypatch):
    monkeypatch.setattr(sandbox, "default_memory_bytes", lambda: sandbox.GB)  # the loop's output grows meanwhile
    path = hostile.save(hostile.scored(hostile.endless_loop(hidden=True)), tmp_path / "loop.onnx")
    outcome: dict = {}
    submit(runner, "explain", path, outcome)
    qtbot.waitUntil(lambda: bool(sandbox_children()), timeout=30_000)
    runner.cancel("explain")
    # A hang guard, not a speed test: bench/hostile_inputs.py measures how fast the child goes.
    qtbot.waitUntil(lambda: not sandbox_children() and not runner.running_tasks(), timeout=10_000)
    assert "done" not in outcome and "error" not in outcome  # a cancelled task reports nothing


def test_a_users_file_is_explained_and_measured_as_the_core_does_in_process(qtbot, runner, tmp_path):
    path = tiny_rgb(tmp_path / "tiny.onnx")
    explained, measured = {}, {}
    submit(runner, "explain", path, explained)
    qtbot.waitUntil(lambda: "done" in explained or "error" in explained, timeout=60_000)
    value = explained["done"]
    expected = explain.explain(str(path), IMAGE, "occlusion")
    np.testing.assert_array_equal(value.explanation.heat, expected.heat)
    assert value.layers == explain.ExplainModel(str(path)).spatial_layers() and value.classes == 5
    runner.submit("erf", tasks.measure_field, tasks.Explainer(catalog.resolve(path)), "conv2", (1, 3, 4), IMAGE,
                  4096, on_done=lambda v: measured.setdefault("done", v),
                  on_error=lambda m: measured.setdefault("error", m))
    qtbot.waitUntil(lambda: bool(measured), timeout=60_000)
    np.testing.assert_array_equal(measured["done"].magnitude,
                                  erf.effective_receptive_field(str(path), "conv2", (1, 3, 4), IMAGE).magnitude)
    assert not sandbox_children()
