"""The lecture's weight explosion: a fully connected layer's weights grow with the image, a convolution's do not."""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import (
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from explorer.core import mnist
from explorer.ui import style

PRESETS = {"64×64 gray": (64, 64, 1), "64×64 RGB": (64, 64, 3), "MNIST 28×28": (28, 28, 1), "224×224 RGB": (224, 224, 3)}
SIDES = np.unique(np.geomspace(8, 1024, 40).astype(int))   # square image sides for the growth plot
SIDE_TICKS = (8, 16, 32, 64, 128, 256, 512, 1024)
COUNT_TICKS = {2: "100", 3: "1,000", 4: "10 k", 5: "100 k", 6: "1 M", 7: "10 M", 8: "100 M", 9: "1 G", 10: "10 G"}


def _spin(value: int, low: int, high: int, tip: str) -> QSpinBox:
    box = QSpinBox()
    box.setRange(low, high)
    box.setValue(value)
    box.setToolTip(tip)
    box.setFont(style.font())
    return box


class WeightCalculator(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.h = _spin(64, 1, 4096, "image height (pixels)")
        self.w = _spin(64, 1, 4096, "image width (pixels)")
        self.c = _spin(1, 1, 64, "channels: 1 gray, 3 RGB")
        self.n = _spin(500, 1, 100_000, "hidden units of the fully connected layer")
        self.f = _spin(5, 1, 31, "filter size f (f×f)")
        self.k = _spin(32, 1, 4096, "number of filters")

        image = QGroupBox("Image")
        form = QFormLayout(image)
        for label, box in (("height", self.h), ("width", self.w), ("channels", self.c)):
            form.addRow(label, box)
        presets = QHBoxLayout()
        for name, (h, w, c) in PRESETS.items():
            button = QPushButton(name)
            button.clicked.connect(lambda _=False, v=(h, w, c): self.set_image_size(*v))
            presets.addWidget(button)
        form.addRow(presets)
        layers = QGroupBox("Layers")
        lform = QFormLayout(layers)
        lform.addRow("fully connected: hidden units", self.n)
        lform.addRow("convolution: filter size", self.f)
        lform.addRow("convolution: filters", self.k)

        self.fc_text = QLabel()
        self.conv_text = QLabel()
        self.ratio_text = QLabel()
        for label in (self.fc_text, self.conv_text, self.ratio_text):
            label.setFont(style.font(style.FORMULA_PT, mono=True))
            label.setWordWrap(True)

        self.plot = pg.PlotWidget(background="w")
        self.plot.setMouseEnabled(False, False)
        self.plot.hideButtons()
        self.plot.setLogMode(x=True, y=True)
        self.plot.setLabel("bottom", "image side (pixels, square image)")
        self.plot.setLabel("left", "weights")
        self.plot.showGrid(x=True, y=True, alpha=0.3)
        for axis in ("left", "bottom"):
            self.plot.getAxis(axis).setTickFont(style.font(11))
            self.plot.getAxis(axis).enableAutoSIPrefix(False)
        # Log axes take log10 tick positions: name the sides and counts people know.
        self.plot.getAxis("bottom").setTicks([[(np.log10(s), str(s)) for s in SIDE_TICKS]])
        self.plot.getAxis("left").setTicks([list(COUNT_TICKS.items())])
        self.plot.addLegend(offset=(10, 10), labelTextSize=f"{style.LABEL_PT}pt")
        self.fc_curve = self.plot.plot(name="fully connected", pen=pg.mkPen(style.NEGATIVE, width=3))
        self.conv_curve = self.plot.plot(name="convolution", pen=pg.mkPen(style.POSITIVE, width=3))
        self.marker = pg.InfiniteLine(angle=90, pen=pg.mkPen("k", style=pg.QtCore.Qt.PenStyle.DashLine))
        self.plot.addItem(self.marker)

        top = QHBoxLayout()
        top.addWidget(image)
        top.addWidget(layers)
        top.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.fc_text)
        layout.addWidget(self.conv_text)
        layout.addWidget(self.ratio_text)
        layout.addWidget(self.plot, 1)
        for box in (self.h, self.w, self.c, self.n, self.f, self.k):
            box.valueChanged.connect(self.update_numbers)
        self.update_numbers()

    def set_image_size(self, h: int, w: int, c: int) -> None:
        for box, value in ((self.h, h), (self.w, w), (self.c, c)):
            box.blockSignals(True)
            box.setValue(value)
            box.blockSignals(False)
        self.update_numbers()

    def update_numbers(self) -> None:
        h, w, c, n, f, k = (b.value() for b in (self.h, self.w, self.c, self.n, self.f, self.k))
        fc = mnist.fc_weights(h, w, c, n)
        conv = mnist.conv_weights(f, c, k)
        self.fc_text.setText(f"Fully connected: {h} × {w} × {c} × {n} = {fc.weights:,} weights (+ {fc.biases:,} biases)")
        self.conv_text.setText(f"Convolution:     {f} × {f} × {c} × {k} = {conv.weights:,} weights (+ {conv.biases:,} "
                               f"biases), whatever the image size")
        self.ratio_text.setText(f"The fully connected layer needs {fc.weights / conv.weights:,.0f}× as many weights.")
        self.fc_curve.setData(SIDES, [mnist.fc_weights(s, s, c, n).weights for s in SIDES])
        self.conv_curve.setData(SIDES, [conv.weights] * len(SIDES))
        self.marker.setValue(np.log10(max(1, (h * w) ** 0.5)))
