"""Marks one output unit's kernel taps on the input, plus the zero-padding band around the image.

Every tap is a small square (so dilation shows as gaps); taps that fall in the padding are drawn in another
colour. Two ScatterPlotItems and one path item, whatever f is — hundreds of separate items would crawl.
"""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QPainterPath
from PySide6.QtWidgets import QGraphicsPathItem, QGraphicsRectItem

from explorer.ui import style

_TAP_SIZE = 0.72  # in pixels of the image: the gap to the next tap stays visible even at d = 1


class TapOverlay:
    def __init__(self, plot: pg.PlotItem) -> None:
        self.band = QGraphicsPathItem()
        self.band.setBrush(pg.mkBrush(style.PADDING_BAND))
        self.band.setPen(pg.mkPen(style.TAP_PADDING, width=1, style=Qt.PenStyle.DashLine))
        self.band.setZValue(5)
        self.box = QGraphicsRectItem()
        self.box.setPen(pg.mkPen(style.TAP, width=2, style=Qt.PenStyle.DashLine))
        self.box.setZValue(6)
        # Cosmetic 2 px outlines keep taps visible as dots when a big image is zoomed out.
        self.inside = pg.ScatterPlotItem(pxMode=False, symbol="s", size=_TAP_SIZE,
                                         pen=pg.mkPen(style.TAP, width=3), brush=pg.mkBrush(style.TAP_FILL))
        self.padding = pg.ScatterPlotItem(pxMode=False, symbol="s", size=_TAP_SIZE,
                                          pen=pg.mkPen(style.TAP_PADDING, width=3), brush=pg.mkBrush(255, 255, 255, 160))
        for item in (self.band, self.box, self.inside, self.padding):
            plot.addItem(item)
        self.inside.setZValue(7)
        self.padding.setZValue(7)
        self.clear()

    def set_padding(self, hw: tuple[int, int], rows: tuple[int, int], cols: tuple[int, int]) -> None:
        """Band of the given widths (top, bottom), (left, right) just outside an h×w image."""
        h, w = hw
        path = QPainterPath()
        if any(rows) or any(cols):
            path.addRect(QRectF(-cols[0], -rows[0], w + cols[0] + cols[1], h + rows[0] + rows[1]))
            path.addRect(QRectF(0, 0, w, h))  # odd-even fill: the image itself stays clear
        self.band.setPath(path)

    def show_taps(self, taps: np.ndarray, in_padding: np.ndarray, box: tuple[int, int, int, int]) -> None:
        """taps (n, 2) input (row, col), in_padding (n,) bool, box (top, left, bottom, right) — all from core."""
        for item, sel in ((self.inside, ~in_padding), (self.padding, in_padding)):
            t = taps[sel]
            item.setData(x=t[:, 1] + 0.5, y=t[:, 0] + 0.5)
        top, left, bottom, right = box
        self.box.setRect(QRectF(left, top, right - left + 1, bottom - top + 1))
        self.box.show()

    def clear(self) -> None:
        self.inside.clear()
        self.padding.clear()
        self.box.hide()

    def marked_taps(self) -> tuple[np.ndarray, np.ndarray]:
        """What is drawn, read back from the items: ((n, 2) taps in image (row, col), (n,) in-padding flags)."""
        parts, flags = [], []
        for item, flag in ((self.inside, False), (self.padding, True)):
            x, y = item.getData()
            parts.append(np.stack([np.floor(y), np.floor(x)], axis=1).astype(int))
            flags.append(np.full(len(x), flag))
        return np.concatenate(parts), np.concatenate(flags)
