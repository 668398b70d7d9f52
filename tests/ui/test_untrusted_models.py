"""A model whose work never ends cannot stall or crash the app: a user's file is inspected in a child process
that cancelling kills, the next request is served at once, and closing takes under a second. Its activation runs
happen in a child of its own too (core/sandboxed_session.py): a hidden allocation or loop ends in one status line,
a normal file gives exactly the in-process activations, and no child outlives its model or the app."""
from __future__ import annotations

import gc
import json
import multiprocessing
import os
import subprocess
import sys
import textwrap
import time

import hostile_files as hostile
import numpy as np
from PySide6.QtCore import QSettings
from small_models import tiny_rgb

from explorer.core import samples, sandbox
from explorer.core.runtime import ActivationSession
from explorer.core.sandboxed_session import SandboxedSession
from explorer.ui.main_window import MainWindow
from explorer.workers import tasks


def _window(qtbot, tmp_path) -> MainWindow:
    window = MainWindow(settings=QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(window)
    window.set_image(samples.load_sample(samples.default_sample().name))
    return window


def test_an_endless_model_is_abandoned_and_lenet5_is_served(qtbot, tmp_path):
    loop = hostile.save(hostile.endless_loop(hidden=True), tmp_path / "loop.onnx")
    window = _window(qtbot, tmp_path)
    explorer = window.explorer
    qtbot.waitUntil(explorer.has_results, timeout=60_000)  # LeNet-5, the default
    explorer.open_model_file(str(loop))
    qtbot.waitUntil(lambda: window.runner.is_busy("model-load"), timeout=5_000)
    qtbot.wait(500)  # the child is inspecting: the Loop has 10^15 iterations to go
    explorer.select_model("lenet5")
    qtbot.waitUntil(explorer.has_results, timeout=30_000)
    assert explorer.state.explorer.shown_model().key == "lenet5"
    qtbot.waitUntil(lambda: not window.runner.running_tasks(), timeout=5_000)  # the child was killed, not left
    window.close()


def test_closing_while_an_endless_model_loads_takes_under_a_second(qtbot, tmp_path):
    loop = hostile.save(hostile.endless_loop(hidden=True), tmp_path / "loop.onnx")
    window = _window(qtbot, tmp_path)
    window.explorer.open_model_file(str(loop))
    qtbot.waitUntil(lambda: window.runner.is_busy("model-load"), timeout=5_000)
    qtbot.wait(500)
    started = time.perf_counter()
    window.close()
    assert time.perf_counter() - started < 1.0
    assert not window.runner.running_tasks()


def test_the_process_exits_cleanly_after_closing_on_an_endless_model(tmp_path):
    """The old worker made Qt abort with "QThread: Destroyed while thread 'inference' is still running"."""
    loop = hostile.save(hostile.endless_loop(hidden=True), tmp_path / "loop.onnx")
    done = run_window_with_model(tmp_path, loop, """
        end = time.monotonic() + 2
        while time.monotonic() < end:
            app.processEvents()
        window.close()
        del window
    """)
    assert done.returncode == 0, done.stderr
    assert "QThread" not in done.stderr and "Traceback" not in done.stderr


def run_window_with_model(tmp_path, model, body: str) -> subprocess.CompletedProcess:
    """A separate app process: the main window on the default sample opens ``model``, then runs ``body`` (which
    may use app, window, time, json and multiprocessing)."""
    script = textwrap.dedent(f"""
        import json, multiprocessing, time
        from PySide6.QtCore import QSettings
        from PySide6.QtWidgets import QApplication
        app = QApplication([])
        import explorer.ui
        from explorer.core import samples
        from explorer.ui.main_window import MainWindow
        window = MainWindow(settings=QSettings({str(tmp_path / "s.ini")!r}, QSettings.Format.IniFormat))
        window.set_image(samples.load_sample(samples.default_sample().name))
        window.explorer.open_model_file({str(model)!r})
    """) + textwrap.dedent(body)
    return subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})


def model_children() -> list:
    return [p for p in multiprocessing.active_children() if p.name == "cnn-explorer-model"]


def _alive(pid: int) -> bool:
    """Still a process (a zombie counts: nobody reaped it)."""
    return os.path.exists(f"/proc/{pid}")


