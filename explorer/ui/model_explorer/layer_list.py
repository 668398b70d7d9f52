"""The layer table: one model row per layer (a QAbstractTableModel, not a widget per row)."""
from __future__ import annotations

import math

from PySide6.QtCore import QAbstractTableModel, QEvent, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QFontMetricsF
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QStyle, QTableView, QWidget

from explorer.ui import style
from explorer.ui.model_explorer.rows import Row

SHORT_OPS = {"BatchNormalization": "BatchNorm", "GlobalAveragePool": "GlobalAvgPool",  # keep the table narrow
             "AveragePool": "AvgPool"}
_ROOT = QModelIndex()  # the invalid index: a flat table's only parent
NAME_WIDTH = 210  # pixels; longer names are elided at the start (full name in the tooltip)
# Compact headers, so Params, MACs and RF stay in view beside the activations at 1024 px; the tooltip says it all.
COLUMNS = ("#", "Layer", "Op", "Shape", "Params", "MACs", "RF (s)")
HEADER_TIPS = ("Position in the graph", "Layer name (as the paper names it)", "ONNX operator",
               "Output shape: channels × height × width", "Learned parameters", "Multiply-adds per image",
               "Receptive field: input pixels one unit sees (stride between neighbouring units)")
# When the column is narrower than every column's text (1024 px: 375 px for LeNet-5's 453, DenseNet's 695; at zoom
# 1.3 217 px for 417), the row number gives way first, then the mult-adds (the summary line has the total), both
# hidden whole; then the operator and the name are elided down to a few characters; then the operator, the
# parameters and the RF are hidden in that order. The name (elided) and the shape stay. Every row's tooltip holds
# all of its columns whole, so nothing that gives way is lost.
GIVE_WAY = ((0, ""), (5, ""), (2, "Conv"), (1, "…v1"), (2, ""), (4, ""), (6, ""))


def fit_widths(natural: list[int], available: int, give_way: list[tuple[int, int]]) -> list[int]:
    """Column widths within ``available`` pixels: the ``natural`` ones, with the (column, floor) pairs of
    ``give_way`` narrowed in order towards their floor by what does not fit; a floor of 0 hides the column whole
    (a cut number would read as a wrong one)."""
    widths = list(natural)
    excess = sum(natural) - available
    for column, floor in give_way:
        if excess <= 0:
            break
        cut = widths[column] if floor == 0 else max(0, min(excess, widths[column] - floor))
        widths[column] -= cut
        excess -= cut
    # A column hidden whole can free more than was missing: the spare goes back to the columns narrowed before it.
    for column, _ in reversed(give_way):
        if 0 < widths[column] < natural[column] and excess < 0:
            back = min(-excess, natural[column] - widths[column])
            widths[column] += back
            excess += back
    return widths


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


def tooltip(index: int, row: Row, texts: tuple[str, ...]) -> str:
    """The whole row (``texts``: its cells), for columns given way or elided: counts in full, the op unshortened."""
    in_file = f"\nin the file: {row.file_name}" if row.file_name else ""
    return (f"{index}: {row.name} ({row.op}) -> tensor {row.tensor}{in_file}\n"
            f"{COLUMNS[3]} {texts[3]} · {COLUMNS[4]} {row.params:,} · {COLUMNS[5]} {row.macs:,} · "
            f"{COLUMNS[6]} {texts[6]}")


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
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.ToolTipRole:
            return HEADER_TIPS[section]
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
                return HEADER_TIPS[6] if row.rf else "Every unit sees the whole input."
            return tooltip(index.row(), row, self._cells[index.row()])
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
        self._natural = [0] * len(COLUMNS)

    def set_rows(self, rows: list[Row]) -> None:
        self.table_model.set_rows(rows)
        self._measure()

    def content_width(self) -> int:
        """Width that shows every column whole without scrolling."""
        return sum(self._natural) + self.verticalScrollBar().sizeHint().width() + 2 * self.frameWidth()

    def _measure(self) -> None:
        """Each column's width for its widest text or its header (the name column at most NAME_WIDTH), once per
        model and zoom (not on every relayout). sizeHintForColumn lays out every cell through the delegate and the
        style: 100–167 ms on the GUI thread for DenseNet-121. The font measures each distinct string once instead
        (the delegate's margins and the grid line added as Qt adds them)."""
        metrics = QFontMetricsF(self.font())
        margin = 2 * (self.style().pixelMetric(QStyle.PixelMetric.PM_FocusFrameHMargin, None, self) + 1)
        # + 1: the grid line, and 1 more because Qt's text layout can round a width ending in .94 up to the next
        # pixel but one ("2.42 k": 49.94 → 51); a column one pixel short elides its widest text.
        margin += (1 if self.showGrid() else 0) + 1
        header = self.horizontalHeader()
        self._natural = []
        for column in range(len(COLUMNS)):
            self.setColumnHidden(column, False)   # a hidden section's size hint is 0: _fit hides it again
            texts = set(self.table_model.column(column))
            text = math.ceil(max((metrics.horizontalAdvance(t) for t in texts), default=0.0)) + margin
            self._natural.append(max(text, header.sectionSizeHint(column)))
        self._natural[1] = min(self._natural[1], NAME_WIDTH)
        self._fit()

    def _fit(self) -> None:
        if not any(self._natural):    # no model yet: Qt's default widths
            return
        floors = [(c, self.fontMetrics().horizontalAdvance(text + "  ") if text else 0) for c, text in GIVE_WAY]
        for column, width in enumerate(fit_widths(self._natural, self.viewport().width(), floors)):
            self.setColumnHidden(column, width == 0)
            self.setColumnWidth(column, width)

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt naming)
        super().resizeEvent(event)
        self._fit()

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 (Qt naming)
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange:   # zoom: wider text, wider columns, fitted again
            self._measure()

    def current_row(self) -> int:
        index = self.currentIndex()
        return index.row() if index.isValid() else -1

    def select_row(self, row: int) -> None:
        count = self.table_model.rowCount()
        if count:
            self.selectRow(max(0, min(row, count - 1)))
