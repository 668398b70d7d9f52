"""Opening a built-in model: seconds to first and repeat use, longest GIL stall, user-cache bytes.

"Use" = the model in memory plus an onnxruntime ActivationSession on it: what the explorer needs before the first
activation. Three ways, timed in the same run on the same machine:

- **now**: as ``workers/tasks.py: load_model`` opens a model: ``catalog.load(entry, arrays=weights)`` lays out the
  graph and draws the seeded He-normal weights in memory (numpy releases the GIL while drawing), the largest only as
  arrays, and ``ActivationSession(model, weights=weights)`` hands them to onnxruntime as they are; pre-packing off.
- **proto** (the peer: how it was before): the weights serialised into the proto (``catalog.load(entry)``), read
  back by the session, pre-packing on.
- **file** (the way before that): ``zoo.materialize`` builds, serialises and writes the full .onnx into the cache,
  then the session reads it; repeat use reads the cached file.

Each way's first and repeat use run in a fresh process (onnxruntime already started on LeNet-5, as in the app), so
no way inherits another's warm memory. A ticker thread sleeps 2 ms in a loop and records the longest gap between
its wake-ups: how long a GUI thread would have waited for the GIL (plus scheduling on a loaded machine: the idle
line shows that floor).

The second table is the seed scheme's speed: drawing a built-in's weights block by block on every core
(``graph.fill_he_normal``, builder version 2) against the version-1 way (one ``default_rng(seed)`` stream, which
only one core can draw), both putting the same tensors into the proto.

The third table is the one change that is not a pure speed-up, measured both ways: onnxruntime's pre-packing of
Gemm/MatMul weights, off (now) and on — session start (median of 3) and one all-activations run (median of 15) on
the same weights and input, and how far the outputs differ.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.machine import describe  # noqa: E402


class Ticker:
    """Longest gap between 2 ms sleeps of a Python thread while the block runs."""

    def __enter__(self) -> Ticker:
        self.longest = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        last = time.perf_counter()
        while not self._stop.is_set():
            time.sleep(0.002)
            now = time.perf_counter()
            self.longest = max(self.longest, now - last - 0.002)
            last = now

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def timed(work: Callable[[], object]) -> tuple[float, float]:
    """(seconds, longest stall in ms) of one call."""
    with Ticker() as ticker:
        started = time.perf_counter()
        result = work()
        seconds = time.perf_counter() - started
    del result
    return seconds, ticker.longest * 1000


def cache_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def one_stream_fill(model, seed: int, arrays: dict) -> None:
    """Builder version 1's fill_he_normal, the peer: every empty tensor from one default_rng(seed) stream."""
    import math

    import numpy as np

    from explorer.core.zoo import graph

    rng = np.random.default_rng(seed)
    for tensor in [t for t in model.graph.initializer if not t.raw_data and math.prod(t.dims) > 0]:
        values = np.empty(math.prod(tensor.dims), dtype=np.float32)
        for start in range(0, values.size, 1 << 20):
            chunk = values[start:start + (1 << 20)]
            rng.standard_normal(dtype=np.float32, out=chunk)
            chunk *= np.float32(math.sqrt(2.0 / math.prod(tensor.dims[1:])))
        arrays[tensor.name] = values.reshape(tuple(tensor.dims))
        if values.nbytes < graph.OUTSIDE_MIN_BYTES:
            tensor.raw_data = values.tobytes()


