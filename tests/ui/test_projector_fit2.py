"""The lecture room, second pass: what was still cut off at projector sizes and zooms — the MNIST legend and
verdict, long lesson step names, the Compare table's text rows and the Inception formula, the Model Explorer's
top row, layer table columns and activation statistics."""
from __future__ import annotations

import pytest
from PySide6.QtCore import QRect, QSettings, Qt
from PySide6.QtGui import QFontMetrics
from PySide6.QtWidgets import QSplitter

from explorer.core import architectures, samples
from explorer.ui import style
from explorer.ui.lecture.inception_panel import InceptionPanel
from explorer.ui.main_window import MainWindow
from explorer.ui.model_explorer.layer_list import COLUMNS, fit_widths

FACTS = architectures.Facts(5, 61_706, 416_520, 32)


@pytest.fixture
def open_window(qtbot, tmp_path, monkeypatch):
    """A window opened as `--screenshot --size WxH --zoom Z --tab T --theme projector` opens it: zoom, theme and
    tab set before it is first shown (widgets measure their zoomed text then)."""
    monkeypatch.setattr(architectures, "facts_for", lambda key, progress=None: FACTS)   # VGG-16 takes seconds
    monkeypatch.setattr(architectures, "cpu_ms_per_image", lambda key: 1.0)
    windows = []

    def make(size: tuple[int, int], zoom: float, tab: str) -> MainWindow:
        win = MainWindow(settings=QSettings(str(tmp_path / f"{len(windows)}.ini"), QSettings.Format.IniFormat))
        qtbot.addWidget(win)
        windows.append(win)
        win.set_image(samples.load_sample(samples.default_sample().name))
        win.state.tab = tab
        win.state.zoom = zoom
        win.state.theme = "projector"
        win.resize(*size)
        win.show()
        qtbot.waitExposed(win)
        if tab == "explorer":
            qtbot.waitUntil(win.explorer.has_results, timeout=20_000)
        qtbot.wait(50)            # layouts that follow fonts applied a moment after they were set
        return win

    yield make
    for win in windows:
        win.state.theme = "normal"    # the theme's palette and style sheet are the application's: leave none behind
        win.close()
    style.set_zoom(1.0)


def wrapped_height(widget, width: int, text: str) -> int:
    """Height of ``text`` word-wrapped to ``width`` pixels in the widget's font (an oracle beside Qt's layout)."""
    flags = int(Qt.TextFlag.TextWordWrap)
    return QFontMetrics(widget.font()).boundingRect(QRect(0, 0, width, 100_000), flags, text).height()


# ----- Model Explorer ------------------------------------------------------------------------------------------

def test_fit_widths_hides_or_narrows_the_columns_that_give_way_in_order():
    natural = [28, 84, 74, 95, 58, 58, 56]                    # LeNet-5's columns: 453 px
    give_way = [(0, 0), (5, 0), (2, 40), (1, 30)]
    # 375 px: 78 too many. "#" goes (28), then the mult-adds (58): 8 to spare, the names stay whole.
    assert fit_widths(natural, 375, give_way) == [0, 84, 74, 95, 58, 0, 56]
    # 300 px: 153 too many: 28 + 58, the op 74 → 40 (34), the name the last 33 (84 → 51).
    assert fit_widths(natural, 300, give_way) == [0, 51, 40, 95, 58, 0, 56]
    assert fit_widths(natural, 200, give_way) == [0, 30, 40, 95, 58, 0, 56]   # floors hold: the view scrolls
    assert fit_widths(natural, 500, give_way) == natural                       # room enough: nothing changes
    # Then the op, the parameters and the RF hidden whole: hiding the parameters frees 19 px more than missing,
    # which go back to the name narrowed before them.
    assert fit_widths(natural, 200, give_way + [(2, 0), (4, 0), (6, 0)]) == [0, 49, 0, 95, 0, 0, 56]


