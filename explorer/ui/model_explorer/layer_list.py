"""The layer table: one model row per layer (a QAbstractTableModel, not a widget per row)."""
from __future__ import annotations

import math

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QFontMetricsF
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QStyle, QTableView, QWidget

from explorer.ui import style
from explorer.ui.model_explorer.rows import Row

SHORT_OPS = {"BatchNormalization": "BatchNorm", "GlobalAveragePool": "GlobalAvgPool"}  # keep the table narrow
_ROOT = QModelIndex()  # the invalid index: a flat table's only parent
NAME_WIDTH = 210  # pixels; longer names are elided at the start (full name in the tooltip)
COLUMNS = ("#", "Layer", "Op", "Output shape", "Params", "Mult-adds", "RF (stride)")


def compact(n: int) -> str:
    """1234567 -> '1.23 M': big counts readable at a glance."""
    for limit, suffix in ((1e9, " G"), (1e6, " M"), (1e3, " k")):
        if n >= limit:
            return f"{n / limit:.3g}{suffix}"
    return str(n) if n else "–"


def cells(index: int, row: Row) -> tuple[str, ...]:
    """What the table shows for a row, one string per column (formatted once per model, not per paint)."""
    return (str(index), row.name, SHORT_OPS.get(row.op, row.op),
            "×".join(str(d) for d in row.shape[1:]) if row.shape else "?",
            compact(row.params), compact(row.macs), rf_text(row))


def rf_text(row: Row) -> str:
    if row.rf is None:
        return "all"
    (h, w), (sh, sw) = row.rf.size, row.rf.stride
    size = f"{h}" if h == w else f"{h}×{w}"
    stride = f"{sh}" if sh == sw else f"{sh}×{sw}"
    return f"{size} ({stride})"


class LayerTableModel(QAbstractTableModel):
    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self._rows: list[Row] = []
        self._cells: list[tuple[str, ...]] = []

    def set_rows(self, rows: list[Row]) -> None:
        self.beginResetModel()
        self._rows = rows
        self._cells = [cells(i, row) for i, row in enumerate(rows)]
        self.endResetModel()

    def column(self, column: int) -> list[str]:
        return [texts[column] for texts in self._cells]

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = _ROOT) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = _ROOT) -> int:
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return COLUMNS[section]
        return None

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        row = self._rows[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return self._cells[index.row()][index.column()]
        if role == Qt.ItemDataRole.TextAlignmentRole and index.column() in (0, 4, 5):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ToolTipRole:
            if index.column() == 6:
                return ("Receptive field: input pixels one unit sees (stride between neighbouring units)"
                        if row.rf else "Every unit sees the whole input.")
            in_file = f"\nin the file: {row.file_name}" if row.file_name else ""
            return f"{row.name} ({row.op}) -> tensor {row.tensor}{in_file}"
        return None


class LayerTable(QTableView):
    """Selecting a row is the one way the current layer changes (buttons, keys and the strip select rows)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.table_model = LayerTableModel(self)
        self.setModel(self.table_model)
        self.setFont(style.font(style.LABEL_PT))
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setAlternatingRowColors(True)
        self.verticalHeader().hide()
        self.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 6)
        header = self.horizontalHeader()
        # Sized once per model in set_rows (_fit_columns): ResizeToContents would re-measure every row on each
        # relayout.
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        # Long names (denseblock1/denselayer1/norm1) keep their most specific end; the tooltip has the rest.
        self.setTextElideMode(Qt.TextElideMode.ElideLeft)
        self.setWordWrap(False)  # wrapping would split names at "/" and defeat the eliding

    def set_rows(self, rows: list[Row]) -> None:
        self.table_model.set_rows(rows)
        self._fit_columns()

    def _fit_columns(self) -> None:
        """Each column as wide as its widest text or its header (the name column at most NAME_WIDTH).
        resizeColumnsToContents lays out every cell through the delegate and the style: 100–167 ms on the GUI
        thread for DenseNet-121. The font measures each distinct string once instead (the delegate's margins
        and the grid line added as Qt adds them)."""
        metrics = QFontMetricsF(self.font())
        margin = 2 * (self.style().pixelMetric(QStyle.PixelMetric.PM_FocusFrameHMargin, None, self) + 1)
        # + 1: the grid line, and 1 more because Qt's text layout can round a width ending in .94 up to the next
        # pixel but one ("2.42 k": 49.94 → 51); a column one pixel short elides its widest text.
        margin += (1 if self.showGrid() else 0) + 1
        header = self.horizontalHeader()
        for column in range(len(COLUMNS)):
            texts = set(self.table_model.column(column))
            text = math.ceil(max((metrics.horizontalAdvance(t) for t in texts), default=0.0)) + margin
            width = max(text, header.sectionSizeHint(column))
            self.setColumnWidth(column, min(width, NAME_WIDTH) if column == 1 else width)

    def content_width(self) -> int:
        """Width that shows every column without scrolling."""
        return self.horizontalHeader().length() + self.verticalScrollBar().sizeHint().width() + 2 * self.frameWidth()

    def current_row(self) -> int:
        index = self.currentIndex()
        return index.row() if index.isValid() else -1

    def select_row(self, row: int) -> None:
        count = self.table_model.rowCount()
        if count:
            self.selectRow(max(0, min(row, count - 1)))
