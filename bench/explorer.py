"""Model Explorer speed: layer switching, LeNet-5 end to end, VGG-16 worker round trip vs bare onnxruntime.

Run: QT_QPA_PLATFORM=offscreen .venv/bin/python bench/explorer.py   (prints a table; results in bench/README.md)
Built-ins are materialised into CNN_EXPLORER_CACHE_DIR (or the user cache) on first use; that time is not measured.
"""
from __future__ import annotations

import os
import platform
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# This script is bench/explorer.py: with bench/ first on sys.path, "import explorer" would import this file.
sys.path[0] = str(Path(__file__).resolve().parents[1])

import numpy as np
import onnxruntime as ort
import PySide6
from PySide6.QtCore import QEventLoop, QSettings, QTemporaryDir
from PySide6.QtWidgets import QApplication

from bench.machine import cpu_model
from explorer.core import samples, zoo
from explorer.core.images import from_array
from explorer.core.memory import keep_freed_buffers_for_reuse

REPEATS = 15


def spin(app: QApplication, done, timeout: float = 300.0) -> None:
    """Run the event loop until done(); blocks between events like a real session (a busy loop would steal
    one of the two cores from onnxruntime)."""
    deadline = time.perf_counter() + timeout
    while not done():
        app.processEvents(QEventLoop.ProcessEventsFlag.WaitForMoreEvents)
        if time.perf_counter() > deadline:
            raise TimeoutError("the view did not finish in time")


def show(app, view, model: str, image) -> None:
    view.state.image.set(image)
    view.select_model(model)
    spin(app, view.has_results)


def layer_switch_ms(app, view, index: int) -> float:
    """Select a layer and paint the activation panel (mosaic, channel, receptive field) synchronously: grab()
    renders every child, the pyqtgraph views included. The statistics label follows in the next event-loop turn."""
    times = []
    for _ in range(REPEATS):
        view.select_row(0)
        app.processEvents()
        started = time.perf_counter()
        view.select_row(index)
        view.activations.grab()
        times.append((time.perf_counter() - started) * 1000)
        app.processEvents()
    return statistics.median(times)


def new_image_ms(app, view, images) -> list[float]:
    """New image in the state -> activations painted, through the task runner. The layer statistics label is
    filled in by the next event-loop turn (after the paint) and is not included."""
    times = []
    for image in images:
        started = time.perf_counter()
        view.state.image.set(image)
        spin(app, view.has_results)
        view.activations.grab()
        times.append((time.perf_counter() - started) * 1000)
        app.processEvents()
    return times


def main() -> None:
    from explorer.state import AppState
    from explorer.ui.model_explorer.view import ModelExplorerView
    from explorer.workers.runner import TaskRunner

    keep_freed_buffers_for_reuse()  # as the app does at start-up
    app = QApplication.instance() or QApplication([])
    folder = QTemporaryDir()
    runner = TaskRunner()
    view = ModelExplorerView(AppState(), runner,
                             settings=QSettings(folder.filePath("bench.ini"), QSettings.Format.IniFormat))
    view.resize(1600, 950)
    view.show()
    photo = samples.load_sample(samples.default_sample().name)
    rows: list[tuple[str, str]] = []
    try:
        show(app, view, "googlenet", photo)
        for shape in ((512, 14, 14), (64, 112, 112)):
            index = next(i for i, r in enumerate(view.rows) if tuple(r.shape[1:]) == shape)
            rows.append((f"switch to a {'×'.join(map(str, shape))} layer ({view.rows[index].name}), paint",
                         f"{layer_switch_ms(app, view, index):.1f} ms (target 30)"))

        show(app, view, "lenet5", photo)
        rng = np.random.default_rng(0)
        images = [from_array(rng.integers(0, 256, (96, 96, 3), dtype=np.uint8), f"noise {i}") for i in range(REPEATS)]
        times = new_image_ms(app, view, images)
        rows.append(("LeNet-5: new image -> activations painted",
                     f"{statistics.median(times):.1f} ms median, {max(times):.1f} max (target 50)"))

        show(app, view, "vgg16", photo)
        path = zoo.materialize("vgg16")
        plain = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
        feed_name = plain.get_inputs()[0].name
        tensor = view.state.explorer.result.prepared.tensor
        plain.run(None, {feed_name: tensor})  # warm-up
        for layer in ("conv1_1", "conv5_3"):
            view.select_row(next(i for i, r in enumerate(view.rows) if r.name == layer))
            # Interleaved so that load from other processes on this shared machine hits both sides alike.
            bare, worker, worker_run = [], [], []
            for i in range(5):
                # onnxruntime's pool threads spin for a while after a run: let them settle before the next
                # timed run, or the two sessions in this process steal each other's cores (see ## Inference).
                time.sleep(0.1)
                started = time.perf_counter()
                plain.run(None, {feed_name: tensor})
                bare.append((time.perf_counter() - started) * 1000)
                image = from_array(rng.integers(0, 256, (256, 256, 3), dtype=np.uint8), f"v{i}")
                time.sleep(0.1)
                worker += new_image_ms(app, view, [image])
                worker_run.append(view.state.explorer.result.run_ms)
            bare_ms, worker_ms, run_ms = (statistics.median(v) for v in (bare, worker, worker_run))
            shape = "×".join(map(str, view.rows[view.current_row].shape[1:]))
            rows.append((f"VGG-16 [{layer} {shape} shown]: bare session.run (output only)", f"{bare_ms:.0f} ms"))
            rows.append((f"VGG-16 [{layer}]: the all-activations run", f"{run_ms:.0f} ms"))
            rows.append((f"VGG-16 [{layer}]: new image -> painted, via the task runner",
                         (f"{worker_ms:.0f} ms = {worker_ms / bare_ms:.2f}× bare, "
                          f"{worker_ms / run_ms:.2f}× all-activations run (target ≤ 1.20× bare)")))
    finally:
        view.shutdown()
        runner.shutdown(1.0)
        view.deleteLater()
        app.processEvents()

    print(f"Model Explorer benchmark — {cpu_model()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"PySide6 {PySide6.__version__}, onnxruntime {ort.__version__} ({', '.join(ort.get_available_providers())}), "
          f"{time.strftime('%Y-%m-%d')}")
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        print(f"{name:<{width}}  {value}")


if __name__ == "__main__":
    main()
