"""Kernel presets plus an editable f×f grid of numbers, tinted by sign.

Preset kernels come from core; when f changes a preset is regenerated at the new size (a 5×5 "vertical edge"
is still a vertical edge), while hand-edited ("custom") kernels are resized by core's resize_kernel.
"""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt, Signal
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
from explorer.ui import style

CUSTOM = "custom"
DEFAULT_PRESET = "vertical edge"
CELL_W, CELL_H = 56, 34
MAX_ROWS_SHOWN = 7


def _fmt(v: float) -> str:
    return f"{v:.3g}"


class KernelEditor(QWidget):
    """Emits ``changed`` whenever the kernel values change (preset, size or a typed cell)."""

    changed = Signal()

    def __init__(self, size: int = 3, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.preset = QComboBox()
        self.preset.addItems([*kernels.PRESET_NAMES, CUSTOM])
        self.preset.setCurrentText(DEFAULT_PRESET if DEFAULT_PRESET in kernels.PRESET_NAMES else kernels.PRESET_NAMES[0])
        self.preset.setToolTip("Kernel preset; typing into the grid below switches to 'custom'.")
        self.preset.setMinimumHeight(34)
        self.table = QTableWidget()
        self.table.setToolTip("The kernel's weights: double-click a cell to type a number (red > 0, blue < 0).")
        self.table.setFont(style.font(style.LABEL_PT, mono=True))
        self.table.horizontalHeader().setVisible(False)
        self.table.verticalHeader().setVisible(False)
        for header in (self.table.horizontalHeader(), self.table.verticalHeader()):
            header.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.table.horizontalHeader().setDefaultSectionSize(CELL_W)
        self.table.verticalHeader().setDefaultSectionSize(CELL_H)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.DoubleClicked
                                   | QAbstractItemView.EditTrigger.EditKeyPressed
                                   | QAbstractItemView.EditTrigger.AnyKeyPressed)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(QLabel("Kernel"))
        layout.addWidget(self.preset)
        layout.addWidget(self.table)

        self._kernel = kernels.make_kernel(self.preset.currentText(), size)
        self._fill()
        self.preset.currentTextChanged.connect(self._preset_chosen)
        self.table.itemChanged.connect(self._cell_edited)

    def kernel(self) -> np.ndarray:
        return self._kernel.copy()

    def set_size(self, size: int) -> None:
        if size == self._kernel.shape[0]:
            return
        name = self.preset.currentText()
        self._kernel = (kernels.resize_kernel(self._kernel, size) if name == CUSTOM
                        else kernels.make_kernel(name, size))
        self._fill()
        self.changed.emit()

    def set_kernel(self, kernel: np.ndarray, preset: str | None = None) -> None:
        """Show these weights; the preset box names ``preset`` when they come from one, else 'custom'."""
        self._kernel = np.array(kernel, np.float32)
        self.preset.blockSignals(True)
        self.preset.setCurrentText(preset if preset in kernels.PRESET_NAMES else CUSTOM)
        self.preset.blockSignals(False)
        self._fill()
        self.changed.emit()

    def set_cell(self, row: int, col: int, value: float) -> None:
        """Same path as typing into a cell (used by tests and by keyboard-free scripting)."""
        self.table.item(row, col).setText(_fmt(value))

    def _preset_chosen(self, name: str) -> None:
        if name == CUSTOM:
            return  # keep the current numbers; they are now the user's
        self._kernel = kernels.make_kernel(name, self._kernel.shape[0])
        self._fill()
        self.changed.emit()

    def _cell_edited(self, item: QTableWidgetItem) -> None:
        try:
            value = float(item.text().replace(",", "."))
        except ValueError:
            value = float(self._kernel[item.row(), item.column()])  # not a number: put the old value back
        self._kernel[item.row(), item.column()] = value
        self._fill()
        if self.preset.currentText() != CUSTOM:
            self.preset.blockSignals(True)
            self.preset.setCurrentText(CUSTOM)
            self.preset.blockSignals(False)
        self.changed.emit()

    def _fill(self) -> None:
        f = self._kernel.shape[0]
        shown = min(f, MAX_ROWS_SHOWN)  # bigger kernels scroll inside the table
        self.table.setFixedHeight(shown * CELL_H + 2 * self.table.frameWidth() + (18 if f > shown else 0))
        scale = float(np.abs(self._kernel).max())
        self.table.blockSignals(True)
        self.table.setRowCount(f)
        self.table.setColumnCount(f)
        for r in range(f):
            for c in range(f):
                v = float(self._kernel[r, c])
                item = QTableWidgetItem(_fmt(v))
                item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                item.setBackground(style.sign_tint(v, scale))
                self.table.setItem(r, c, item)
        self.table.blockSignals(False)
