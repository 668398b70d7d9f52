"""The Explain panel's and the effective field's tasks on a user's file run in a sandboxed child kept between
requests (core/explain/child.py): a hostile model ends in one status line with the child gone and no thread left
(conftest checks the threads), a cancel stops the request (a child that does not stop in time is killed), progress
still arrives, the answer equals the in-process core's, and the second request finds its model ready."""
from __future__ import annotations

import multiprocessing

import numpy as np
import pytest
from small_models import slow_rgb, tiny_rgb

import hostile_files as hostile
from explorer.core import catalog, erf, explain, sandbox, sandboxed_session
from explorer.core.explain.child import PREPARING
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


def submit(runner, kind: str, path, outcome: dict, explainer: tasks.Explainer | None = None) -> tasks.Explainer:
    """The explain or erf task as the panels submit it, on an Explainer for the file's catalog entry."""
    explainer = explainer or tasks.Explainer(catalog.resolve(path))
    callbacks = dict(on_done=lambda value: outcome.setdefault("done", value),
                     on_error=lambda message: outcome.setdefault("error", message),
                     on_progress=lambda fraction, text: outcome.setdefault("progress", []).append(text))
    if kind == "explain":
        runner.submit(kind, tasks.explain_image, explainer, ("request",), IMAGE, "occlusion", "", None, {},
                      **callbacks)
    else:
        runner.submit(kind, tasks.measure_field, explainer, "score", (0, 0, 0), IMAGE, 4096, **callbacks)
    return explainer


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


@pytest.mark.parametrize("grace_s", [0.0, sandboxed_session.CANCEL_GRACE_S])
def test_cancelling_an_endless_loop_ends_the_request_at_once(qtbot, runner, tmp_path, monkeypatch, grace_s):
    """Cancelled, the child is asked to stop; one that does not within the grace (0 s here: every child) is killed.
    With the app's grace the child may stop in time (a cancel while it prepares, or onnxruntime's terminate inside
    the loop) and stay: either way the request ends and reports nothing."""
    monkeypatch.setattr(sandbox, "default_memory_bytes", lambda: sandbox.GB)  # the loop's output grows meanwhile
    monkeypatch.setattr(sandboxed_session, "CANCEL_GRACE_S", grace_s)
    path = hostile.save(hostile.scored(hostile.endless_loop(hidden=True)), tmp_path / "loop.onnx")
    outcome: dict = {}
    explainer = submit(runner, "explain", path, outcome)
    qtbot.waitUntil(lambda: bool(sandbox_children()), timeout=30_000)
    runner.cancel("explain")
    # A hang guard, not a speed test: bench/hostile_inputs.py measures how fast the child goes.
    qtbot.waitUntil(lambda: not runner.running_tasks(), timeout=10_000)
    assert "done" not in outcome and "error" not in outcome  # a cancelled task reports nothing
    if grace_s == 0:
        assert not sandbox_children()
    explainer.close()
    assert not sandbox_children()


def test_a_users_file_is_explained_and_measured_as_the_core_does_in_process(qtbot, runner, tmp_path):
    path = tiny_rgb(tmp_path / "tiny.onnx")
    explained, measured = {}, {}
    explainer = submit(runner, "explain", path, explained)
    qtbot.waitUntil(lambda: "done" in explained or "error" in explained, timeout=60_000)
    value = explained["done"]
    expected = explain.explain(str(path), IMAGE, "occlusion")
    np.testing.assert_array_equal(value.explanation.heat, expected.heat)
    assert value.layers == explain.ExplainModel(str(path)).spatial_layers() and value.classes == 5
    assert PREPARING in explained["progress"]
    [child] = sandbox_children()
    runner.submit("erf", tasks.measure_field, explainer, "conv2", (1, 3, 4), IMAGE, 4096,
                  on_done=lambda v: measured.setdefault("done", v),
                  on_error=lambda m: measured.setdefault("error", m),
                  on_progress=lambda fraction, text: measured.setdefault("progress", []).append(text))
    qtbot.waitUntil(lambda: "done" in measured or "error" in measured, timeout=60_000)
    np.testing.assert_array_equal(measured["done"].magnitude,
                                  erf.effective_receptive_field(str(path), "conv2", (1, 3, 4), IMAGE).magnitude)
    # Each request spawned a child that loaded the model again (~2.7 s): the second found it ready.
    assert [p.pid for p in sandbox_children()] == [child.pid]
    assert PREPARING not in measured.get("progress", ())
    explainer.close()                       # the model left the Model Explorer: its child goes at once
    assert not sandbox_children()


def test_a_cancelled_request_stops_in_its_child_which_stays_for_the_next(qtbot, runner, tmp_path):
    """A measured field of a slow (but sound) file: its cancel stops the forward passes between two of them, the
    child answers in time and stays, and the next request runs in it."""
    path = slow_rgb(tmp_path / "slow.onnx", side=160)
    explainer = tasks.Explainer(catalog.resolve(path))
    cancelled: dict = {}
    runner.submit("erf", tasks.measure_field, explainer, "conv8", (0, 80, 80), IMAGE, 4096,
                  on_done=lambda v: cancelled.setdefault("done", v),
                  on_error=lambda m: cancelled.setdefault("error", m),
                  on_progress=lambda fraction, text: cancelled.setdefault("progress", []).append(text))
    qtbot.waitUntil(lambda: len(cancelled.get("progress", ())) >= 2, timeout=60_000)   # past preparing: passes run
    [child] = sandbox_children()
    runner.cancel("erf")
    qtbot.waitUntil(lambda: not runner.running_tasks(), timeout=10_000)
    assert "done" not in cancelled and "error" not in cancelled
    assert [p.pid for p in sandbox_children()] == [child.pid] and child.is_alive()
    answered: dict = {}
    runner.submit("erf", tasks.measure_field, explainer, "conv1", (0, 80, 80), IMAGE, 2,
                  on_done=lambda v: answered.setdefault("done", v),
                  on_error=lambda m: answered.setdefault("error", m))
    qtbot.waitUntil(lambda: bool(answered), timeout=60_000)
    assert "done" in answered, answered
    assert [p.pid for p in sandbox_children()] == [child.pid]
    explainer.close()
    assert not sandbox_children()
