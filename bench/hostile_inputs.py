"""Hostile inputs benchmark: every case of issue 14 run through the real CLI, with exit status, wall time and
the peak resident memory of the whole process tree (getrusage(RUSAGE_CHILDREN) of a fresh parent, so the
sandbox's child counts), plus two peers measured in the same run:

- the 6324² 16-bit RGBA PNG decoded with the strip-wise conversion vs one whole-image pass (the old code path,
  selected by making a strip as large as the image), each in its own process;
- the sandbox's cancel latency (cancel.set() -> run_limited raised and the child reaped) and its start-up
  overhead (run_limited of a trivial function vs calling it directly);
- with ``--before DIR`` (a checkout of an earlier commit, e.g. ``git archive COMMIT | tar -x -C DIR``): `explain`
  and `erf` on our own models (in-process: must not get slower) and on a user's copy of LeNet-5 (now in the
  sandbox), the same commands in both trees, alternating, in this run.

    python bench/hostile_inputs.py [--quick] [--before DIR]   (--quick skips the 30 s default-timeout cases)

Results go in bench/README.md ("## Hostile inputs").
"""
from __future__ import annotations

import argparse
import math
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]
import hostile_files as hostile  # noqa: E402  (the same generators as the tests)
from bench.machine import describe  # noqa: E402

from explorer.core import sandbox  # noqa: E402

_DECODE = """
import resource, sys, time
from explorer.core import images
images._STRIP_PIXELS = int(sys.argv[2])
started = time.monotonic()
image = images.load_image(sys.argv[1])
print(time.monotonic() - started, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
"""


def cases(folder: Path, quick: bool) -> list[tuple[str, list[str]]]:
    image = folder / "photo.png"
    cv2.imwrite(str(image), np.random.default_rng(0).integers(0, 256, (64, 64, 3), dtype=np.uint8))
    fifo = folder / "fifo.png"
    os.mkfifo(fifo)
    for name, device in [("zero.png", "/dev/zero"), ("urandom.png", "/dev/urandom")]:
        (folder / name).symlink_to(device)
    big = hostile.big_png_16bit_rgba(folder / "big16.png")
    gif = hostile.truncated_gif(folder / "cut.gif")
    models = {
        "ConstantOfShape 1.5e9": hostile.constant_of_shape(),
        "ConstantOfShape from input shape": hostile.constant_of_shape_from_input(),
        "hidden allocation (Abs)": hostile.hidden_allocation(),
        "Loop 1e15": hostile.endless_loop(),
        "Loop 1e15 behind an Abs": hostile.endless_loop(hidden=True),
        "input 2^40×2^40": hostile.huge_input(2**40),
        "input 65535×65535": hostile.huge_input(65535),
        "cycle": hostile.cycle(),
        "IR 99": hostile.versioned(ir=99),
        "opset 99": hostile.versioned(opset=99),
    }
    paths = {label: str(hostile.save(m, folder / f"m{k}.onnx")) for k, (label, m) in enumerate(models.items())}
    out = str(folder / "out.png")
    rows = [
        ("image: FIFO", ["conv", str(fifo), "--out", out]),
        ("image: symlink to /dev/zero", ["conv", str(folder / "zero.png"), "--out", out]),
        ("image: symlink to /dev/urandom", ["conv", str(folder / "urandom.png"), "--out", out]),
        ("image: a folder", ["conv", str(folder), "--out", out]),
        ("image: truncated GIF", ["conv", str(gif), "--out", out]),
        ("image: 6324² 16-bit RGBA PNG (311 KB)", ["conv", str(big), "--out", out]),
        ("conv --padding 20000", ["conv", str(image), "--padding", "20000", "--out", out]),
        ("conv --padding 99999", ["conv", str(image), "--padding", "99999", "--out", out]),
        ("conv --size 0", ["conv", str(image), "--size", "0", "--out", out]),
        ("conv --kernel [[NaN]]", ["conv", str(image), "--kernel", "[[NaN]]", "--out", out]),
    ]
    for label, path in paths.items():
        if label == "Loop 1e15 behind an Abs" and quick:
            continue
        rows.append((f"activations: {label}", ["activations", path, str(image), "--out", out]))
    rows.append(("activations: hidden allocation, --max-memory 1",
                 ["activations", paths["hidden allocation (Abs)"], str(image), "--out", out, "--max-memory", "1"]))
    rows.append(("activations: Loop 1e15 behind an Abs, --timeout 3",
                 ["activations", paths["Loop 1e15 behind an Abs"], str(image), "--out", out, "--timeout", "3"]))
    # Explanations run only what the class scores need: hostile.scored makes the hostile part feed them.
    scored = {label: str(hostile.save(hostile.scored(m), folder / f"s{k}.onnx"))
              for k, (label, m) in enumerate(models.items()) if len(m.graph.output) == 2}
    for label, path in scored.items():
        limits = ["--timeout", "3", "--max-memory", "1"] if "behind an Abs" in label else []
        rows.append((f"explain: {label}{' ' + ' '.join(limits) if limits else ''}",
                     ["explain", path, str(image), "--method", "occlusion", "--out", out, *limits]))
    rows.append(("explain: input 65535×65535", ["explain", paths["input 65535×65535"], str(image), "--method",
                                                 "occlusion", "--out", out]))
    for label in ("hidden allocation (Abs)", "Loop 1e15 behind an Abs"):
        rows.append((f"erf: {label}, --timeout 3 --max-memory 1",
                     ["erf", scored[label], "--layer", "score", "--unit", "0", "0", "0", "--out", out,
                      "--timeout", "3", "--max-memory", "1"]))
    rows.append(("inspect: Loop 1e15", ["inspect", paths["Loop 1e15"]]))
    rows.append(("inspect: ConstantOfShape from input shape", ["inspect", paths["ConstantOfShape from input shape"]]))
    rows.append(("inspect: hidden allocation (Abs)", ["inspect", paths["hidden allocation (Abs)"]]))
    if not quick:
        rows.append(("inspect: Loop 1e15 behind an Abs", ["inspect", paths["Loop 1e15 behind an Abs"]]))
    return rows


