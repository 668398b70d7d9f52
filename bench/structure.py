"""Inspecting a built-in for its strip and growth curve: from the layout alone vs built with its weights.

- **layout** (now): ``builtin_structure.inspect_builtin`` — the graph laid out, no weight drawn, then
  ``core.inspect`` (shapes, parameters, receptive fields).
- **built** (the peer, what the "Compare all" task did before, minus writing the file): ``inspect_model(name)``,
  which builds the model with its seeded He-normal weights in memory first.

Both alternate (layout, built, layout, …; median of the runs), so other load hits both alike. The longest GIL
stall (bench.model_load's ticker) is how long a GUI thread would have waited.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.machine import describe  # noqa: E402
from bench.model_load import timed  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    import numpy as np
    import onnxruntime as ort

    from explorer.core import zoo
    from explorer.core.builtin_structure import inspect_builtin
    from explorer.core.inspect import inspect_model

    print(describe(f"numpy {np.__version__}", f"onnxruntime {ort.__version__}"))
    print(f"load average at start: {os.getloadavg()[0]:.1f} (other processes share these cores)")
    print("| model | parameters | layout ms | built ms | built/layout | layout stall ms | built stall ms |")
    print("|---|---|---|---|---|---|---|")
    for name, entry in zoo.BUILTINS.items():
        layout, built = [], []
        for _ in range(args.runs):
            layout.append(timed(lambda: inspect_builtin(name)))
            built.append(timed(lambda: inspect_model(name)))
        a = statistics.median(s for s, _ in layout) * 1000
        b = statistics.median(s for s, _ in built) * 1000
        print(f"| {entry.title} | {entry.params:,} | {a:.0f} | {b:.0f} | {b / a:.1f} | "
              f"{max(s for _, s in layout):.0f} | {max(s for _, s in built):.0f} |")


if __name__ == "__main__":
    main()
