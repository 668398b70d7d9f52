"""Opening a built-in model: seconds to first and repeat use, longest GIL stall, user-cache bytes.

"Use" = the model in memory plus an onnxruntime ActivationSession on it: what the explorer needs before the first
activation. Two ways, timed in the same run on the same machine:

- **catalog** (now): ``catalog.load`` lays out the graph and draws the seeded He-normal weights in memory (numpy
  releases the GIL while drawing), nothing written; repeat use does the same again.
- **file** (before, the peer): ``zoo.materialize`` builds, serialises and writes the full .onnx into the cache,
  then the session reads it; repeat use reads the cached file.

A ticker thread sleeps 2 ms in a loop and records the longest gap between its wake-ups: how long a GUI thread
would have waited for the GIL (plus scheduling on a loaded machine: the idle line shows that floor).
"""
from __future__ import annotations

import argparse
import os
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default="", help="comma-separated built-in names (default: all)")
    args = parser.parse_args()

    import numpy as np
    import onnxruntime as ort

    from explorer.core import catalog, zoo
    from explorer.core.runtime import ActivationSession

    names = args.models.split(",") if args.models else list(zoo.BUILTINS)
    print(describe(f"numpy {np.__version__}", f"onnxruntime {ort.__version__}"))
    print(f"load average at start: {os.getloadavg()[0]:.1f} (other processes share these cores)")
    with Ticker() as idle:
        time.sleep(1.0)
    print(f"idle ticker: longest stall {idle.longest * 1000:.0f} ms (the scheduling floor)\n")
    print(f"{'model':<12} {'catalog first':>14} {'repeat':>8} {'stall':>8} {'cache':>8}   "
          f"{'file first':>11} {'repeat':>8} {'stall':>8} {'cache':>9}   {'first ratio':>11}")
    totals = {"catalog": 0, "file": 0}
    for name in names:
        entry = catalog.get(name)
        with tempfile.TemporaryDirectory() as new_cache, tempfile.TemporaryDirectory() as old_cache:
            os.environ["CNN_EXPLORER_CACHE_DIR"] = new_cache
            use_new = lambda: ActivationSession(catalog.load(entry))  # noqa: E731
            new_first, new_stall = timed(use_new)
            new_repeat, stall2 = timed(use_new)
            new_bytes = cache_bytes(Path(new_cache))

            os.environ["CNN_EXPLORER_CACHE_DIR"] = old_cache
            use_old = lambda: ActivationSession(zoo.materialize(name))  # noqa: E731
            old_first, old_stall = timed(use_old)
            old_repeat, stall4 = timed(use_old)
            old_bytes = cache_bytes(Path(old_cache))
        totals["catalog"] += new_bytes
        totals["file"] += old_bytes
        print(f"{name:<12} {new_first:>12.2f} s {new_repeat:>6.2f} s {max(new_stall, stall2):>5.0f} ms "
              f"{new_bytes / 1e6:>5.1f} MB   {old_first:>9.2f} s {old_repeat:>6.2f} s "
              f"{max(old_stall, stall4):>5.0f} ms {old_bytes / 1e6:>6.1f} MB   {new_first / old_first:>10.2f}x",
              flush=True)
    print(f"\nuser cache after opening them all: catalog {totals['catalog'] / 1e6:.1f} MB, "
          f"file {totals['file'] / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