_CLI_SECONDS = """
import contextlib, io, statistics, sys, time
from explorer.cli import main
reps, args = int(sys.argv[1]), sys.argv[2:]
seconds = []
for _ in range(reps + 1):  # the first call warms up (imports, LeNet-5's weights)
    started = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        assert main(args) == 0
    seconds.append(time.perf_counter() - started)
print(statistics.median(seconds[1:]))
"""


def explain_speed(folder: Path, before: Path, reps: int, rounds: int) -> list[tuple[str, float, float]]:
    """(command, median seconds before, median seconds now): the CLI's main() called in a process whose cwd is
    each tree (so ``explorer`` is that tree's), rounds alternating between the trees."""
    digit = folder / "digit.png"
    cv2.imwrite(str(digit), (np.indices((28, 28)).sum(0) * 4).astype(np.uint8))
    copy = folder / "my_lenet5.onnx"
    subprocess.run([sys.executable, "-m", "explorer", "export", "lenet5", "--out", str(copy)], cwd=ROOT, check=True,
                   capture_output=True)
    out = str(folder / "heat.png")
    commands = [(f"explain lenet5 --method {m}", ["explain", "lenet5", str(digit), "--method", m, "--out", out])
                for m in ("occlusion", "score-cam", "ablation-cam", "eigen-cam")]
    commands += [("erf lenet5 --layer c3 --unit 2 4 5", ["erf", "lenet5", "--layer", "c3", "--unit", "2", "4", "5",
                                                         "--out", out]),
                 ("explain mlp500 --method occlusion", ["explain", "mlp500", str(digit), "--method", "occlusion",
                                                         "--out", out]),
                 ("explain my_lenet5.onnx (a user's file) --method eigen-cam",
                  ["explain", str(copy), str(digit), "--method", "eigen-cam", "--out", out])]
    rows = []
    for label, args in commands:
        times: dict[Path, list[float]] = {before: [], ROOT: []}
        for _ in range(rounds):
            for tree in (before, ROOT):
                done = subprocess.run([sys.executable, "-c", _CLI_SECONDS, str(reps), *args], cwd=tree,
                                      capture_output=True, text=True, check=True)
                times[tree].append(float(done.stdout))
        rows.append((label, statistics.median(times[before]), statistics.median(times[ROOT])))
    return rows


