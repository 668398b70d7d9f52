"""Receptive-field size against depth along the main path (core.rf_growth), optionally for every built-in."""
from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import Signal
from PySide6.QtWidgets import QCheckBox, QLabel, QVBoxLayout, QWidget

from explorer.core.rf_growth import rf_curve
from explorer.ui import style

PALETTE = [(31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40), (148, 103, 189), (140, 86, 75),
           (227, 119, 194), (127, 127, 127)]


class RFGrowthPlot(QWidget):
    compare_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.plot = pg.PlotWidget()
        self.plot.setMenuEnabled(False)
        self.plot.showGrid(x=True, y=True, alpha=0.3)
        # Short enough for the plot on a 720 px projector at zoom 1.5 (~780×250 px): longer titles were cut off
        self.plot.setLabel("bottom", "depth: n-th convolution or pooling on the main path")
        self.plot.setLabel("left", "RF (input px)")
        for axis in ("left", "bottom"):
            self.plot.getAxis(axis).setTickFont(style.font(style.LABEL_PT))
            self.plot.getAxis(axis).label.setFont(style.font(style.LABEL_PT))
        self.legend = self.plot.addLegend(labelTextSize=f"{style.LABEL_PT}pt", offset=(10, 10))
        self.compare = QCheckBox("Compare all built-in architectures")
        self.compare.setFont(style.font(style.LABEL_PT))
        self.note = QLabel()
        self.note.setFont(style.font(style.LABEL_PT))
        self.note.hide()  # an empty line took the plot ~40 px on a 720 px projector
        box = QVBoxLayout(self)
        box.setContentsMargins(0, 0, 0, 0)
        box.addWidget(self.compare)
        box.addWidget(self.plot, 1)
        box.addWidget(self.note)
        self.current: tuple[str, object] | None = None
        self.others: dict[str, object] = {}
        self.compare.toggled.connect(self._toggled)

    def set_current(self, title: str | None, info=None) -> None:
        """The chosen model's curve (the thick line); None while it loads."""
        self.current = None if title is None else (title, info)
        self._redraw()

    def add_builtin(self, title: str, info) -> None:
        self.others[title] = info
        self._redraw()

    def _toggled(self, on: bool) -> None:
        if on and not self.others:
            self._say("Inspecting the built-ins in the background…")
            self.compare_requested.emit()
        self._redraw()

    def _redraw(self) -> None:
        self.plot.clear()
        self.legend.clear()
        # New entries at the zoom now: zoom.py rescales the items there were when the zoom was set
        self.legend.setLabelTextSize(f"{style.LABEL_PT * style.zoom():.1f}pt")
        curves: list[tuple[str, object, int]] = []
        if self.compare.isChecked():
            curves += [(t, info, 1) for t, info in sorted(self.others.items())
                       if not self.current or t != self.current[0]]
        if self.current:
            curves.append((self.current[0], self.current[1], 4))
        for i, (title, info, width) in enumerate(curves):
            depth, size = rf_curve(info)
            colour = (255, 255, 255) if width > 1 else PALETTE[i % len(PALETTE)]
            self.plot.plot(depth, size, pen=pg.mkPen(colour, width=width), symbol="o", symbolSize=5,
                           symbolBrush=colour, name=title)
        if self.compare.isChecked() and self.others:
            self._say(f"{len(self.others)} built-ins compared; the current model is the thick white line.")
        elif not self.compare.isChecked():
            self._say("")

    def _say(self, text: str) -> None:
        self.note.setText(text)
        self.note.setVisible(bool(text))
