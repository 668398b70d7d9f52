"""Inference benchmark: a bare onnxruntime run vs the all-activations run, per built-in model, on CPU.

For every model: first-build time (zoo.build + save), session load time, median run time of
  bare  — default optimisations (ORT_ENABLE_ALL), fetching only the final output, and
  all   — explorer.core.runtime.ActivationSession (every node output fetched),
their ratio (goal <= 1.3x), and peak RSS. Each (model, mode) runs in its own subprocess so the peak RSS
belongs to that mode alone. Also times the activation mosaic. Results go in bench/README.md ("## Inference").

    python bench/inference.py [--models lenet5,resnet34] [--runs 5] [--levels]

--levels additionally times the all-activations run at every graph-optimisation level, which is how the
level in runtime.py was chosen.
"""
from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.machine import describe  # noqa: E402

SETTLE_S = 0.1  # pause before each timed run (see measure_times)
LEVELS = ("ORT_DISABLE_ALL", "ORT_ENABLE_BASIC", "ORT_ENABLE_EXTENDED", "ORT_ENABLE_ALL")


def _peak_rss_mb() -> float:
    """This process's own peak RSS (VmHWM; ru_maxrss would carry the parent's peak across fork/exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _runner(path: str, mode: str):
    """(load_ms, run) for a saved model. mode: 'bare' or an optimisation level name for the all-activations run."""
    import onnxruntime as ort

    from explorer.core import runtime

    ort.set_default_logger_severity(3)
    started = time.perf_counter()
    if mode == "bare":
        options = ort.SessionOptions()
        options.log_severity_level = 3
        session = ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])
        feed_name, output_name = session.get_inputs()[0].name, session.get_outputs()[0].name
        shape = [d if isinstance(d, int) else 1 for d in session.get_inputs()[0].shape]

        def run(x: np.ndarray) -> int:
            return session.run([output_name], {feed_name: x})[0].nbytes
    else:
        runtime.OPTIMIZATION_LEVEL = getattr(ort.GraphOptimizationLevel, mode)
        acts_session = runtime.ActivationSession(Path(path), providers=["CPUExecutionProvider"])
        shape = list(acts_session.input_shape)

        def run(x: np.ndarray) -> int:
            return sum(a.nbytes for a in acts_session.run(x).tensors.values())
    load_ms = (time.perf_counter() - started) * 1000
    return load_ms, run, np.random.default_rng(0).standard_normal(shape).astype(np.float32)


def measure_memory(path: str, mode: str) -> dict:
    """Load time, fetched bytes and peak RSS of one mode, alone in a fresh process."""
    load_ms, run, x = _runner(path, mode)
    fetched = run(x)
    return {"load_ms": load_ms, "fetched_mb": fetched / 1e6, "peak_rss_mb": _peak_rss_mb()}


def measure_times(path: str, modes: list[str], runs: int) -> dict:
    """Median and min run time per mode; modes are interleaved so load from other processes hits all alike.

    Each session's onnxruntime threads spin for a while after a run; the pause before every timed run lets
    them go idle so they do not steal the 2 cores from the next session (as in the app: runs come spaced out).
    """
    runners = {mode: _runner(path, mode) for mode in modes}
    for _, run, x in runners.values():
        run(x)  # warm-up
    times: dict[str, list[float]] = {mode: [] for mode in modes}
    for _ in range(runs):
        for mode, (_, run, x) in runners.items():
            time.sleep(SETTLE_S)
            t = time.perf_counter()
            run(x)
            times[mode].append((time.perf_counter() - t) * 1000)
    return {mode: {"median": statistics.median(v), "min": min(v)} for mode, v in times.items()}


def _subprocess(*args: str) -> dict:
    out = subprocess.run([sys.executable, __file__, "--child", *args], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def mosaic_timings() -> list[tuple[str, float]]:
    from explorer.core.mosaic import channel_mosaic

    rows = []
    for shape in ((512, 14, 14), (64, 112, 112), (96, 55, 55), (1024, 7, 7)):
        act = np.random.default_rng(0).random(shape, dtype=np.float32)
        for normalize in ("channel", "layer"):
            times = []
            for _ in range(20):
                t = time.perf_counter()
                channel_mosaic(act, normalize=normalize, sort_by_mean=True)
                times.append((time.perf_counter() - t) * 1000)
            rows.append((f"{'x'.join(map(str, shape))} {normalize}", statistics.median(times)))
    return rows


def machine() -> str:
    import onnx
    import onnxruntime as ort

    return describe(f"numpy {np.__version__}", f"onnx {onnx.__version__}",
                    f"onnxruntime {ort.__version__} (CPU provider)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default="", help="comma-separated built-in names (default: all)")
    parser.add_argument("--runs", type=int, default=5, help="timed runs per mode (vgg16: at most 3)")
    parser.add_argument("--levels", action="store_true", help="also time every optimisation level")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        kind, path, *rest = args.child
        result = (measure_memory(path, rest[0]) if kind == "memory"
                  else measure_times(path, rest[1].split(","), int(rest[0])))
        print(json.dumps(result))
        return

    import onnx

    from explorer.core import runtime, zoo

    names = args.models.split(",") if args.models else list(zoo.BUILTINS)
    print(machine())
    print("Other processes share these cores: timings are medians and may still be noisy.\n")
    header = (f"{'model':<12} {'build s':>8} {'load bare':>10} {'load all':>9} {'bare ms':>9} {'all ms':>9} "
              f"{'ratio':>6} {'min ratio':>9} {'acts MB':>8} {'RSS bare':>9} {'RSS all':>8}")
    print(header)
    level_rows = []
    with tempfile.TemporaryDirectory() as folder:
        for name in names:
            t = time.perf_counter()
            path = Path(folder) / f"{name}.onnx"
            onnx.save(zoo.build(name), path)
            build_s = time.perf_counter() - t
            runs = min(args.runs, 3) if name == "vgg16" else args.runs
            chosen = runtime.OPTIMIZATION_LEVEL.name
            modes = ["bare", *(LEVELS if args.levels else [chosen])]
            times = _subprocess("times", str(path), str(runs), ",".join(modes))
            bare, full = _subprocess("memory", str(path), "bare"), _subprocess("memory", str(path), chosen)
            b, a = times["bare"], times[chosen]
            print(f"{name:<12} {build_s:>8.2f} {bare['load_ms']:>8.0f}ms {full['load_ms']:>7.0f}ms "
                  f"{b['median']:>9.1f} {a['median']:>9.1f} {a['median'] / b['median']:>5.2f}x "
                  f"{a['min'] / b['min']:>8.2f}x {full['fetched_mb']:>8.1f} {bare['peak_rss_mb']:>7.0f}MB "
                  f"{full['peak_rss_mb']:>6.0f}MB", flush=True)
            level_rows.append((name, times))
            path.unlink()
    if args.levels:
        print("\nAll-activations run per optimisation level: median ms (median ratio / min ratio to bare)")
        print(f"{'model':<12} {'bare':>8} " + " ".join(f"{lv.removeprefix('ORT_'):>24}" for lv in LEVELS))
        for name, times in level_rows:
            bare = times["bare"]
            print(f"{name:<12} {bare['median']:>8.1f} " + " ".join(
                f"{times[lv]['median']:>10.1f} ({times[lv]['median'] / bare['median']:4.2f}x/"
                f"{times[lv]['min'] / bare['min']:4.2f}x)" for lv in LEVELS))
    print("\nchannel_mosaic (sort_by_mean=True), median of 20")
    for label, ms in mosaic_timings():
        print(f"  {label:<22} {ms:6.2f} ms")


if __name__ == "__main__":
    main()
