"""Live video speed: the Playground's frame rate in the real window, and output-only model runs per frame.

Run: `.venv/bin/python bench/live.py [--seconds 4] [--models lenet5,alexnet,vgg16,resnet34]`; results are
recorded in bench/README.md ("Live video").

1. Playground: a generated 640×480 clip (MJPG .avi, 60 frames per second: faster than the 30 asked for) plays in the
   offscreen main window through the whole live pipeline (reader task → image state → Playground task → paint).
   Counted: frames the reader handed over, frames dropped, and Playground maps painted per second, for f = 3, 5, 7;
   and CPU time per painted map, of the GUI thread alone and of all threads (reader decoding included). On a shared
   machine the rates depend on the load; the CPU times say what the pipeline costs, whatever the load. The longest
   single pass of the event loop is the worst stall a user would feel.
2. Models: frames decoded from a generated clip, each prepared with the model's recipe and run by
   - live: explorer.core.live_inference.LiveSession fetching a middle layer's tensor and the final output,
   - bare: a plain onnxruntime session (default options) fetching only the final output,
   - all:  ActivationSession (every activation, what the explorer computes when paused), for scale.
   Runs alternate frame by frame (live, bare, all, live, ...) so load from other processes hits every column;
   frames per second = 1 / median seconds per frame (prepare + run). Built-ins are built into the cache first.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
from bench.machine import describe  # noqa: E402
from explorer.core import video  # noqa: E402

CLIP_FPS = 60
SIZE = (640, 480)


def playground_rates(clip: Path, seconds: float) -> list[tuple]:
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    import explorer.ui  # noqa: F401
    from explorer.core.memory import keep_freed_buffers_for_reuse
    from explorer.ui.main_window import MainWindow

    keep_freed_buffers_for_reuse()
    app = QApplication.instance() or QApplication([])
    window = MainWindow(settings=QSettings(str(clip.with_suffix(".ini")), QSettings.Format.IniFormat))
    window.resize(1600, 1000)
    window.show()
    painted = [0]
    window.state.playground.events.outcome.connect(lambda *_: painted.__setitem__(0, painted[0] + 1))
    rows = []
    try:
        for mode in ("gray", "volume"):
            for f in (3, 5, 7):
                window.state.playground.mode = mode
                window.state.playground.set_size(f)
                window.live.open_video(clip)
                _spin(app, 0.5)  # warm up: first frames, allocations
                live = window.state.live
                shown0, dropped0, painted0 = live.shown, live.dropped, painted[0]
                gui0, all0 = time.thread_time(), time.process_time()
                stall = _spin(app, seconds)
                maps = max(painted[0] - painted0, 1)
                rows.append((mode, f, (live.shown - shown0) / seconds, (live.dropped - dropped0) / seconds,
                             maps / seconds, (time.thread_time() - gui0) * 1000 / maps,
                             (time.process_time() - all0) * 1000 / maps, stall))
                window.live.still_image()
    finally:
        window.close()
    return rows


def _spin(app, seconds: float) -> float:
    """Run the event loop for ``seconds``; the longest single pass in ms (the window's worst stall)."""
    end = time.monotonic() + seconds
    longest = 0.0
    while time.monotonic() < end:
        started = time.monotonic()
        app.processEvents()
        longest = max(longest, time.monotonic() - started)
        time.sleep(0.001)
    return longest * 1000


def middle_layer(path: Path) -> str:
    """A layer the explorer would typically show: the middle activation (ReLU) of the network."""
    from explorer.core.inspect import inspect_model

    layers = inspect_model(str(path)).layers
    relus = [layer for layer in layers if layer.op == "Relu"] or layers
    return relus[len(relus) // 2].output


def model_rates(name: str, frames: list[np.ndarray], runs: int) -> tuple:
    import onnxruntime as ort

    from explorer.core import preprocess, zoo
    from explorer.core.live_inference import LiveSession
    from explorer.core.runtime import ActivationSession

    path = zoo.materialize(name)
    layer = middle_layer(path)
    live = LiveSession(path, [layer])
    recipe = live.preprocess or preprocess.default_for_input(live.input_shape)[0]
    options = ort.SessionOptions()
    options.log_severity_level = 3
    bare = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    full = ActivationSession(path)

    def per_frame(run) -> float:
        started = time.perf_counter()
        run(preprocess.prepare(frames[per_frame.i % len(frames)], recipe).tensor)
        per_frame.i += 1
        return time.perf_counter() - started

    per_frame.i = 0
    columns = {"live": lambda x: live.run(x),
               "bare": lambda x: bare.run([live.output_name], {live.input_name: x}),
               "all": lambda x: full.run(x)}
    for run in columns.values():
        per_frame(run)  # first runs allocate
    times: dict[str, list[float]] = {k: [] for k in columns}
    for i in range(runs):
        for key, run in columns.items():
            if key != "all" or i < max(3, runs // 4):  # all activations is slow and only for scale
                times[key].append(per_frame(run))
    fps = {k: 1 / statistics.median(v) for k, v in times.items()}
    return name, layer, fps["live"], fps["bare"], fps["all"], fps["live"] / fps["bare"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=4.0)
    parser.add_argument("--models", default="lenet5,alexnet,vgg16,resnet34")
    parser.add_argument("--runs", type=int, default=40, help="frames per model and column")
    parser.add_argument("--skip-playground", action="store_true")
    args = parser.parse_args()

    import cv2
    import onnxruntime

    from explorer.core import zoo

    names = [name for name in args.models.split(",") if name]  # --models "" times the Playground only
    for name in names:
        zoo.materialize(name)  # first use builds the model: not part of any timing
    print(describe(f"opencv {cv2.__version__}", f"onnxruntime {onnxruntime.__version__}"))
    with tempfile.TemporaryDirectory() as folder:
        clip = video.write_video(Path(folder) / "live.avi", video.moving_bars(240, SIZE), fps=CLIP_FPS)
        if not args.skip_playground:
            print(f"\nPlayground, {SIZE[0]}×{SIZE[1]} clip at {CLIP_FPS} frames/s, {args.seconds:.0f} s per row\n")
            print("| mode | f | frames handed over /s | dropped /s | maps painted /s | GUI-thread CPU ms/map "
                  "| all threads CPU ms/map | longest event-loop pass ms |")
            print("|---|---|---|---|---|---|---|---|")
            for mode, f, shown, dropped, painted, gui_ms, all_ms, stall in playground_rates(clip, args.seconds):
                print(f"| {mode} | {f} | {shown:.1f} | {dropped:.1f} | {painted:.1f} | {gui_ms:.1f} | {all_ms:.1f} "
                      f"| {stall:.0f} |")
        source = video.VideoFileSource(clip)
        frames = [source.read() for _ in range(30)]
        source.close()
    if not names:
        return
    print(f"\nModels, frames per second (prepare + run), median of {args.runs} frames\n")
    print("| model | shown layer | live (layer + output) | bare (output only) | all activations | live/bare |")
    print("|---|---|---|---|---|---|")
    for name in names:
        model, layer, live, bare, full, ratio = model_rates(name, frames, args.runs)
        print(f"| {model} | {layer} | {live:.1f} | {bare:.1f} | {full:.1f} | {ratio:.2f} |")


if __name__ == "__main__":
    main()
