"""Explanations of a user's model file in the Model Explorer: a child started for every request (what the Explain
panel did until 2026-12-02: spawn, imports, the model loaded and its sessions built, then the explanation) against
the child kept between requests (core/explain/child.py: the first request pays the start, later ones do not).

Run: `.venv/bin/python bench/explain_child.py [--trials 5] [--models lenet5,resnet34]`; results are recorded in
bench/README.md ("Explanations of a user's file: one child kept").

The file is the built-in exported by `cnn-explorer export` (so the catalog treats it as a user's file, sandboxed).
Per model: the kept child's first request, then requests alternating (child per request, kept child, ...) so load
hits both alike; eigen-cam (one forward pass for the maps) on a photo, as the panel asks for it; medians.
"""
from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.machine import describe  # noqa: E402
from explorer.core import catalog, samples, sandbox  # noqa: E402
from explorer.core.explain import ExplainModel, sandboxed  # noqa: E402
from explorer.core.explain.child import ExplainChild  # noqa: E402

METHOD = "eigen-cam"
TIMEOUT_S = 120.0


def _explained_in_a_new_child(entry: catalog.ModelEntry, image, progress) -> sandboxed.Answer:
    """The old path, in the child run_limited starts: load the model, build its sessions, explain."""
    return sandboxed.answer(ExplainModel(catalog.load(entry)), image, METHOD, None, None, {}, progress=progress)


def timed(fn) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=5)
    parser.add_argument("--models", default="lenet5,resnet34")
    args = parser.parse_args()
    image = samples.load_sample(samples.default_sample().name)
    quiet = lambda *_: None  # noqa: E731
    memory = sandbox.default_memory_bytes()
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        for name in args.models.split(","):
            path = Path(folder) / f"my_{name}.onnx"
            subprocess.run([sys.executable, "-m", "explorer", "export", name, "--out", str(path)], cwd=ROOT,
                           check=True, capture_output=True)
            entry = catalog.resolve(str(path))
            assert not sandboxed.trusted(entry)
            kept = ExplainChild(entry, memory_bytes=memory, timeout_s=TIMEOUT_S)
            never = threading.Event()
            first = timed(lambda: kept.run(sandboxed.answer, image, METHOD, None, None, {}, progress=quiet,
                                           cancel=never))
            per_request, in_kept = [], []
            for _ in range(args.trials):
                per_request.append(timed(lambda: sandbox.run_limited(
                    _explained_in_a_new_child, entry, image, timeout_s=TIMEOUT_S, memory_bytes=memory,
                    progress=quiet)))
                in_kept.append(timed(lambda: kept.run(sandboxed.answer, image, METHOD, None, None, {},
                                                      progress=quiet, cancel=never)))
            kept.close()
            rows.append((name, first, statistics.median(in_kept), statistics.median(per_request)))
    print(describe())
    print(f"\nExplanations ({METHOD}) of a user's file, seconds per request, medians of {args.trials}\n")
    print("| model | kept child: first request (its start) | kept child: later requests | a child per request | "
          "per request / kept |")
    print("|---|---|---|---|---|")
    for name, first, kept_s, per_s in rows:
        print(f"| {name} | {first:.2f} | {kept_s:.3f} | {per_s:.2f} | {per_s / kept_s:.0f}× |")


if __name__ == "__main__":
    main()
