"""What the Playground's magnifier adds to one hover: the readout repaint with the inset against without it.

Run: `.venv/bin/python bench/magnifier.py [--hovers 60]`; results are recorded in bench/README.md ("Magnifier").

The offscreen main window at 1024×768 shows a random RGB image; for each case the pointer "moves" over output units
(state.playground.hover_unit, what a mouse move over the map does), alternating magnifier on and off unit by unit so
load from other processes hits both columns alike. Reported: median milliseconds per hover of each, and their ratio.
The window's values are printed up to 16×16 (the 7×7 dilated kernel's 13×13 window is the most cells printed).
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
from bench.machine import describe  # noqa: E402

CASES = ((512, 3, 1), (512, 7, 2), (2048, 3, 1), (2048, 7, 2), (2048, 15, 2))   # (image side, f, d)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--hovers", type=int, default=60)
    args = parser.parse_args()
    from PySide6 import __version__ as pyside
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    app = QApplication(sys.argv[:1])
    import pyqtgraph as pg

    import explorer.ui  # noqa: F401 (pyqtgraph options)
    from explorer.core.images import from_array
    from explorer.ui.main_window import MainWindow

    window = MainWindow(settings=QSettings(str(Path(os.environ.get("TMPDIR", "/tmp")) / "bench-magnifier.ini"),
                                           QSettings.Format.IniFormat))
    window.resize(1024, 768)
    window.show()
    state = window.state.playground
    rng = np.random.default_rng(0)
    print(describe(f"PySide6 {pyside}", f"pyqtgraph {pg.__version__}"))
    print(f"{'image':>9} {'f':>3} {'d':>2} {'window':>7} {'off ms':>7} {'on ms':>7} {'on/off':>7}")
    for side, f, d in CASES:
        window.state.image.set(from_array(rng.integers(0, 256, (side, side, 3), dtype=np.uint8), "random"))
        state.set_size(f)
        state.dilation = d
        app.processEvents()
        window.playground.flush()
        out = window.playground.output_map().shape
        times: dict[bool, list[float]] = {False: [], True: []}
        for i in range(args.hovers):
            for on in (False, True):
                state.magnify = on
                k = 2 * i + on   # a new unit each time: the same one again is no event
                unit = ((k * 37) % out[0], (k * 53) % out[1])
                start = time.perf_counter()
                state.hover_unit(unit)
                times[on].append(time.perf_counter() - start)
                app.processEvents()
        off, on = (statistics.median(times[k]) * 1000 for k in (False, True))
        span = d * (f - 1) + 1
        print(f"{f'{side}²':>9} {f:>3} {d:>2} {f'{span}×{span}':>7} {off:>7.2f} {on:>7.2f} {on / off:>7.1f}")
    window.close()


if __name__ == "__main__":
    main()
