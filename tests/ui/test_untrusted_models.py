"""A model whose work never ends cannot stall or crash the app: a user's file is inspected in a child process
that cancelling kills, the next request is served at once, and closing takes under a second."""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time

from PySide6.QtCore import QSettings

import hostile_files as hostile
from explorer.core import samples
from explorer.ui.main_window import MainWindow


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
    script = textwrap.dedent(f"""
        import time
        from PySide6.QtCore import QSettings
        from PySide6.QtWidgets import QApplication
        app = QApplication([])
        import explorer.ui
        from explorer.core import samples
        from explorer.ui.main_window import MainWindow
        window = MainWindow(settings=QSettings({str(tmp_path / "s.ini")!r}, QSettings.Format.IniFormat))
        window.set_image(samples.load_sample(samples.default_sample().name))
        window.explorer.open_model_file({str(loop)!r})
        end = time.monotonic() + 2
        while time.monotonic() < end:
            app.processEvents()
        window.close()
        del window
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})
    assert done.returncode == 0, done.stderr
    assert "QThread" not in done.stderr and "Traceback" not in done.stderr
