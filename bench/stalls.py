"""Main-loop stalls: a 5 ms heartbeat QTimer records the longest gap between its ticks while a scenario runs.

Run: QT_QPA_PLATFORM=offscreen .venv/bin/python bench/stalls.py   (prints a table; results in bench/README.md)
A gap is time the window could not repaint or answer the mouse. The goal (issue 14): no gap over 100 ms, and a
burst of parameter changes settled, with the right map on screen, within 0.5 s of the last change.

On a loaded machine a gap also holds time the GUI thread waited for the CPU or for the GIL (a task thread
building weights). The "GUI CPU" column separates that: the most CPU time the GUI thread itself used between two
ticks (time.thread_time), i.e. the longest pass of work done on the GUI thread.
"""
from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path[0] = str(Path(__file__).resolve().parents[1])  # bench/ first on sys.path would shadow the package

import numpy as np
from PySide6.QtCore import QEventLoop, QTimer
from PySide6.QtWidgets import QApplication

from bench.machine import describe
from explorer.core import conv
from explorer.core.images import from_array
from explorer.core.memory import keep_freed_buffers_for_reuse
from explorer.state import AppState
from explorer.state.playground import compute
from explorer.workers.runner import TaskRunner

HEARTBEAT_MS = 5


class Heartbeat:
    def __init__(self) -> None:
        self.timer = QTimer()
        self.timer.setInterval(HEARTBEAT_MS)
        self.timer.timeout.connect(self._tick)
        self.last = time.perf_counter()
        self.worst = 0.0
        self.last_cpu = time.thread_time()
        self.worst_cpu = 0.0  # the GUI thread's own CPU time between two ticks

    def _tick(self) -> None:
        now, cpu = time.perf_counter(), time.thread_time()
        self.worst = max(self.worst, now - self.last)
        self.worst_cpu = max(self.worst_cpu, cpu - self.last_cpu)
        self.last, self.last_cpu = now, cpu

    def __enter__(self) -> "Heartbeat":
        self.last, self.worst = time.perf_counter(), 0.0
        self.last_cpu, self.worst_cpu = time.thread_time(), 0.0
        self.timer.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.timer.stop()


def spin_until(app: QApplication, done: Callable[[], bool], timeout: float = 60.0) -> None:
    deadline = time.perf_counter() + timeout
    while not done():
        app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 5)
        if time.perf_counter() > deadline:
            raise TimeoutError("scenario did not settle")


def settled(view) -> bool:
    """The map on screen is the one the current settings give (compared with a fresh computation)."""
    outcome = view.state.outcome
    return (not view.runner.is_busy("playground") and not view._compute.pending and outcome is not None
            and outcome.settings == view.state.settings())


def burst(app, view, changes: int, seconds: float) -> tuple[float, float, int, float]:
    """``changes`` parameter changes spread over ``seconds``, as a dragged slider sends them."""
    before = view.recompute_count
    with Heartbeat() as beat:
        start = time.perf_counter()
        for i in range(changes):
            view.state.set_size(1 + 2 * (i % 4))
            view.state.stride = 1 + i % 3
            while time.perf_counter() < start + seconds * (i + 1) / changes:
                app.processEvents()
        last_change = time.perf_counter()
        spin_until(app, lambda: settled(view))
        settle = time.perf_counter() - last_change
    expected = compute(view.app.image.image, view.state.settings()).result.output
    assert np.array_equal(view.output_map(), expected)
    return beat.worst, settle, view.recompute_count - before, beat.worst_cpu


def mode_change(app, view) -> tuple[float, float, float]:
    with Heartbeat() as beat:
        start = time.perf_counter()
        view.state.mode = "volume" if view.state.mode != "volume" else "gray"
        spin_until(app, lambda: settled(view))
    return beat.worst, time.perf_counter() - start, beat.worst_cpu


def model_switch(app, explorer_view, model: str) -> tuple[float, float, float]:
    """Choose another model and wait until its activations are painted: builds, table, strip and mosaic."""
    with Heartbeat() as beat:
        start = time.perf_counter()
        explorer_view.select_model(model)
        spin_until(app, explorer_view.has_results, timeout=300)
    return beat.worst, time.perf_counter() - start, beat.worst_cpu


def main() -> None:
    keep_freed_buffers_for_reuse()
    app = QApplication.instance() or QApplication([])
    import explorer.ui  # noqa: F401
    from explorer.ui.playground.view import PlaygroundView

    runner = TaskRunner()
    state = AppState()
    view = PlaygroundView(state, runner)
    view.resize(1600, 1000)
    view.show()
    rng = np.random.default_rng(0)
    state.image.set(from_array(rng.integers(0, 256, (1536, 2048, 3), dtype=np.uint8), "random 2048×1536"))
    spin_until(app, lambda: settled(view))
    print(describe(f"numpy {np.__version__}"))
    print(f"image 2048×1536 RGB, heartbeat {HEARTBEAT_MS} ms; output {conv.output_shape(1536, 2048, state.playground.conv_params())}")
    print("| scenario | worst stall ms | GUI CPU ms | settled after ms | computations |")
    print("|---|---|---|---|---|")
    for mode in ("volume", "gray", "volume"):
        worst, took, cpu = mode_change(app, view)
        print(f"| channel mode → {state.playground.mode} | {worst * 1000:.0f} | {cpu * 1000:.0f} | {took * 1000:.0f} "
              "| 1 |")
    worst, settle, computed, cpu = burst(app, view, 2000, 2.0)
    print(f"| 2,000 changes in 2 s | {worst * 1000:.0f} | {cpu * 1000:.0f} | {settle * 1000:.0f} after the last | "
          f"{computed} |")
    from explorer.ui.model_explorer.view import ModelExplorerView

    explorer_view = ModelExplorerView(state, runner)
    explorer_view.resize(1600, 1000)
    explorer_view.show()
    spin_until(app, explorer_view.has_results, timeout=300)
    for model in ("googlenet", "lenet5", "densenet121", "lenet5"):
        worst, took, cpu = model_switch(app, explorer_view, model)
        print(f"| Model Explorer → {model} (built from its seed, table, strip, mosaic) | {worst * 1000:.0f} | "
              f"{cpu * 1000:.0f} | {took * 1000:.0f} | 1 load + 1 run |")
    explorer_view.shutdown()
    view.shutdown()
    runner.shutdown(2.0)


if __name__ == "__main__":
    main()