def test_layer_table_shows_every_column_whole_at_1024_by_768(open_window):
    win = open_window((1024, 768), 1.0, "explorer")
    table = win.explorer.table
    viewport = table.viewport().width()
    shown = [c for c in range(len(COLUMNS)) if not table.isColumnHidden(c)]
    assert {"Layer", "Params", "RF (s)"} <= {COLUMNS[c] for c in shown}
    for column in shown:
        assert table.columnViewportPosition(column) + table.columnWidth(column) <= viewport, COLUMNS[column]
    assert not table.horizontalScrollBar().isVisible()
    rf = COLUMNS.index("RF (s)")
    assert table.columnWidth(rf) >= table.sizeHintForColumn(rf)                 # the RF text whole, not elided
    assert table.model().headerData(rf, Qt.Orientation.Horizontal, Qt.ItemDataRole.ToolTipRole).startswith(
        "Receptive field")


def test_layer_table_does_not_scroll_sideways_at_1024_by_768_zoom_1_3(open_window):
    win = open_window((1024, 768), 1.3, "explorer")
    table = win.explorer.table
    shown = [c for c in range(len(COLUMNS)) if not table.isColumnHidden(c)]
    assert {"Layer", "Shape"} <= {COLUMNS[c] for c in shown}
    assert not table.horizontalScrollBar().isVisible()
    for column in shown:
        assert table.columnViewportPosition(column) + table.columnWidth(column) <= table.viewport().width()
    model = table.model()
    for row in range(model.rowCount()):            # what gave way is in every row's tooltip, whole
        tip = model.data(model.index(row, 3), Qt.ItemDataRole.ToolTipRole)
        layer = win.explorer.rows[row]
        assert layer.name in tip and f"({layer.op})" in tip and f"Params {layer.params:,}" in tip
        assert f"MACs {layer.macs:,}" in tip and f"RF (s) {model.column(6)[row]}" in tip


@pytest.mark.parametrize("zoom", [1.0, 1.15, 1.3])
def test_model_explorer_fits_1024_wide_up_to_zoom_1_3(open_window, zoom):
    win = open_window((1024, 768), zoom, "explorer")
    win.explorer.picker.set_download(True, False)      # the widest top row: a model still to download
    assert win.minimumSizeHint().width() <= 1024
    assert win.width() == 1024


def test_activation_statistics_show_whole_at_1280_by_720(open_window, qtbot):
    win = open_window((1280, 720), 1.0, "explorer")
    stats = win.explorer.activations.stats
    qtbot.waitUntil(lambda: stats.text().startswith("min ") and "…" not in stats.text())
    assert stats.fontMetrics().horizontalAdvance(stats.text()) <= stats.contentsRect().width()


# ----- Lesson, Compare, MNIST ----------------------------------------------------------------------------------

def test_long_step_names_wrap_instead_of_scrolling_sideways(open_window):
    win = open_window((1024, 768), 1.15, "lesson")
    steps = win.lesson.steps
    assert not steps.horizontalScrollBar().isVisible()
    width = steps.viewport().width()
    wrapped = 0
    for row in range(steps.count()):
        rect = steps.visualItemRect(steps.item(row))
        text = steps.item(row).text()
        assert rect.right() < width, text
        assert rect.height() >= wrapped_height(steps, rect.width(), text), text
        wrapped += rect.height() > 1.5 * steps.fontMetrics().lineSpacing()
    assert wrapped >= 1                                 # "3. Why fully connected layers explode" takes two lines


def test_compare_table_rows_grow_with_the_zoom(open_window):
    win = open_window((1920, 1080), 1.0, "compare")
    table = win.compare.table
    introduced = architectures.COLUMNS.index("introduced") - 1
    one = table.rowHeight(introduced)
    win.state.zoom = 2.0
    assert table.rowHeight(introduced) > 1.5 * one
    for row in range(table.rowCount()):
        assert table.rowHeight(row) >= table.sizeHintForRow(row), table.verticalHeaderItem(row).text()


@pytest.mark.parametrize("page", ["inception", "shortcuts"])
def test_compare_table_does_not_scroll_sideways_at_1280_by_720_zoom_1_5(open_window, monkeypatch, page):
    monkeypatch.setattr(architectures, "facts_for",   # VGG-16's 15,470,264,320 multiply-adds: the widest number
                        lambda key, progress=None: architectures.Facts(16, 138_357_544, 15_470_264_320, 2_071))
    win = open_window((1280, 720), 1.5, "compare")
    win.state.compare.page = page
    table = win.compare.table
    assert (win.width(), win.height()) == (1280, 720)
    assert table.horizontalScrollBar().maximum() == 0
    assert win.compare.cell(0, "multiply-adds") == "15,470,264,320"
    numbers = [r for r, a in enumerate(architectures.COLUMNS[1:]) if a in architectures.NUMERIC]
    for row in numbers:                            # every number whole (an elided one would read as another)
        for column in range(table.columnCount()):
            text = table.item(row, column).text()
            assert table.fontMetrics().horizontalAdvance(text) + 6 <= table.columnWidth(column), text


