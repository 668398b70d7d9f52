"""One frame at a time on every core, or several frames at once on a share of the cores each (bare onnxruntime).

Run: `.venv/bin/python bench/live_threads.py [--models alexnet,resnet34] [--seconds 5]`; results are recorded in
bench/README.md ("Live video"). Why the Model Explorer runs live frames side by side (workers/live_tasks.DEPTH):
a run split over every core waits at each layer for its slowest thread, so anything else on one core (the window
painting the previous frame) holds the whole run up; runs on a core each only lose that core's time.
Columns: frames per second, same random input, each configuration for --seconds, one after the other.
"""
from __future__ import annotations

import argparse
import os
import sys
import threading
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.machine import describe  # noqa: E402


def session(path: Path, threads: int):
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.log_severity_level = 3
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def frames_per_second(run, at_once: int, seconds: float) -> float:
    """``at_once`` threads calling ``run`` back to back for ``seconds``: runs finished per second."""
    counts = [0] * at_once
    stop = time.perf_counter() + seconds

    def loop(i: int) -> None:
        while time.perf_counter() < stop:
            run()
            counts[i] += 1

    threads = [threading.Thread(target=loop, args=(i,)) for i in range(at_once)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(counts) / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default="alexnet,resnet34")
    parser.add_argument("--seconds", type=float, default=5.0)
    args = parser.parse_args()
    import onnxruntime

    from explorer.core import zoo

    cores = os.cpu_count() or 1
    print(describe(f"onnxruntime {onnxruntime.__version__}"))
    print(f"\n| model | one frame at a time, {cores} threads /s | {cores} frames at once, 1 thread each /s | ratio |")
    print("|---|---|---|---|")
    for name in args.models.split(","):
        path = zoo.materialize(name)
        results = []
        for threads, at_once in ((cores, 1), (1, cores)):
            s = session(path, threads)
            feed = s.get_inputs()[0]
            shape = [d if isinstance(d, int) else 1 for d in feed.shape]
            x = np.random.default_rng(0).random(shape, dtype=np.float32)
            output = s.get_outputs()[0].name
            run = lambda: s.run([output], {feed.name: x})  # noqa: E731
            run()  # the first run allocates
            results.append(frames_per_second(run, at_once, args.seconds))
        print(f"| {name} | {results[0]:.1f} | {results[1]:.1f} | {results[1] / results[0]:.2f} |", flush=True)


if __name__ == "__main__":
    main()