def median(values: list[float]) -> float:
    return sorted(values)[len(values) // 2]


def child(way: str, name: str) -> None:
    """Child process: first and repeat use of one built-in one way; prints 'first stall repeat stall'."""
    import numpy as np

    from explorer.core import catalog, runtime, zoo
    from explorer.core.runtime import ActivationSession

    def use(entry: catalog.ModelEntry) -> ActivationSession:
        if way == "now":
            weights: dict[str, np.ndarray] = {}
            return ActivationSession(catalog.load(entry, arrays=weights), weights=weights)
        if way == "proto":
            runtime.PREPACK = True
            return ActivationSession(catalog.load(entry))
        return ActivationSession(zoo.materialize(entry.key))

    use(catalog.get("lenet5"))  # onnxruntime's one-time start, as in the app
    entry = catalog.get(name)
    first, stall = timed(lambda: use(entry))
    repeat, stall2 = timed(lambda: use(entry))
    print(first, stall, repeat, stall2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default="", help="comma-separated built-in names (default: all)")
    parser.add_argument("--one", nargs=2, metavar=("WAY", "NAME"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        child(*args.one)
        return

    import numpy as np
    import onnxruntime as ort

    from explorer.core import catalog, runtime, zoo
    from explorer.core.runtime import ActivationSession

    names = args.models.split(",") if args.models else list(zoo.BUILTINS)
    print(describe(f"numpy {np.__version__}", f"onnxruntime {ort.__version__}"))
    print(f"load average at start: {os.getloadavg()[0]:.1f} (other processes share these cores)")
    with Ticker() as idle:
        time.sleep(1.0)
    print(f"idle ticker: longest stall {idle.longest * 1000:.0f} ms (the scheduling floor)\n")
    print(f"{'model':<12} {'now first':>10} {'repeat':>8} {'stall':>8}   {'proto first':>11} {'repeat':>8} "
          f"{'stall':>8}   {'file first':>10} {'repeat':>8} {'stall':>8}   {'now/proto':>9}")
    cache = {"now": 0, "proto": 0, "file": 0}
    for name in names:
        took = {}
        for way in ("now", "proto", "file"):
            with tempfile.TemporaryDirectory() as folder:
                proc = subprocess.run([sys.executable, __file__, "--one", way, name], capture_output=True, text=True,
                                       env={**os.environ, "CNN_EXPLORER_CACHE_DIR": folder}, check=True)
                first, stall, repeat, stall2 = map(float, proc.stdout.split())
                took[way] = (first, repeat, max(stall, stall2))
                cache[way] += cache_bytes(Path(folder))
        (nf, nr, ns), (pf, pr, ps), (ff, fr, fs) = took["now"], took["proto"], took["file"]
        print(f"{name:<12} {nf:>8.2f} s {nr:>6.2f} s {ns:>5.0f} ms   {pf:>9.2f} s {pr:>6.2f} s {ps:>5.0f} ms   "
              f"{ff:>8.2f} s {fr:>6.2f} s {fs:>5.0f} ms   {nf / pf:>8.2f}x", flush=True)
    print(f"\nuser cache after opening them all: now {cache['now'] / 1e6:.1f} MB, proto {cache['proto'] / 1e6:.1f} MB, "
          f"file {cache['file'] / 1e6:.1f} MB\n")

    from explorer.core.zoo import graph

    print(f"{'model':<12} {'values':>12} {'blocks, ' + str(graph.WORKERS) + ' threads':>17} {'stall':>8}   "
          f"{'one stream':>10} {'stall':>8}   {'ratio':>6}")
    for name in names:
        builder = zoo.BUILTINS[name].builder
        if zoo.BUILTINS[name].bundled:
            continue  # trained weights: nothing drawn
        took: dict[str, list[float]] = {"blocks": [], "one": []}
        stalls: dict[str, float] = {"blocks": 0.0, "one": 0.0}
        for _ in range(2):
            for way, fill in (("blocks", graph.fill_he_normal), ("one", one_stream_fill)):
                model = builder(None)
                seconds, stall = timed(lambda: fill(model, 0, arrays={}))
                took[way].append(seconds)
                stalls[way] = max(stalls[way], stall)
        values = sum(int(np.prod(t.dims)) for t in model.graph.initializer if len(t.dims) > 1)
        blocks, single = min(took["blocks"]), min(took["one"])
        print(f"{name:<12} {values:>12,} {blocks:>15.2f} s {stalls['blocks']:>5.0f} ms   {single:>8.2f} s "
              f"{stalls['one']:>5.0f} ms   {blocks / single:>5.2f}x", flush=True)
    print()

    print(f"{'model':<12} {'start, no prepack':>17} {'prepack':>8} {'ratio':>6}   "
          f"{'run, no prepack':>15} {'prepack':>8} {'ratio':>6}   {'max rel. diff':>13}")
    for name in names:
        entry = catalog.get(name)
        weights: dict[str, np.ndarray] = {}
        model = catalog.load(entry, arrays=weights)
        x = np.random.default_rng(0).standard_normal(entry.input_shape, dtype=np.float32)
        starts: dict[bool, list[float]] = {False: [], True: []}
        runs: dict[bool, list[float]] = {False: [], True: []}
        outputs: dict[bool, np.ndarray] = {}
        for _ in range(3):  # interleaved, so a change in the machine's load hits both alike
            sessions = {}
            for prepack in (False, True):
                runtime.PREPACK = prepack
                started = time.perf_counter()
                sessions[prepack] = ActivationSession(model, weights=weights)
                starts[prepack].append(time.perf_counter() - started)
            for _ in range(5):
                for prepack, session in sessions.items():
                    activations = session.run(x)
                    runs[prepack].append(activations.timings["run_ms"] / 1000)
                    outputs[prepack] = activations.output
            del sessions, activations
        runtime.PREPACK = False
        scale = float(np.abs(outputs[True]).max()) or 1.0
        diff = float(np.abs(outputs[False] - outputs[True]).max()) / scale
        off, on = median(starts[False]), median(starts[True])
        run_off, run_on = median(runs[False]), median(runs[True])
        print(f"{name:<12} {off:>15.2f} s {on:>6.2f} s {off / on:>5.2f}x   {run_off * 1000:>12.0f} ms "
              f"{run_on * 1000:>5.0f} ms {run_off / run_on:>5.2f}x   {diff:>13.1e}", flush=True)
    print(f"\nload average at end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