@pytest.mark.parametrize(("size", "zoom"), [((1280, 720), 1.5), ((1920, 1080), 2.0), ((1024, 768), 1.0)])
def test_inception_formula_keeps_every_line(open_window, size, zoom):
    win = open_window(size, zoom, "compare")
    panel = win.compare.findChild(InceptionPanel)
    formula = panel.formula
    assert formula.text().splitlines()[-1].startswith("saving: 12,443,648 / 120,422,400")
    assert formula.height() >= wrapped_height(formula, formula.contentsRect().width(), formula.text())
    assert formula.geometry().bottom() < panel.direct_bar.geometry().top()      # the bars do not cover it


def test_mnist_legend_inside_its_chart_and_one_verdict_line_per_network(open_window, qtbot):
    win = open_window((1024, 768), 1.15, "mnist")
    bars = win.mnist.bars
    qtbot.waitUntil(lambda: bars.verdict.text().startswith("LeNet-5"), timeout=20_000)
    plot = bars.plot.getPlotItem()
    qtbot.wait(50)
    assert plot.vb.sceneBoundingRect().contains(plot.legend.sceneBoundingRect())
    lines = bars.verdict.text().splitlines()
    assert [line.split(":")[0] for line in lines] == ["LeNet-5", "Fully connected"] and "·" not in bars.verdict.text()
    assert bars.verdict.height() >= wrapped_height(bars.verdict, bars.verdict.contentsRect().width(),
                                                   bars.verdict.text())


def test_zoom_changed_under_the_projector_theme_reaches_every_inherited_font(open_window):
    """Under the theme's style sheet Qt stopped passing the window's zoomed font on to children that inherit it:
    Ctrl+= after the window showed left the Compare table, its labels and the tab bar at the application's size."""
    win = open_window((1920, 1080), 1.0, "compare")
    inherited = [win.compare.table, win.tabs.tabBar(), win.lesson.where]
    one = [w.font().pointSizeF() for w in inherited]
    win.state.zoom = 2.0
    assert [w.font().pointSizeF() for w in inherited] == pytest.approx([2 * size for size in one])
    win.state.zoom = 1.0
    assert [w.font().pointSizeF() for w in inherited] == pytest.approx(one)


def test_the_model_summary_is_one_line_at_1280_by_720_zoom_1_5(open_window, qtbot):
    """Every line above the maps is taken from them on a 720 px projector: the summary says what ran, on what and
    how long in one line (it said "37 ms onnxruntime, 40 ms in all" on a second one)."""
    win = open_window((1280, 720), 1.5, "explorer")
    win.explorer.select_model("alexnet")  # a longer line than LeNet-5's
    qtbot.waitUntil(win.explorer.has_results, timeout=60_000)
    summary = win.explorer.summary
    text = summary.text()
    assert "ran in" in text
    assert wrapped_height(summary, summary.contentsRect().width(), text) < 1.5 * summary.fontMetrics().lineSpacing()
    assert summary.height() < 1.5 * summary.fontMetrics().lineSpacing() + 2 * summary.margin() + 4


def test_the_untrained_warning_leaves_the_prediction_its_lines_at_1280_by_720_zoom_1_5(open_window, qtbot):
    """The prediction panel shows five lines there; the random-weights warning took three of them."""
    win = open_window((1280, 720), 1.5, "explorer")
    win.explorer.select_model("alexnet")  # random weights: nothing is downloaded in the tests
    qtbot.waitUntil(win.explorer.has_results, timeout=60_000)
    badge = win.explorer.predictions.badge
    assert badge.isVisible() and "random weights" in badge.text()
    lines = badge.fontMetrics().lineSpacing()
    assert wrapped_height(badge, badge.contentsRect().width(), badge.text()) <= 2 * lines
    assert badge.height() < 2.5 * lines


