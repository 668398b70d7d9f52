"""CNN against fully connected: parameter counts, held-out accuracy, and accuracy as the digits move."""
from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from explorer.core import mnist
from explorer.ui import style
from explorer.ui.mnist.predictions import COLORS

ROWS = ("Parameters", "Held-out accuracy (measured here)", "Accuracy when trained")


class ComparisonView(QWidget):
    measure_requested = Signal(str)   # a key of mnist.DIRECTIONS

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.names = list(COLORS)
        self.cells: dict[tuple[int, str], QLabel] = {}
        table = QGridLayout()
        for col, name in enumerate(self.names, start=1):
            head = QLabel(name)
            head.setFont(style.font(style.TITLE_PT, bold=True))
            head.setStyleSheet(f"color: {COLORS[name].name()}")
            table.addWidget(head, 0, col, Qt.AlignmentFlag.AlignRight)
        for row, title in enumerate(ROWS, start=1):
            label = QLabel(title)
            label.setFont(style.font())
            table.addWidget(label, row, 0)
            for col, name in enumerate(self.names, start=1):
                cell = QLabel("…")
                cell.setFont(style.font(style.TITLE_PT, mono=True))
                table.addWidget(cell, row, col, Qt.AlignmentFlag.AlignRight)
                self.cells[(row, name)] = cell
        table.setColumnStretch(3, 1)

        self.direction = QComboBox()
        self.direction.addItems(list(mnist.DIRECTIONS))
        self.direction.setToolTip("Which way every held-out digit is moved (zero fill)")
        self.measure_button = QPushButton("Measure")
        self.measure_button.clicked.connect(lambda: self.measure_requested.emit(self.direction.currentText()))
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setTextVisible(True)
        self.progress.setFormat("not measured yet")
        controls = QHBoxLayout()
        shift_label = QLabel("Shift every held-out digit")
        shift_label.setFont(style.font())
        controls.addWidget(shift_label)
        controls.addWidget(self.direction)
        controls.addWidget(self.measure_button)
        controls.addWidget(self.progress, 1)

        self.plot = pg.PlotWidget(background="w")
        self.plot.setMouseEnabled(False, False)
        self.plot.hideButtons()
        self.plot.setLabel("bottom", "shift (pixels)")
        self.plot.setLabel("left", "accuracy (%)")
        self.plot.setYRange(0, 100, padding=0.02)
        self.plot.setXRange(0, max(mnist.SHIFTS), padding=0.04)
        self.plot.getAxis("bottom").setTicks([[(s, str(s)) for s in mnist.SHIFTS]])
        self.plot.showGrid(x=True, y=True, alpha=0.3)
        for axis in ("left", "bottom"):
            self.plot.getAxis(axis).setTickFont(style.font(11))
        self.plot.addLegend(offset=(-10, 10), labelTextSize=f"{style.LABEL_PT}pt")
        self.curves = {name: self.plot.plot([], [], name=name, pen=pg.mkPen(COLORS[name], width=3), symbol="o",
                                            symbolBrush=COLORS[name], symbolSize=9) for name in self.names}
        note = QLabel("Both networks were trained the same way, on centred digits, without shifted copies. "
                      "Shared 5×5 filters and pooling let LeNet-5 tolerate small moves; the fully connected "
                      "network has a separate weight for every pixel position.")
        note.setWordWrap(True)
        note.setFont(style.font())

        layout = QVBoxLayout(self)
        layout.addLayout(table)
        layout.addLayout(controls)
        layout.addWidget(self.plot, 1)
        layout.addWidget(note)

    def set_params(self, params: dict[str, int], recorded: dict[str, float | None]) -> None:
        for name in self.names:
            self.cells[(1, name)].setText(f"{params[name]:,}")
            value = recorded.get(name)
            self.cells[(3, name)].setText("—" if value is None else f"{value:.1%}")
        if params.get("LeNet-5"):
            ratio = params["Fully connected"] / params["LeNet-5"]
            self.cells[(1, "Fully connected")].setToolTip(f"{ratio:.1f}× as many as LeNet-5")

    def set_busy(self, busy: bool) -> None:
        self.measure_button.setEnabled(not busy)
        self.direction.setEnabled(not busy)
        if busy:
            self.progress.setValue(0)
            self.progress.setFormat("starting… %p%")

    def set_progress(self, fraction: float, message: str) -> None:
        self.progress.setValue(round(fraction * 1000))
        self.progress.setFormat(message)

    def set_curve(self, curve: mnist.ShiftCurve) -> None:
        for name, values in curve.accuracy.items():
            if name in self.curves:
                self.curves[name].setData(list(curve.shifts), [v * 100 for v in values])
                if curve.shifts and curve.shifts[0] == 0:
                    self.cells[(2, name)].setText(f"{values[0]:.1%}")
        self.plot.setTitle(f"Accuracy as every held-out digit moves {curve.direction}", color="k",
                           size=f"{style.TITLE_PT}pt")
        self.progress.setValue(1000)
        self.progress.setFormat(f"measured ({curve.direction})")
        self.set_busy(False)
