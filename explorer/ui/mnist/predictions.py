"""Ten probability bars per network, side by side, so LeNet-5 and the fully connected network can be compared."""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from explorer.ui import style

COLORS = {"LeNet-5": style.POSITIVE, "Fully connected": style.NEGATIVE}
WIDTH = 0.38


class PredictionBars(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.verdict = QLabel("Draw a digit or pick a held-out one.")
        self.verdict.setFont(style.font(style.TITLE_PT, bold=True))
        self.verdict.setWordWrap(True)  # both verdicts on one line need ~520 px; a 1024 px screen cannot spare it
        self.plot = pg.PlotWidget(background="w")
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
        self.plot.addLegend(offset=(-10, 5), labelTextSize=f"{style.LABEL_PT}pt")
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
        self.verdict.setText("   ·   ".join(parts))

    def clear(self) -> None:
        for bar in self.bars.values():
            bar.setOpts(height=np.zeros(10))
        self.verdict.setText("Draw a digit or pick a held-out one.")
