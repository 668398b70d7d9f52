"""Ten probability bars per network, side by side, so LeNet-5 and the fully connected network can be compared."""
from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QSize
from PySide6.QtWidgets import QVBoxLayout, QWidget

from explorer.ui import style
from explorer.ui.wrapped_label import WrappedLabel

COLORS = {"LeNet-5": style.POSITIVE, "Fully connected": style.NEGATIVE}
WIDTH = 0.38
LEGEND_INSET = 10   # pixels between the legend and the plot's right edge


class LegendWideChart(pg.PlotWidget):
    """A chart never narrower than its legend: at zoom 1.15 on 1024 px the legend overflowed the plot, cutting
    off its colour squares and first letters."""

    def minimumSizeHint(self) -> QSize:  # noqa: N802 (Qt naming)
        item = self.getPlotItem()
        hint = super().minimumSizeHint()
        if item.legend is None:
            return hint
        around_plot = self.width() - item.vb.width()          # the axis, its title and the margins
        needed = around_plot + item.legend.boundingRect().width() + 2 * LEGEND_INSET
        return QSize(max(hint.width(), math.ceil(needed)), hint.height())


class PredictionBars(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        # One line per network: both on one line need ~520 px, and wrapped they left a stray "·" at 1024 px.
        self.verdict = WrappedLabel("Draw a digit or pick a held-out one.")
        self.verdict.setFont(style.font(style.TITLE_PT, bold=True))
        self.plot = LegendWideChart(background="w")
        self.plot.setMouseEnabled(False, False)
        self.plot.hideButtons()
        self.plot.setYRange(0, 128, padding=0)  # headroom above 100 % holds the legend, clear of every bar
        self.plot.setXRange(-0.6, 9.6, padding=0)
        self.plot.setLabel("left", "probability (%)")
        self.plot.setLabel("bottom", "digit")
        bottom = self.plot.getAxis("bottom")
        bottom.setTicks([[(d, str(d)) for d in range(10)]])
        self.plot.getAxis("left").setTicks([[(v, str(v)) for v in range(0, 101, 20)]])
        for axis in ("left", "bottom"):
            self.plot.getAxis(axis).setTickFont(style.font(11))
        legend = self.plot.addLegend(offset=(-LEGEND_INSET, 5), labelTextSize=f"{style.LABEL_PT}pt")
        legend.geometryChanged.connect(self.plot.updateGeometry)   # zoomed labels widen it a moment later
        self.bars: dict[str, pg.BarGraphItem] = {}
        for i, (name, color) in enumerate(COLORS.items()):
            offset = (i - 0.5) * WIDTH
            bar = pg.BarGraphItem(x=np.arange(10) + offset, height=np.zeros(10), width=WIDTH, brush=color,
                                  pen=None, name=name)
            self.plot.addItem(bar)
            self.bars[name] = bar
        layout = QVBoxLayout(self)
        layout.addWidget(self.verdict)
        layout.addWidget(self.plot, 1)

    def show_probabilities(self, probabilities: dict[str, np.ndarray]) -> None:
        parts = []
        for name, bar in self.bars.items():
            p = probabilities.get(name)
            if p is None:
                continue
            bar.setOpts(height=p * 100)
            best = int(np.argmax(p))
            parts.append(f"{name}: {best} ({p[best]:.0%})")
        self.verdict.setText("\n".join(parts))

    def clear(self) -> None:
        for bar in self.bars.values():
            bar.setOpts(height=np.zeros(10))
        self.verdict.setText("Draw a digit or pick a held-out one.")
