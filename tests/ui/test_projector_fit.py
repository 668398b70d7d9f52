"""The lecture room: zoom scales every chart text and the arithmetic's rich text together, the projector theme
makes chart text black and bold, the Model Explorer's panel tabs all show at 1024×768, and the magnifier blows the
hovered unit's window up on large images."""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
import pytest
from PySide6.QtCore import QPoint, QRect, QSettings, Qt
from PySide6.QtGui import QColor, QFontMetricsF, QTextDocument
from PySide6.QtWidgets import QLabel

from explorer.core import architectures, samples
from explorer.core.conv import unit_receptive_field
from explorer.core.images import from_array
from explorer.core.render import value_text
from explorer.ui import style
from explorer.ui.main_window import MainWindow

FACTS = architectures.Facts(5, 61_706, 416_520, 32)


@pytest.fixture
def window(qtbot, tmp_path, monkeypatch):
    monkeypatch.setattr(architectures, "facts_for", lambda key, progress=None: FACTS)   # VGG-16 takes seconds
    monkeypatch.setattr(architectures, "cpu_ms_per_image", lambda key: 1.0)
    win = MainWindow(settings=QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(win)
    win.set_image(samples.load_sample(samples.default_sample().name))   # the 512×512 astronaut
    win.resize(1024, 768)
    win.show()
    qtbot.waitExposed(win)
    win.playground.flush()
    yield win
    win.close()
    style.set_zoom(1.0)


def fragment_sizes(label) -> list[float]:
    """Point sizes Qt resolves for every run of a rich-text label, laid out with the label's own font."""
    doc = QTextDocument()
    doc.setDefaultFont(label.font())
    doc.setHtml(label.text())
    sizes, block = [], doc.begin()
    while block.isValid():
        it = block.begin()
        while not it.atEnd():
            fragment = it.fragment()
            if fragment.text().strip():
                sizes.append(fragment.charFormat().font().pointSizeF())
            it += 1
        block = block.next()
    return sizes


def test_zoom_scales_axis_titles_ticks_legends_and_the_arithmetic_together(window, qtbot):
    bars = window.mnist.bars.plot.getPlotItem()
    axis = bars.getAxis("left")
    legend = bars.legend.items[0][1]
    window.state.playground.click_unit((100, 100))
    arithmetic = window.playground.arithmetic.label

    def measure() -> dict[str, float]:
        return {"title pt": axis.label.font().pointSizeF(), "title px": axis.label.boundingRect().height(),
                "tick pt": axis.style["tickFont"].pointSizeF(), "legend pt": float(legend.opts["size"][:-2]),
                "axis px": axis.minimumWidth()}

    one = measure()
    sizes_one, hint_one = fragment_sizes(arithmetic), arithmetic.sizeHint().height()
    assert one["title pt"] == style.LABEL_PT           # not pyqtgraph's 9 pt default
    margin = 2 * axis.label.document().documentMargin()
    assert one["title px"] == pytest.approx(QFontMetricsF(axis.label.font()).height() + margin, abs=1)
    window.state.zoom = 2.0
    two = measure()
    for key in ("title pt", "tick pt", "legend pt"):
        assert two[key] == pytest.approx(2 * one[key]), key
    assert two["title px"] == pytest.approx(QFontMetricsF(axis.label.font()).height() + margin, abs=1)
    assert two["title px"] - margin == pytest.approx(2 * (one["title px"] - margin), abs=2)   # the text, not the margin
    assert two["axis px"] >= one["axis px"] + 0.8 * (two["title px"] - one["title px"]) - 1  # room for the title
    sizes_two = fragment_sizes(arithmetic)            # every run of the rich text, the × and = included
    assert len(sizes_two) == len(sizes_one) > 20
    assert sizes_two == pytest.approx([2 * s for s in sizes_one])
    assert max(sizes_one) >= style.FORMULA_PT          # the operators are the big ones
    assert arithmetic.sizeHint().height() > 1.5 * hint_one   # laid out again (cell padding and borders stay in px)
    window.state.zoom = 1.0
    assert measure()["title pt"] == style.LABEL_PT and fragment_sizes(arithmetic) == sizes_one


def test_projector_theme_makes_chart_text_contrast_with_its_canvas_and_axes_bold(window):
    """Black on the white charts; white on the black image views, where black made the titles of the mosaic, the
    input and the channel invisible."""
    window.state.theme = "projector"
    axes, labels = [], []
    for view in window.findChildren(pg.GraphicsView):
        for item in view.scene().items():
            if isinstance(item, pg.AxisItem):
                axes.append(item)
            elif isinstance(item, pg.LabelItem) and item.text:
                labels.append(item)
    assert len(axes) > 10 and len(labels) > 5

    def expected(item) -> QColor:
        return QColor("white" if item.scene().views()[0].backgroundBrush().color() == QColor("black") else "black")

    assert {expected(label).name() for label in labels} == {"#000000", "#ffffff"}   # both kinds of canvas
    for axis in axes:
        ink = expected(axis)
        assert axis.textPen().color() == ink and axis.pen().width() == 2
        assert axis.style["tickFont"].bold() and axis.label.font().bold()
        if axis.labelText:   # an axis title takes the text pen's colour
            assert axis.label.defaultTextColor() == ink or ink.name() in axis.label.toHtml()
    for label in labels:
        assert pg.mkColor(label.opts["color"]) == expected(label)
    panel = window.explorer.activations
    for plot in (panel.mosaic_plot, panel.input_plot, panel.channel_plot):
        assert pg.mkColor(plot.titleLabel.opts["color"]) == QColor("white")
    window.state.theme = "normal"
    assert not any(axis.style["tickFont"].bold() or axis.label.font().bold() for axis in axes)


def test_every_model_explorer_panel_tab_shows_whole_at_1024_by_768(window, qtbot):
    window.state.tab = "explorer"
    qtbot.wait(20)
    bar = window.explorer.tabs.tabBar()
    assert not bar.usesScrollButtons()
    for i in range(bar.count()):
        rect = bar.tabRect(i)
        assert bar.rect().contains(rect), bar.tabText(i)
        assert rect.width() >= bar.tabSizeHint(i).width(), f"{bar.tabText(i)} is elided"
        assert bar.tabToolTip(i)                         # the full name of a shortened title


def test_the_output_map_shows_cores_colours(window):
    """The colour bar beside the map must not push its ±limit levels onto core's ready 0–255 RGB (it did: grey)."""
    item = window.playground.output_canvas.image
    rgb = window.state.playground.outcome.output_rgb
    item.render()
    for row, col in ((0, 0), (100, 300), (rgb.shape[0] - 1, rgb.shape[1] - 1)):
        assert item.qimage.pixelColor(col, row).getRgb()[:3] == tuple(int(v) for v in rgb[row, col])


def test_a_square_image_shows_its_formula_once_and_a_wide_one_each_axis_its_result(window):
    formula = window.playground.formula
    assert formula.text().startswith("height = width:") and "\n" not in formula.text()
    window.set_image(from_array(np.zeros((20, 30), np.uint8), "wide"))  # a camera's frames are never square
    window.playground.flush()
    assert formula.text().splitlines() == [
        "out = ⌊(n + 2p − d(f−1) − 1)/s⌋ + 1", "      = ⌊(n + 2·0 − 1·(3−1) − 1)/1⌋ + 1", "height 20 → 18 · width 30 → 28"]


def test_a_wide_video_leaves_the_playgrounds_pictures_room_on_a_projector(window, qtbot, tmp_path):
    """1280×720 at zoom 1.5 on a 640×480 clip: the two formulas in full took six lines and left each picture 53 px
    tall; in three lines each picture is 163 px of the tab's 551."""
    from explorer.core import video

    window.resize(1280, 720)
    window.state.zoom = 1.5
    clip = video.write_video(tmp_path / "wide.avi", video.moving_bars(3, (640, 480)), fps=10)
    window.live.open_video(clip, playing=False)
    window.live.step()  # the first frame, paused
    qtbot.waitUntil(lambda: window.state.live.shown == 1, timeout=30_000)
    window.playground.flush()
    qtbot.wait(50)
    box = window.playground.input_canvas.image.mapRectToScene(window.playground.input_canvas.image.boundingRect())
    shown = window.playground.input_canvas.mapFromScene(box).boundingRect().height()
    assert shown >= window.playground.height() / 4, (shown, window.playground.height())


def test_status_line_never_widens_the_window(window):
    text = "A long message about a file that could not be opened: " * 6
    window.show_message(text)
    assert window.minimumSizeHint().width() <= 1024 and window.width() == 1024
    assert window.message_text() == text
    assert [label for label in window.statusBar().findChildren(QLabel) if label.toolTip() == text]  # all of it


# ----- the magnifier ------------------------------------------------------------------------------------------

def test_magnifier_zooms_to_the_pinned_units_window_with_its_values(window):
    play, state = window.playground, window.state.playground
    state.mode = "r"                                    # the R plane: the kernel reads the file's own numbers
    play.flush()
    state.click_unit((120, 300))
    magnifier = play.magnifier
    assert magnifier.isVisible() and magnifier.shown_box() == (120, 300, 122, 302)   # f 3, s 1, p 0: rows 120–122
    red = window.image.pixels[120:123, 300:303, 0]
    assert magnifier.values.cell_texts() == [value_text(float(v)) for v in red.ravel()]
    (x0, x1), (y0, y1) = magnifier.plot.vb.viewRange()
    assert x0 <= 300 and x1 >= 303 and y0 <= 120 and y1 >= 123 and (x1 - x0) < 6 and (y1 - y0) < 6
    # The window sits right of centre and above it: the inset takes the plot area's lower-left corner, off the
    # window and clear of the title.
    canvas = play.input_canvas
    window_px = canvas.mapFromScene(canvas.scene_pos_of(121, 301))
    area = canvas.mapFromScene(canvas.plot.vb.sceneBoundingRect()).boundingRect()
    inset = magnifier.geometry()
    assert QRect(QPoint(0, 0), canvas.size()).contains(inset) and not inset.contains(window_px)
    assert inset.left() == area.left() and inset.bottom() == area.bottom()


def test_magnifier_marks_dilated_taps_and_follows_the_toggle_and_the_pointer(window):
    play, state = window.playground, window.state.playground
    state.dilation = 2
    play.flush()
    state.click_unit((10, 20))
    field = unit_receptive_field(10, 20, (512, 512), state.conv_params())
    taps, in_padding = play.magnifier.taps.marked_taps()
    assert sorted(map(tuple, taps)) == sorted(map(tuple, field.taps)) and not in_padding.any()
    assert play.magnifier.shown_box() == (10, 20, 14, 24)        # d(f−1)+1 = 5 rows and columns, no extra weights
    assert len(play.magnifier.values.cell_texts()) == 25
    play.shortcuts["Z"].activated.emit()                          # the key switches it off, through the state
    assert state.magnify is False and not play.magnifier.isVisible() and not play.magnify_box.isChecked()
    play.magnify_box.setChecked(True)
    assert state.magnify is True and play.magnifier.shown_box() == (10, 20, 14, 24)
    state.click_unit((10, 20))                                    # unpinned, and the pointer leaves the map
    state.hover_unit(None)
    assert not play.magnifier.isVisible()


def test_magnifier_stays_away_from_small_grids_and_prints_no_numbers_on_huge_windows(window):
    play, state = window.playground, window.state.playground
    window.show_lesson("step-by-step")                  # 5×5: the input canvas prints every value itself
    play.flush()
    state.click_unit((1, 1))
    assert not play.magnifier.isVisible()
    window.set_image(samples.load_sample(samples.default_sample().name))
    play.flush()
    state.set_size(15)
    state.dilation = 2                                  # a 29×29 window: too many numbers to read
    play.flush()
    state.click_unit((50, 50))
    assert play.magnifier.shown_box() == (50, 50, 78, 78)
    assert not play.magnifier.values.isVisible()


def test_zoomed_canvases_keep_their_tick_labels_and_colour_bar_whole(window, qtbot, monkeypatch):
    painted: dict[pg.AxisItem, list[str]] = {}          # the labels of the picture each axis last drew
    draw = pg.AxisItem.drawPicture

    def record(axis, painter, axis_spec, tick_specs, text_specs):
        painted[axis] = [text for _, _, text in text_specs]
        return draw(axis, painter, axis_spec, tick_specs, text_specs)

    monkeypatch.setattr(pg.AxisItem, "drawPicture", record)
    window.state.theme = "projector"                   # bold: the widest tick text
    window.state.zoom = 1.15                           # the largest step that fits 1024 px
    window.state.playground.set_size(5)                # a new map and range after the zoom
    window.playground.flush()
    qtbot.wait(100)
    window.grab()                                      # what a screenshot shows
    for canvas in (window.playground.input_canvas, window.playground.output_canvas):
        plot_min = canvas.ci.effectiveSizeHint(Qt.SizeHint.MinimumSize).width()
        assert canvas.width() >= plot_min, "the colour bar or axis would be cut off"
        axes = [canvas.plot.getAxis("left"), canvas.plot.getAxis("bottom")]
        if canvas is window.playground.output_canvas:
            axes.append(canvas.colorbar.getAxis("right"))
        for axis in axes:   # pyqtgraph thins crowded labels; what broke was every label but "0" going missing
            assert len(painted[axis]) >= 2, (axis.orientation, painted[axis])


def test_zoom_makes_table_rows_tall_enough_for_their_text(window):
    table = window.explorer.table
    one = table.verticalHeader().defaultSectionSize()
    window.state.zoom = 2.0
    assert table.verticalHeader().defaultSectionSize() == round(2 * one)
    assert table.verticalHeader().defaultSectionSize() >= table.fontMetrics().height()   # no overlapping rows
    window.state.zoom = 1.0
    assert table.verticalHeader().defaultSectionSize() == one


def test_zoom_makes_the_kernel_cells_grow_with_their_numbers(window):
    table = window.playground.kernel_editor.table
    one_row, one_col = table.rowHeight(0), table.columnWidth(0)
    frame = 2 * table.frameWidth()
    assert table.height() == 3 * one_row + frame          # the 3×3 kernel, every row shown
    window.state.zoom = 2.0
    assert (table.rowHeight(0), table.columnWidth(0)) == (2 * one_row, 2 * one_col)
    assert table.height() == 3 * 2 * one_row + frame
    assert table.rowHeight(0) > table.fontMetrics().height()


def test_zoom_keeps_buttons_and_boxes_in_proportion(window):
    spin = window.playground.controls.size
    combo = window.playground.kernel_editor.preset
    before = spin.minimumHeight(), combo.minimumHeight()
    assert before == (34, 34)                         # finger-sized targets at zoom 1
    window.state.zoom = 2.0
    assert (spin.minimumHeight(), combo.minimumHeight()) == (68, 68)
    assert combo.minimumHeight() >= combo.fontMetrics().height()
    window.state.zoom = 1.0
    assert (spin.minimumHeight(), combo.minimumHeight()) == before


def test_a_restored_zoom_reaches_every_view_not_only_the_menus(qtbot, tmp_path, monkeypatch):
    from explorer.state import session

    monkeypatch.setenv(session.CONFIG_ENV, str(tmp_path / "config"))
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    first = MainWindow(settings=settings, restore_session=True)
    qtbot.addWidget(first)
    formula_pt = first.playground.formula.formula_lines[0].font().pointSizeF()
    first.state.zoom = 1.5
    first.close()
    style.set_zoom(1.0)                                # a new process starts at 1
    second = MainWindow(settings=settings, restore_session=True)
    qtbot.addWidget(second)
    try:
        assert second.state.zoom == 1.5
        assert second.playground.formula.formula_lines[0].font().pointSizeF() == pytest.approx(1.5 * formula_pt)
        axis = second.mnist.bars.plot.getPlotItem().getAxis("left")
        assert axis.label.font().pointSizeF() == pytest.approx(1.5 * style.LABEL_PT)
    finally:
        second.close()
        style.set_zoom(1.0)


def test_the_projector_theme_greys_controls_that_cannot_be_used(qtbot):
    """Black text in every state made a disabled button ("Group blocks" on AlexNet) look as live as any other."""
    from PySide6.QtGui import QColor
    from PySide6.QtWidgets import QApplication, QPushButton

    from explorer.ui import zoom

    def darkest_text(button: QPushButton) -> int:
        image = button.grab().toImage()
        return min(QColor(image.pixel(x, y)).lightness()
                   for x in range(image.width() // 4, 3 * image.width() // 4)
                   for y in range(image.height() // 4, 3 * image.height() // 4))

    app = QApplication.instance()
    before = app.palette()
    app.setPalette(zoom.palette("projector"))
    try:
        live, dead = QPushButton("Group blocks"), QPushButton("Group blocks")
        for button in (live, dead):
            qtbot.addWidget(button)
            button.resize(200, 40)
        dead.setEnabled(False)
        assert darkest_text(live) < 40            # black text
        assert 100 < darkest_text(dead) < 200     # grey, still readable on white
    finally:
        app.setPalette(before)