def decode_peers(folder: Path) -> list[tuple[str, float, float]]:
    big = str(folder / "big16.png")
    results = []
    for label, strip in [("strips of 1 M pixels (now)", 1 << 20), ("one whole-image pass (before)", 1 << 40)]:
        out = subprocess.run([sys.executable, "-c", _DECODE, big, str(strip)], capture_output=True, text=True,
                             check=True).stdout.split()
        results.append((label, float(out[0]), float(out[1])))
    return results


def sandbox_latency(trials: int) -> tuple[list[float], list[float], float]:
    """Cancel latencies (s), run_limited round trips of math.factorial (s), and the direct call (s)."""
    latencies, round_trips = [], []
    for _ in range(trials):
        cancel = threading.Event()
        done = threading.Event()

        def work() -> None:
            try:
                sandbox.run_limited(time.sleep, 10_000, timeout_s=600, memory_bytes=sandbox.GB, cancel=cancel)
            except sandbox.Cancelled:
                done.set()

        worker = threading.Thread(target=work)
        worker.start()
        time.sleep(1.0)  # let the child start and sleep
        started = time.perf_counter()
        cancel.set()
        done.wait(60)
        latencies.append(time.perf_counter() - started)
        worker.join()
        started = time.perf_counter()
        sandbox.run_limited(math.factorial, 100, timeout_s=600, memory_bytes=sandbox.GB)
        round_trips.append(time.perf_counter() - started)
    started = time.perf_counter()
    math.factorial(100)
    return latencies, round_trips, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="skip the cases that wait for the 30 s default timeout")
    parser.add_argument("--trials", type=int, default=10, help="cancel-latency trials")
    parser.add_argument("--before", type=Path, metavar="DIR", help="an earlier commit's tree: time explain/erf in both")
    parser.add_argument("--reps", type=int, default=5, help="calls per process in the explain timing")
    parser.add_argument("--rounds", type=int, default=3, help="processes per tree and command, alternating")
    args = parser.parse_args()
    import onnxruntime

    print(describe(f"onnxruntime {onnxruntime.__version__}", f"opencv {cv2.__version__}",
                   f"default sandbox cap {sandbox.default_memory_bytes() / sandbox.GB:.3g} GB"))
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        print("\n| case | exit | seconds | peak MB | stderr |\n|---|---|---|---|---|")
        for label, command in cases(folder, args.quick):
            m = hostile.run_measured(command)
            message = " ".join(m.stderr.split()).removeprefix("cnn-explorer: ")
            message = message if len(message) <= 90 else message[:89] + "…"
            print(f"| {label} | {m.returncode} | {m.seconds:.1f} | {m.peak_mb:.0f} | {message or '—'} |")
        print("\n| 6324² 16-bit RGBA PNG, load_image | seconds | peak MB |\n|---|---|---|")
        peers = decode_peers(folder)
        for label, seconds, peak in peers:
            print(f"| {label} | {seconds:.1f} | {peak:.0f} |")
        print(f"\npeak ratio before/now: {peers[1][2] / peers[0][2]:.2f}×")
        if args.before:
            print(f"\n| command (median of {args.rounds} processes × {args.reps} calls) | before s | now s | "
                  "now/before |\n|---|---|---|---|")
            for label, then, now in explain_speed(folder, args.before.resolve(), args.reps, args.rounds):
                print(f"| {label} | {then:.3f} | {now:.3f} | {now / then:.2f}× |")
    latencies, trips, direct = sandbox_latency(args.trials)
    print(f"\nsandbox cancel latency over {args.trials} trials: median {statistics.median(latencies) * 1000:.0f} ms, "
          f"max {max(latencies) * 1000:.0f} ms")
    print(f"run_limited(math.factorial, 100): median {statistics.median(trips):.2f} s vs {direct * 1e6:.1f} µs "
          "in-process (the spawn start-up is the cost)")


if __name__ == "__main__":
    main()
