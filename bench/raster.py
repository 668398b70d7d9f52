"""What one paint of a live image costs as pyqtgraph builds it against as RasterItem builds it.

Run: `.venv/bin/python bench/raster.py [--paints 60]`; results are recorded in bench/README.md ("Raster images").

The three images the Model Explorer repaints on every live frame (AlexNet's conv4 mosaic, one 13×13 channel, the
224×224 RGB input), drawn scaled onto a 900×700 ARGB32 canvas as a view paints them: as the panel gave them to
pg.ImageItem before (colour indices or values with a 256-colour table, RGB with levels 0–255) and as it gives them to
explorer.ui.raster.RasterItem now (colours packed as 0xffRRGGBB by core.render.unit_to_rgb32, for the mosaic in the
live task; the same RGB array). Per image and item: milliseconds to render (array → QImage, on the GUI thread, once
per new array) and to draw (every paint), medians; the two alternate so other load hits both alike.
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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--paints", type=int, default=60)
    args = parser.parse_args()

    import pyqtgraph as pg
    from PySide6.QtCore import QRectF
    from PySide6.QtGui import QImage, QPainter
    from PySide6.QtWidgets import QApplication

    import explorer.ui  # noqa: F401  (the app's pyqtgraph options)
    from explorer.core import render
    from explorer.ui.raster import RasterItem

    app = QApplication.instance() or QApplication([])  # noqa: F841  (QImage painting needs it)
    rng = np.random.default_rng(0)
    indices = rng.integers(0, 256, (299, 302), dtype=np.uint8)
    values = rng.random((13, 13), dtype=np.float32)
    rgb = rng.integers(0, 256, (224, 224, 3), dtype=np.uint8)
    cases = {  # image: ((array, lut, levels) for pg.ImageItem, the same for RasterItem, drawn height in px)
        "mosaic 384 ch of 13×13": ((indices, render.SEQUENTIAL_LUT, (0, 255)),
                                   (render.SEQUENTIAL_RGB32[indices], None, None), 600),
        "channel 13×13": ((values, render.SEQUENTIAL_LUT, (0.0, 1.0)), (render.unit_to_rgb32(values), None, None), 300),
        "input 224×224 RGB": ((rgb, None, (0, 255)), (rgb, None, (0, 255)), 300),
    }
    canvas = QImage(900, 700, QImage.Format.Format_ARGB32_Premultiplied)
    print(describe(f"pyqtgraph {pg.__version__}"))
    print(f"\nmedian ms of {args.paints} renders and paints each, alternating\n")
    print("| image | pg.ImageItem format | render ms | draw ms | RasterItem format | render ms | draw ms "
          "| render + draw, ratio |")
    print("|---|---|---|---|---|---|---|---|")
    for name, (before, after, height) in cases.items():
        items = [pg.ImageItem(), RasterItem()]
        render_ms: dict[int, list[float]] = {0: [], 1: []}
        draw_ms: dict[int, list[float]] = {0: [], 1: []}
        for _ in range(args.paints):
            for i, (item, (array, lut, levels)) in enumerate(zip(items, (before, after))):
                item.setLookupTable(lut)
                started = time.perf_counter()
                item.setImage(array, autoLevels=False, levels=levels)
                item.render()
                render_ms[i].append(time.perf_counter() - started)
                painter = QPainter(canvas)
                painter.scale(height / array.shape[0], height / array.shape[0])
                started = time.perf_counter()
                painter.drawImage(QRectF(0, 0, array.shape[1], array.shape[0]), item.qimage)
                draw_ms[i].append(time.perf_counter() - started)
                painter.end()
        ms = {k: [1000 * statistics.median(v[k]) for v in (render_ms, draw_ms)] for k in (0, 1)}
        formats = [item.qimage.format().name.removeprefix("Format_") for item in items]
        print(f"| {name} | {formats[0]} | {ms[0][0]:.2f} | {ms[0][1]:.2f} | {formats[1]} | {ms[1][0]:.2f} "
              f"| {ms[1][1]:.2f} | {sum(ms[0]) / sum(ms[1]):.1f}× |")

if __name__ == "__main__":
    main()
