"""Kernel presets plus an editable f×f grid of numbers, tinted by sign, bound to the Playground state.

The kernel lives in the state, not here: choosing a preset, typing a weight or changing f writes intent into the
state, and the grid repaints from the state's kernel whatever changed it (a lecture example, a restored session).
"""
from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from explorer.core import kernels
from explorer.core.errors import UserError
from explorer.state.playground import CUSTOM, PlaygroundState
from explorer.ui import style
from explorer.ui.binding import Coalesced, bind, connect

CELL_W, CELL_H = 56, 34
MAX_ROWS_SHOWN = 7


def _fmt(v: float) -> str:
    return f"{v:.3g}"


class KernelEditor(QWidget):
    def __init__(self, state: PlaygroundState, report: Callable[[str], None], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self._report = report  # where a refused weight ("nan") is explained
        self.preset = QComboBox()
        self.preset.addItems([*kernels.PRESET_NAMES, CUSTOM])
        self.preset.setToolTip("Kernel preset; typing into the grid below switches to 'custom'.")
        self.preset.setMinimumHeight(34)
        self.table = QTableWidget()
        self.table.setToolTip("The kernel's weights: double-click a cell to type a number (red > 0, blue < 0).")
        self.table.setFont(style.font(style.LABEL_PT, mono=True))
        self.table.horizontalHeader().setVisible(False)
        self.table.verticalHeader().setVisible(False)
        for header in (self.table.horizontalHeader(), self.table.verticalHeader()):
            header.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.table.installEventFilter(self)   # presentation zoom changes the font: cells grow with it
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.DoubleClicked
                                   | QAbstractItemView.EditTrigger.EditKeyPressed
                                   | QAbstractItemView.EditTrigger.AnyKeyPressed)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(QLabel("Kernel"))
        layout.addWidget(self.preset)
        layout.addWidget(self.table)

        bind(self.preset, state.events.preset, lambda: self.preset.setCurrentText(state.preset),
             self.preset.currentTextChanged, state.set_preset)
        self._fill()
        self._repaint = Coalesced(self, self._fill)  # a held ] key regenerates the kernel 30 times a second
        connect(self, state.events.kernel, self._repaint.trigger)
        self.table.itemChanged.connect(self._cell_edited)

    def flush(self) -> None:
        self._repaint.flush()

    def shutdown(self) -> None:
        self._repaint.stop()

    def set_cell(self, row: int, col: int, value: float) -> None:
        """Same path as typing into a cell (tests and keyboard-free scripting)."""
        self.table.item(row, col).setText(_fmt(value))

    def _cell_edited(self, item: QTableWidgetItem) -> None:
        try:
            self.state.set_cell(item.row(), item.column(), float(item.text().replace(",", ".")))
        except ValueError:
            self._report(f"“{item.text()}” is not a number: type a weight such as 0.5 or -1.")
            self._fill()  # put the state's value back
        except UserError as exc:
            self._report(str(exc))
            self._fill()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt naming)
        if watched is self.table and event.type() == QEvent.Type.FontChange:
            self._fill()
        return False

    def _fill(self, *_: object) -> None:
        kernel = self.state.kernel
        f = len(kernel)
        shown = min(f, MAX_ROWS_SHOWN)  # bigger kernels scroll inside the table
        zoom = self.table.font().pointSizeF() / style.LABEL_PT   # the table's font carries the presentation zoom
        cell_h = round(CELL_H * zoom)
        self.table.horizontalHeader().setDefaultSectionSize(round(CELL_W * zoom))
        self.table.verticalHeader().setDefaultSectionSize(cell_h)
        self.table.setFixedHeight(shown * cell_h + 2 * self.table.frameWidth() + (18 if f > shown else 0))
        scale = max(abs(v) for row in kernel for v in row)
        blocked = self.table.blockSignals(True)
        self.table.setRowCount(f)
        self.table.setColumnCount(f)
        for r in range(f):
            for c in range(f):
                v = kernel[r][c]
                item = QTableWidgetItem(_fmt(v))
                item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                item.setBackground(style.sign_tint(v, scale))
                self.table.setItem(r, c, item)
        self.table.blockSignals(blocked)
