"""The layer table sizes its columns from its precomputed texts, as Qt's resizeColumnsToContents would (the oracle:
Qt itself, which lays every cell out through the delegate and took 100–167 ms for DenseNet-121's table)."""
from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from explorer.core import inspect
from explorer.ui.model_explorer.layer_list import COLUMNS, NAME_WIDTH, LayerTable, cells
from explorer.ui.model_explorer.rows import rows_of


@pytest.fixture
def table(qtbot):
    view = LayerTable()
    qtbot.addWidget(view)
    view.resize(900, 600)
    view.show()
    return view


@pytest.mark.parametrize("model", ["lenet5", "alexnet", "googlenet", "densenet121"])
def test_columns_are_as_wide_as_qt_would_make_them(table, model):
    rows = rows_of(inspect.inspect_model(model))
    table.set_rows(rows)
    ours = [table.columnWidth(c) for c in range(len(COLUMNS))]
    table.resizeColumnsToContents()
    qt = [table.columnWidth(c) for c in range(len(COLUMNS))]
    qt[1] = min(qt[1], NAME_WIDTH)
    # The last column stretches to the table's edge; the others are as wide as Qt's own measure or a pixel wider
    # (never narrower: that would elide the widest text).
    assert all(0 <= a - b <= 1 for a, b in zip(ours[:-1], qt[:-1])), (ours, qt)


def test_the_model_shows_the_precomputed_texts(table):
    rows = rows_of(inspect.inspect_model("lenet5"))
    table.set_rows(rows)
    model = table.table_model
    assert model.rowCount() == len(rows) and model.columnCount() == len(COLUMNS)
    shown = [tuple(model.data(model.index(r, c), Qt.ItemDataRole.DisplayRole) for c in range(len(COLUMNS)))
             for r in range(len(rows))]
    assert shown == [cells(i, row) for i, row in enumerate(rows)]
    # c1: 6 filters of 5×5 on one channel plus 6 biases = 156 parameters, 28×28 outputs of 25 mult-adds each.
    c1 = next(texts for texts in shown if texts[1] == "c1")
    assert c1[2:6] == ("Conv", "6×28×28", "156", "118 k")