def test_a_users_file_runs_in_its_own_child_with_the_in_process_activations(qtbot, explorer_view, tmp_path):
    view, ex = explorer_view, explorer_view.state.explorer
    path = tiny_rgb(tmp_path / "tiny.onnx")
    view.state.image.set(samples.load_sample(samples.default_sample().name))
    view.open_model_file(str(path))
    qtbot.waitUntil(lambda: view.has_results() and ex.shown_model().key == str(path), timeout=60_000)
    session = ex.shown_model().session
    assert isinstance(session, SandboxedSession) and session.alive and model_children()
    got = ex.result.activations
    want = ActivationSession(path).run(ex.result.prepared.tensor)
    assert list(got.tensors) == list(want.tensors)
    for name, values in want.tensors.items():
        np.testing.assert_array_equal(got.tensors[name], values)
    np.testing.assert_array_equal(got.output, want.output)
    pid = session.pid
    # Another model replaces it: the child goes with the model (once nothing holds the old one).
    view.select_model("lenet5")
    qtbot.waitUntil(lambda: view.has_results() and ex.shown_model().key == "lenet5", timeout=60_000)
    del session
    gc.collect()
    assert not _alive(pid) and not model_children()


def test_a_hidden_allocation_is_one_status_line_then_lenet5_loads_and_runs(qtbot, explorer_view, tmp_path,
                                                                          monkeypatch):
    """The Abs hides the 6 GB from every static check and from the sandboxed inspection: the run's child fails."""
    monkeypatch.setattr(sandbox, "default_memory_bytes", lambda: 2 * sandbox.GB)  # a cap a test machine affords
    view, ex, status = explorer_view, explorer_view.state.explorer, explorer_view.state.status
    path = hostile.save(hostile.hidden_allocation(), tmp_path / "alloc.onnx")
    view.state.image.set(samples.load_sample(samples.default_sample().name))
    view.open_model_file(str(path))
    qtbot.waitUntil(lambda: bool(ex.error), timeout=60_000)
    assert ex.error == ("'alloc.onnx' needed more than 2 GB of memory and was stopped: use a smaller model or "
                        "input.")
    assert (status.text, status.error) == (ex.error, True)
    assert not model_children()  # the child that failed is gone
    view.select_model("lenet5")
    qtbot.waitUntil(lambda: view.has_results() and ex.shown_model().key == "lenet5", timeout=60_000)
    assert isinstance(ex.shown_model().session, ActivationSession)  # our own model stays in-process


def test_a_hidden_loop_is_one_status_line_then_lenet5_loads_and_runs(qtbot, explorer_view, tmp_path, monkeypatch):
    monkeypatch.setattr(sandbox, "default_memory_bytes", lambda: 4 * sandbox.GB)
    monkeypatch.setattr(tasks, "SANDBOX_TIMEOUT_S", 10.0)  # the app's 60 s, shortened; the child starts within it
    view, ex, status = explorer_view, explorer_view.state.explorer, explorer_view.state.status
    path = hostile.save(hostile.endless_loop(hidden=True), tmp_path / "loop.onnx")
    view.state.image.set(samples.load_sample(samples.default_sample().name))
    view.open_model_file(str(path))
    qtbot.waitUntil(lambda: bool(ex.error), timeout=60_000)
    # The inspection runs it once for its shapes: that child is stopped by the time limit, or by the cap when the
    # Loop's growing output reaches it first.
    assert ex.error.startswith("'loop.onnx' ") and "\n" not in ex.error, ex.error
    assert "did not finish within 10 s" in ex.error or "4 GB of memory" in ex.error, ex.error
    assert status.text == ex.error
    view.select_model("lenet5")
    qtbot.waitUntil(lambda: view.has_results() and ex.shown_model().key == "lenet5", timeout=60_000)
    assert not model_children()


def test_no_model_child_outlives_the_app(tmp_path):
    path = tiny_rgb(tmp_path / "tiny.onnx")
    done = run_window_with_model(tmp_path, path, f"""
        end = time.monotonic() + 60
        while time.monotonic() < end and not (window.explorer.has_results()
                                              and window.state.explorer.model == {str(path)!r}):
            app.processEvents()
            time.sleep(0.01)
        print(json.dumps([p.pid for p in multiprocessing.active_children() if p.name == "cnn-explorer-model"]))
        window.close()
        del window
    """)
    assert done.returncode == 0, done.stderr
    pids = json.loads(done.stdout.strip().splitlines()[-1])
    assert len(pids) == 1, done.stdout  # the user's model ran in its child
    assert not _alive(pids[0])
