"""Padding against dilation, side by side: the Playground's input and output canvases twice, one output unit
chosen on both, its taps drawn on each input with the Playground's tap overlay.

Everything shown comes from ``state.lesson.pair_panels`` (sizes, fields and formula from core); pointing at or
clicking an output unit on either side writes ``state.lesson.pair_unit``, so the two sides stay in step.
"""
from __future__ import annotations

import numpy as np
from PySide6.QtWidgets import QGridLayout, QLabel, QWidget

from explorer.core.pad_vs_dilation import Panel
from explorer.state import AppState
from explorer.state.lesson import pair_panels
from explorer.ui import style
from explorer.ui.binding import connect
from explorer.ui.playground.canvases import InputCanvas, OutputCanvas
from explorer.ui.playground.tap_overlay import TapOverlay


class _Side:
    """One convolution: title, formula, input with taps, output with the chosen unit, and what the unit reads."""

    def __init__(self, panel: Panel, margin: int, layout: QGridLayout, column: int) -> None:
        self.title = QLabel(panel.title)
        self.title.setFont(style.font(style.TITLE_PT + 2, bold=True))
        self.formula = QLabel(panel.formula())
        self.formula.setWordWrap(True)
        self.formula.setFont(style.font(style.TITLE_PT, mono=True))   # the two lines line up
        self.input = InputCanvas("Input")
        self.output = OutputCanvas("Output")
        for canvas in (self.input, self.output):
            canvas.setMinimumSize(120, 120)
            for axis in ("left", "bottom"):   # the printed values and grid say it all; the room goes to the cells
                canvas.plot.hideAxis(axis)
        self.output.colorbar.hide()
        self.output.plot.layout.removeItem(self.output.colorbar)
        self.taps = TapOverlay(self.input.plot)
        self.field = QLabel()
        self.field.setWordWrap(True)
        self.field.setFont(style.font(style.TITLE_PT))
        h, w = panel.image.shape
        self.input.set_input(panel.shown, panel.image, panel.image.astype(np.float32), "gray")
        self.input.fit((margin,) * 4)     # both inputs framed alike, so their cells are the same size
        self.taps.set_padding((h, w), panel.pads, panel.pads)
        self.output.set_map(panel.output)
        self.output.set_title(f"Output {panel.output.shape[0]}×{panel.output.shape[1]}")
        layout.addWidget(self.title, 0, column, 1, 2)
        layout.addWidget(self.formula, 1, column, 1, 2)
        layout.addWidget(self.input, 2, column)
        layout.addWidget(self.output, 2, column + 1)
        layout.addWidget(self.field, 3, column, 1, 2)

    def show_unit(self, panel: Panel) -> None:
        field = panel.field
        self.taps.show_taps(field.taps, field.in_padding, field.box)
        self.output.mark(*panel.unit)
        self.field.setText(panel.field_text())


class PairPicture(QWidget):
    def __init__(self, state: AppState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.lesson = state.lesson
        panels = pair_panels(self.lesson)
        margin = max(panel.pads[0] for panel in panels)
        layout = QGridLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setRowStretch(2, 1)
        layout.setHorizontalSpacing(10)
        for column, stretch in enumerate((3, 2, 3, 2)):   # the inputs carry the point: the taps
            layout.setColumnStretch(column, stretch)
        self.sides = [_Side(panel, margin, layout, 2 * i) for i, panel in enumerate(panels)]
        for side in self.sides:
            side.output.hovered.connect(self._point_at)
            side.output.clicked.connect(self._point_at)
        connect(self, self.lesson.events.pair_unit, self._show)
        self._show()

    def _point_at(self, row: int, col: int) -> None:
        if row >= 0:   # leaving the map keeps the last unit on screen
            self.lesson.pair_unit = (row, col)

    def _show(self, *_: object) -> None:
        for side, panel in zip(self.sides, pair_panels(self.lesson)):
            side.show_unit(panel)
