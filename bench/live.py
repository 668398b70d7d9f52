"""Live video speed: the Playground's frame rate in the real window, and output-only model runs per frame.

Run: `.venv/bin/python bench/live.py [--seconds 4] [--models lenet5,alexnet,vgg16,resnet34] [--skip-playground]
[--skip-window] [--blocks 3] [--clip-fps 60]`; results are recorded in bench/README.md ("Live video").

1. Playground: a generated 640×480 clip (MJPG .avi, 60 frames per second: faster than the 30 asked for) plays in the
   offscreen main window through the whole live pipeline (reader task → image state → Playground task → paint).
   Counted: frames the reader handed over, frames dropped, and Playground maps painted per second, for f = 3, 5, 7;
   and CPU time per painted map, of the GUI thread alone and of all threads (reader decoding included). On a shared
   machine the rates depend on the load; the CPU times say what the pipeline costs, whatever the load. The latest
   a 5 ms timer fired is the worst stall a user would feel.
2. Models: frames decoded from a generated clip, each prepared with the model's recipe and run by
   - live: explorer.core.live_inference.LiveSession fetching a middle layer's tensor and the final output,
   - bare: a plain onnxruntime session (default options) fetching only the final output,
   - all:  ActivationSession (every activation, what the explorer computes when paused), for scale.
   Runs alternate frame by frame (live, bare, all, live, ...) so load from other processes hits every column;
   frames per second = 1 / median seconds per frame (prepare + run). Built-ins are built into the cache first.
3. Model Explorer in the window: the same clip plays into the offscreen main window with the Model Explorer shown
   on the model and the same middle layer, through the whole pipeline (reader task → image state → live run of the
   shown layer and the output → activations and prediction painted; the hidden Playground computes nothing until
   it is shown). Counted: live predictions painted per second, from the first to the last painted in a block. Beside it,
   in the same run, a bare onnxruntime session (default options) fetching only the output on the clip's frames
   (prepare + run, back to back). Blocks alternate bare, window, bare, window, ... (--blocks of each); a block lasts
   --seconds or eight bare frames, whichever is longer; the rates are totals over the blocks of each. A bare
   session fed by the clip could not go faster than the clip's own rate either, hence the column against
   min(bare, clip rate). "Bunched": the share of predictions painted less than a quarter of the mean interval after
   the one before, so on screen for a moment only (the pace a user sees, which the rate alone does not tell).
   Where the window's CPU goes, per prediction painted (Linux: each thread's time from /proc): the task threads
   (the live runs with their preparing and mosaics), the frame reader (decoding), the GUI thread, the rest (native
   threads: OpenCV's, onnxruntime's), and the share of the cores' time nobody used ("idle").
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
from bench.machine import describe  # noqa: E402
from explorer.core import video  # noqa: E402

CLIP_FPS = 60
HEARTBEAT_MS = 5
SIZE = (640, 480)


def playground_rates(clip: Path, seconds: float) -> list[tuple]:
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    import explorer.ui  # noqa: F401
    from explorer.core.memory import keep_freed_buffers_for_reuse, spare_imported_code_from_full_collections
    from explorer.ui.main_window import MainWindow

    keep_freed_buffers_for_reuse()  # as the app does at start-up
    spare_imported_code_from_full_collections()
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
                stall = _spin(app, seconds, stalls=True)
                maps = max(painted[0] - painted0, 1)
                rows.append((mode, f, (live.shown - shown0) / seconds, (live.dropped - dropped0) / seconds,
                             maps / seconds, (time.thread_time() - gui0) * 1000 / maps,
                             (time.process_time() - all0) * 1000 / maps, stall))
                window.live.still_image()
    finally:
        window.close()
    return rows


def _spin(app, seconds: float, stalls: bool = False) -> float:
    """Run the real event loop for ``seconds``, as ``app.exec()`` does (it sleeps until an event comes, where a loop
    of processEvents and sleeps answered a finished run up to a sleep late). With ``stalls``, the worst stall in ms:
    how late a timer due every HEARTBEAT_MS fired at most (a pass of the loop that takes X ms delays it by about X;
    the timer's wake-ups are left out of the other measurements)."""
    from PySide6.QtCore import QEventLoop, Qt, QTimer

    loop = QEventLoop()
    QTimer.singleShot(round(seconds * 1000), loop.quit)
    heartbeat = QTimer()
    heartbeat.setTimerType(Qt.TimerType.PreciseTimer)
    last, worst = time.monotonic(), 0.0

    def beat() -> None:
        nonlocal last, worst
        now = time.monotonic()
        worst, last = max(worst, now - last - HEARTBEAT_MS / 1000), now

    heartbeat.timeout.connect(beat)
    if stalls:
        heartbeat.start(HEARTBEAT_MS)
    loop.exec()
    heartbeat.stop()
    return worst * 1000


def middle_layer(path: Path) -> str:
    """A layer the explorer would typically show: the middle activation (ReLU) of the network."""
    from explorer.core.inspect import inspect_model

    layers = inspect_model(str(path)).layers
    relus = [layer for layer in layers if layer.op == "Relu"] or layers
    return relus[len(relus) // 2].output


def explorer_rates(clip: Path, names: list[str], frames: list[np.ndarray], seconds: float,
                   blocks: int) -> Iterator[tuple]:
    """Per model: (name, layer, window predictions/s, bare/s, frames handed over/s, GUI CPU ms/prediction, share of
    predictions painted under a quarter of the mean interval after the one before, 1-minute load average at the
    end, CPU ms per prediction by thread role (_thread_cpu) with "idle" the cores' unused share)."""
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    import explorer.ui  # noqa: F401
    from explorer.core import samples, zoo
    from explorer.core.memory import spare_imported_code_from_full_collections
    from explorer.ui.main_window import MainWindow

    spare_imported_code_from_full_collections()  # as the app does at start-up
    app = QApplication.instance() or QApplication([])
    window = MainWindow(settings=QSettings(str(clip.with_name("explorer.ini")), QSettings.Format.IniFormat))
    window.resize(1600, 1000)
    window.show()
    window.tabs.setCurrentWidget(window.explorer)
    window.set_image(samples.load_sample(samples.default_sample().name))  # the still picture between models
    ex, live = window.state.explorer, window.state.live
    painted: list[float] = []  # when each live prediction reached the screen
    ex.events.result.connect(lambda *_: painted.append(time.perf_counter()) if ex.result and ex.result.live else None)
    try:
        for name in names:
            window.live.still_image()
            window.explorer.select_model(name)
            if not _spin_until(app, window.explorer.has_results, 600):
                raise SystemExit(f"{name} gave no result on the still image: {window.message_text()}")
            path = zoo.materialize(name)
            layer = middle_layer(path)
            ex.layer = layer
            bare = _bare_session(path)
            recipe = ex.shown_model().preprocess
            bare_frames = bare_time = window_frames = window_time = gui_cpu = shown = spun = bunched = process = 0.0
            roles: dict[str, float] = {}
            block = seconds
            for _ in range(blocks):
                n, t = _bare_block(bare, frames, recipe, block)
                bare_frames, bare_time = bare_frames + n, bare_time + t
                block = max(seconds, 8 * t / n)
                painted.clear()
                window.live.open_video(clip)
                if not _spin_until(app, lambda: len(painted) >= 1, 600):  # the first frame builds the session
                    raise SystemExit(f"{name}: no live prediction painted: {window.message_text()}")
                first, shown0, gui0, cpu0 = len(painted), live.shown, time.thread_time(), _thread_cpu()
                process0 = time.process_time()  # every thread's, those that end meanwhile included
                _spin(app, block)
                process += time.process_time() - process0
                spun += block
                for role, cpu in _thread_cpu().items():
                    roles[role] = roles.get(role, 0.0) + cpu - cpu0.get(role, 0.0)
                window.live.stop()
                done = painted[first - 1:]
                if len(done) < 2:
                    raise SystemExit(f"{name}: one prediction in {block:.0f} s; give it more --seconds")
                window_frames += len(done) - 1
                window_time += done[-1] - done[0]
                intervals = np.diff(done)
                bunched += (intervals < intervals.mean() / 4).sum()  # on screen for a moment: an uneven pace
                gui_cpu += time.thread_time() - gui0
                shown += live.shown - shown0
                _spin_until(app, lambda: not any(t.kind != "frames" for t in window.runner.running_tasks()), 600)
            window.live.still_image()
            per_prediction = {role: cpu * 1000 / max(window_frames, 1) for role, cpu in roles.items()}
            if roles:
                # From the process's CPU time: a worker that ends during a block (idle for a second) takes its
                # threads' times out of /proc, and counted that way the cores looked idler than they were.
                per_prediction["idle"] = max(0.0, 1 - process / (spun * (os.cpu_count() or 1)))
            yield (name, layer, window_frames / window_time, bare_frames / bare_time, shown / spun,
                   gui_cpu * 1000 / max(window_frames, 1), bunched / max(window_frames, 1), os.getloadavg()[0],
                   per_prediction)
    finally:
        window.close()


def _thread_cpu() -> dict[str, float]:
    """CPU seconds so far of this process's threads by what they do: "gui", "reader" (decoding frames), "tasks"
    (the task runner's workers: live runs and whatever else ran), "other" (native threads). Linux only: {} else."""
    from explorer.workers.runner import THREAD_PREFIX

    if not os.path.isdir("/proc/self/task"):
        return {}
    names = {thread.native_id: thread.name for thread in threading.enumerate()}
    ticks = os.sysconf("SC_CLK_TCK")
    roles: dict[str, float] = {"tasks": 0.0, "reader": 0.0, "gui": 0.0, "other": 0.0}
    for tid in os.listdir("/proc/self/task"):
        try:
            with open(f"/proc/self/task/{tid}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            continue  # the thread ended meanwhile
        name = names.get(int(tid), "")
        role = ("gui" if name == "MainThread" else "reader" if name == f"{THREAD_PREFIX}frames"
                else "tasks" if name.startswith(THREAD_PREFIX) else "other")
        roles[role] += (int(fields[11]) + int(fields[12])) / ticks  # utime + stime
    return roles


def _spin_until(app, done, timeout_s: float) -> bool:
    """Run the event loop until ``done()`` (asked every 2 ms) or ``timeout_s``; whether it was done."""
    end = time.monotonic() + timeout_s
    while not done():
        if time.monotonic() > end:
            return False
        _spin(app, 0.002)
    return True


def _bare_session(path: Path):
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.log_severity_level = 3
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def _bare_block(bare, frames: list[np.ndarray], recipe, seconds: float) -> tuple[int, float]:
    """Frames run back to back (prepare + output-only run) for ``seconds`` and at least three: (count, seconds)."""
    from explorer.core import preprocess

    name, output = bare.get_inputs()[0].name, bare.get_outputs()[0].name
    bare.run([output], {name: preprocess.prepare(frames[0], recipe).tensor})  # first run allocates
    started = time.perf_counter()
    n = 0
    while n < 3 or time.perf_counter() - started < seconds:
        bare.run([output], {name: preprocess.prepare(frames[n % len(frames)], recipe).tensor})
        n += 1
    return n, time.perf_counter() - started


def model_rates(name: str, frames: list[np.ndarray], runs: int) -> tuple:
    from explorer.core import preprocess, zoo
    from explorer.core.live_inference import LiveSession
    from explorer.core.runtime import ActivationSession

    path = zoo.materialize(name)
    layer = middle_layer(path)
    full = ActivationSession(path)
    live = LiveSession(full, [layer])  # as the explorer makes it: beside the loaded model's session
    recipe = live.preprocess or preprocess.default_for_input(live.input_shape)[0]
    bare = _bare_session(path)

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
    parser.add_argument("--skip-window", action="store_true", help="no Model Explorer rows in the window")
    parser.add_argument("--blocks", type=int, default=3, help="window and bare blocks per model, alternating")
    parser.add_argument("--clip-fps", type=float, default=CLIP_FPS,
                        help="the generated clip's frame rate (a webcam gives 30; 60 makes the reader decode frames "
                             "no view takes)")
    args = parser.parse_args()
    fps = args.clip_fps

    import cv2
    import onnxruntime

    from explorer.core import zoo

    names = [name for name in args.models.split(",") if name]  # --models "" times the Playground only
    for name in names:
        zoo.materialize(name)  # first use builds the model: not part of any timing
    print(describe(f"opencv {cv2.__version__}", f"onnxruntime {onnxruntime.__version__}"))
    with tempfile.TemporaryDirectory() as folder:
        clip = video.write_video(Path(folder) / "live.avi", video.moving_bars(240, SIZE), fps=fps)
        if not args.skip_playground:
            print(f"\nPlayground, {SIZE[0]}×{SIZE[1]} clip at {fps:g} frames/s, {args.seconds:.0f} s per row\n")
            print("| mode | f | frames handed over /s | dropped /s | maps painted /s | GUI-thread CPU ms/map "
                  "| all threads CPU ms/map | worst stall ms (5 ms timer late by) |")
            print("|---|---|---|---|---|---|---|---|")
            for mode, f, shown, dropped, painted, gui_ms, all_ms, stall in playground_rates(clip, args.seconds):
                print(f"| {mode} | {f} | {shown:.1f} | {dropped:.1f} | {painted:.1f} | {gui_ms:.1f} | {all_ms:.1f} "
                      f"| {stall:.0f} |")
        source = video.VideoFileSource(clip)
        frames = [source.read() for _ in range(30)]
        source.close()
        if names and not args.skip_window:
            print("\nModel Explorer in the window, the same clip, live predictions painted per second\n")
            print("| model | shown layer | window: predictions painted /s | bare (output only) /s | window/bare "
                  f"| window/min(bare, clip's {fps:g}) | frames handed over /s | GUI-thread CPU ms/prediction "
                  "| bunched | load |")
            print("|---|---|---|---|---|---|---|---|---|---|")
            costs = []
            for name, layer, painted, bare, shown, gui_ms, bunched, load, per_prediction in explorer_rates(
                    clip, names, frames, args.seconds, args.blocks):
                # A source gives at most its own frame rate: no consumer of this clip could go faster.
                print(f"| {name} | {layer} | {painted:.2f} | {bare:.2f} | {painted / bare:.2f} "
                      f"| {painted / min(bare, fps):.2f} | {shown:.1f} | {gui_ms:.1f} | {bunched:.2f} "
                      f"| {load:.1f} |", flush=True)
                costs.append((name, per_prediction))
            if any(per_prediction for _, per_prediction in costs):
                print("\nWhere the window's CPU went, ms per prediction painted (threads' own times, /proc)\n")
                print("| model | task threads (live runs) | reading frames | GUI thread | other threads | cores idle |")
                print("|---|---|---|---|---|---|")
                for name, c in costs:
                    print(f"| {name} | {c['tasks']:.1f} | {c['reader']:.1f} | {c['gui']:.1f} | {c['other']:.1f} "
                          f"| {c['idle']:.0%} |")
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
