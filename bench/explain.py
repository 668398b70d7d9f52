"""Explanations benchmark: each method x LeNet-5, AlexNet, VGG-16, ResNet-34, against one plain forward pass.

For every model the peer is a bare onnxruntime session on the same file fetching only the output (one image).
Per method: forward passes used (whole network; Ablation-CAM also counts passes of the part after the layer),
the first call (builds the cut sessions the GUI then keeps), then the median of warm calls interleaved with the
peer (peer, method, peer, method, ...) so load from other processes hits both alike; ratio = method / peer.
Score-CAM runs once warm (its sessions are the ones Eigen-CAM and occlusion already built): on VGG-16 it is
hundreds of passes. Cancellation: occlusion is started on a thread, the cancel flag is set 0, 0.1 and 0.25 s after
the first batch has reported progress, and the worst time until RunCancelled reaches the caller is recorded.
Results go in bench/README.md ("## Explanations").

    python bench/explain.py [--models lenet5,vgg16] [--runs 3] [--methods eigen-cam,occlusion]
"""
from __future__ import annotations

import argparse
import statistics
import sys
import threading
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.machine import describe  # noqa: E402

METHODS = ("eigen-cam", "ablation-cam", "occlusion", "score-cam")


def _peer(path: str, x: np.ndarray):
    import onnxruntime as ort

    from explorer.core import runtime

    options = ort.SessionOptions()
    options.log_severity_level = runtime.log_severity()
    session = ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])
    name, out = session.get_inputs()[0].name, session.get_outputs()[0].name
    return lambda: session.run([out], {name: x})


def _timed(call) -> float:
    started = time.perf_counter()
    call()
    return time.perf_counter() - started


def _cancel_latency(em, image, delays=(0.0, 0.1, 0.25)) -> float | None:
    """Worst seconds from setting the cancel flag to RunCancelled in the caller, the flag set ``delay`` after the
    first progress report (so it lands between batches or inside a run); None if occlusion finished first."""
    from explorer.core import explain
    from explorer.core.runtime import RunCancelled

    worst = None
    for delay in delays:
        stop, reported = threading.Event(), threading.Event()
        raised: list[float] = []

        def work() -> None:
            try:
                explain.occlusion(em, image, progress=lambda f, t: reported.set(), cancelled=stop.is_set)
            except RunCancelled:
                raised.append(time.perf_counter())

        thread = threading.Thread(target=work)
        thread.start()
        reported.wait(timeout=600)
        time.sleep(delay)
        set_at = time.perf_counter()
        stop.set()
        thread.join()
        if raised:
            worst = max(worst or 0.0, raised[0] - set_at)
    return worst


def bench_model(name: str, runs: int, methods: tuple[str, ...] = METHODS) -> list[str]:
    from explorer.core import explain, mnist, models, samples, zoo

    path = str(zoo.materialize(name))  # the first use builds it into the cache: not timed
    em = explain.ExplainModel(models.open_model(name))
    image = mnist.heldout_digits().images[0] if name == "lenet5" else samples.load_sample("astronaut")
    peer = _peer(path, em.feed(em.prepare(image).tensor))
    peer()
    peer_times = [_timed(peer) for _ in range(max(runs, 3))]
    rows = [f"| {name} | one forward pass (peer) | - | 1 | | {statistics.median(peer_times) * 1000:.3g} ms | 1.00× |"]
    print(rows[0], flush=True)
    for method in methods:
        result = None

        def call() -> None:
            nonlocal result
            result = explain.explain(em, image, method)

        cold = "" if method == "score-cam" else f"{_timed(call):.2f} s"
        method_times, peers = [], []
        for _ in range(1 if method in ("score-cam", "occlusion") and name != "lenet5" else runs):
            peers.append(_timed(peer))
            method_times.append(_timed(call))
        t, p = statistics.median(method_times), statistics.median(peers)
        passes = f"{result.passes}" + (f" + {result.head_passes} after layer" if result.head_passes else "")
        rows.append(f"| {name} | {method} | {result.layer or 'input'} | {passes} | {cold} | "
                    f"{t * 1000:.4g} ms | {t / p:.2f}× |")
        print(rows[-1], flush=True)
    latency = _cancel_latency(em, image)
    rows.append(f"| {name} | cancel occlusion (worst of 3) | - | - | | "
                f"{'finished first' if latency is None else f'{latency * 1000:.0f} ms'} | |")
    print(rows[-1], flush=True)
    return rows


def main() -> None:
    import onnxruntime

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default="lenet5,alexnet,vgg16,resnet34")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--methods", default=",".join(METHODS), help="a subset, in this order (Score-CAM last)")
    args = parser.parse_args()
    print(describe(f"onnxruntime {onnxruntime.__version__}"))
    print("| model | method | layer | forward passes | first call | time (median) | × one forward pass |")
    print("|---|---|---|---|---|---|---|")
    for name in args.models.split(","):
        bench_model(name, args.runs, tuple(args.methods.split(",")))


if __name__ == "__main__":
    main()