def test_the_strip_leaves_the_layer_table_three_rows_at_1280_by_720_zoom_1_5(open_window, qtbot):
    """The strip was 130 px whatever the window's height (its legend's four rows), a quarter of the Model
    Explorer's height on a 720 px projector, and the layer table showed two and a half rows."""
    win = open_window((1280, 720), 1.5, "explorer")
    win.explorer.select_model("alexnet")  # eight colours
    qtbot.waitUntil(win.explorer.has_results, timeout=60_000)
    qtbot.wait(50)
    view, strip, table = win.explorer, win.explorer.strip, win.explorer.table
    assert strip.height() <= 0.2 * view.height() + 1
    legend = strip.legend.geometry()
    assert legend.bottom() < strip.height() - strip.horizontalScrollBar().sizeHint().height()
    assert table.viewport().height() >= 3 * table.rowHeight(0)


def test_the_channel_mosaic_fills_its_wide_box_at_1280_by_720_zoom_1_5(open_window, qtbot):
    """A 720 px projector leaves the mosaic a box ~2.5 times as wide as tall: a square grid of AlexNet's 96 conv1
    maps used under half its width (tiles of ~17 px); laid out for the box, the tiles are ~29 px."""
    from explorer.core.mosaic import grid_for

    win = open_window((1280, 720), 1.5, "explorer")
    win.explorer.select_model("alexnet")
    qtbot.waitUntil(win.explorer.has_results, timeout=60_000)
    ex, panel = win.state.explorer, win.explorer.activations
    ex.layer = "conv1"
    qtbot.waitUntil(lambda: panel.mosaic is not None and panel.mosaic.tile == (55, 55))
    box = panel.mosaic_plot.vb.size()
    assert ex.mosaic_aspect == pytest.approx(box.width() / box.height(), rel=0.03) and ex.mosaic_aspect > 1.8
    rows, cols = panel.mosaic.grid
    assert (rows, cols) == grid_for(96, 55, 55, 1, ex.mosaic_aspect) and cols > 1.8 * rows

    def tile_px(grid: tuple[int, int]) -> float:
        """On-screen size of a tile of the mosaic fitted into the box."""
        width, height = grid[1] * 56 - 1, grid[0] * 56 - 1
        return 55 * min(box.width() / width, box.height() / height)

    assert tile_px((rows, cols)) > 1.5 * tile_px(grid_for(96, 55, 55))

    def title_fits() -> bool:
        return panel.mosaic_plot.titleLabel.item.boundingRect().width() <= panel.mosaic_view.width()

    assert title_fits() and panel.mosaic_plot.titleLabel.text.startswith("All 96 channels")
    maps = panel.findChild(QSplitter)  # the user drags the mosaic's edge: the channel's pictures get more room
    maps.setSizes([400, sum(maps.sizes()) - 400])
    # The full title, white on the projector's black, was cut off at the view's right edge
    qtbot.waitUntil(lambda: panel.mosaic_plot.titleLabel.text == "96 channels, 55×55" and title_fits())


def test_the_rf_growth_plot_keeps_its_axis_titles_and_legend_whole_at_1280_by_720_zoom_1_5(open_window, qtbot):
    """Its titles were cut off on a 720 px projector ("eptive field (input" up the side, "…main path" past the
    right edge), an empty note line took ~40 px from the plot, and the legend's entries came at zoom 1."""
    win = open_window((1280, 720), 1.5, "explorer")
    win.state.explorer.panel = "rf-growth"
    rf = win.explorer.rf_plot
    qtbot.waitUntil(lambda: rf.plot.isVisible() and rf.current is not None)
    qtbot.wait(50)
    assert not rf.note.isVisible()
    for side, along in (("left", "height"), ("bottom", "width")):
        axis = rf.plot.getAxis(side)
        title = axis.label.boundingRect().width()            # the text's own length, before any rotation
        assert title <= getattr(axis.geometry(), along)(), (side, title)
    [(_, label)] = rf.legend.items
    assert float(label.opts["size"].removesuffix("pt")) == pytest.approx(style.LABEL_PT * 1.5, abs=0.05)
