"""The architecture strip's block grouping: the pure rule (strip_layout) and the strip in the explorer (offscreen)."""
from __future__ import annotations

import pytest
from PySide6.QtCore import QEvent, QObject, QPoint, Qt
from PySide6.QtWidgets import QApplication

from explorer.core import samples
from explorer.core.builtin_structure import inspect_builtin
from explorer.core.inspect import inspect_model
from explorer.ui import style
from explorer.ui.model_explorer.architecture_strip import GROUP_AUTO_ROWS, ArchitectureStrip
from explorer.ui.model_explorer.rows import rows_of
from explorer.ui.model_explorer.strip_layout import StripNode, group_key, group_nodes, layout


@pytest.mark.parametrize("name, key", [
    ("denseblock1/denselayer3/conv1", "denseblock1"), ("denseblock4/denselayer16/concat", "denseblock4"),
    ("transition2/pool", "transition2"), ("layer2.0.conv1", "layer2"), ("layer4.2.relu2", "layer4"),
    ("inception_4a/3x3", "inception_4a"), ("inception_5b/output", "inception_5b"),
    ("conv1", None), ("conv1/7x7_s2", None), ("pool5/7x7_s1", None), ("conv2_1/relu", None), ("data", None),
    ("layers.0", None), ("layer", None), ("denseblock", None), ("inception_4", None), ("mylayer2.conv", None),
])
def test_group_key(name, key):
    assert group_key(name) == key


def test_group_nodes_collapses_runs_and_keeps_the_graph():
    def node(name, inputs, shape=(1, 8, 8, 8)):
        return StripNode(name, "Conv", tuple(inputs), (name,), shape)

    nodes = [node("x", []), node("conv1", ["x"]), node("layer1.0.a", ["conv1"]), node("layer1.0.b", ["layer1.0.a"]),
             node("layer1.0.add", ["layer1.0.b", "conv1"], (1, 16, 4, 4)), node("layer2.0.a", ["layer1.0.add"]),
             node("fc", ["layer2.0.a"])]
    grouped, spans = group_nodes(nodes)
    assert [n.name for n in grouped] == ["x", "conv1", "layer1", "layer2.0.a", "fc"]  # a lone layer stays itself
    assert spans == [range(1), range(1, 2), range(2, 5), range(5, 6), range(6, 7)]
    layer1 = grouped[2]
    assert layer1.op == "Group" and layer1.layers == 3 and layer1.shape == (1, 16, 4, 4)
    assert layer1.inputs == ("conv1",)  # reads from outside only; its internal edges are gone
    result = layout(grouped)
    assert {(e.source, e.target) for e in result.edges} == {(0, 1), (1, 2), (2, 3), (3, 4)}
    assert not any(e.arc for e in result.edges)  # the skip conv1 -> add now lies inside layer1
    assert group_nodes([node("a", []), node("b", ["a"])])[0] == [node("a", []), node("b", ["a"])]


@pytest.fixture(scope="module")
def densenet_rows():
    return rows_of(inspect_model("densenet121"))


def test_densenet_starts_grouped_into_its_blocks(qtbot, densenet_rows):
    strip = ArchitectureStrip()
    qtbot.addWidget(strip)
    strip.set_rows(densenet_rows)
    assert len(densenet_rows) > GROUP_AUTO_ROWS and strip.is_grouped() and strip.group_button.isEnabled()
    keys = [group_key(r.name) for r in densenet_rows]
    ungrouped = keys.count(None)  # stem (input, conv0 … pool0) and head (norm5 … prob)
    names = [densenet_rows[strip.block_rows(b).start].name for b in range(strip.block_count())]
    group_blocks = [b for b in range(strip.block_count()) if len(strip.block_rows(b)) > 1]
    assert [group_key(names[b]) for b in group_blocks] == [
        "denseblock1", "transition1", "denseblock2", "transition2", "denseblock3", "transition3", "denseblock4"]
    assert strip.block_count() == 7 + ungrouped
    assert sum(len(strip.block_rows(b)) for b in range(strip.block_count())) == len(densenet_rows)
    for b in group_blocks:  # each group holds exactly the rows with its key
        rows = strip.block_rows(b)
        key = group_key(densenet_rows[rows.start].name)
        assert rows == range(keys.index(key), len(keys) - keys[::-1].index(key))
    assert not any(e.arc for e in strip.layout_result.edges)  # no arcs to nowhere inside collapsed blocks
    tip = strip.block_item(group_blocks[0]).toolTip()
    assert "denseblock1: 42 layers" in tip and "256×56×56" in tip
    strip.group_button.setChecked(False)
    assert strip.block_count() == len(densenet_rows)
    assert any(e.arc for e in strip.layout_result.edges)


def test_small_models_start_ungrouped(qtbot):
    strip = ArchitectureStrip()
    qtbot.addWidget(strip)
    strip.set_rows(rows_of(inspect_model("lenet5")))
    assert not strip.is_grouped() and not strip.group_button.isEnabled()
    resnet = rows_of(inspect_model("resnet34"))
    strip.set_rows(resnet)
    assert not strip.is_grouped() and strip.group_button.isEnabled()  # 127 rows: zooming is enough, but offered
    strip.group_button.setChecked(True)
    assert strip.block_count() == 4 + sum(group_key(r.name) is None for r in resnet)


def test_clicking_a_group_and_stepping_through_it(qtbot, view):
    view.state.image.set(samples.load_sample(samples.default_sample().name))
    view.select_model("densenet121")
    qtbot.waitUntil(view.has_results, timeout=120_000)
    strip = view.strip
    assert strip.is_grouped()
    first = next(i for i, r in enumerate(view.rows) if r.name.startswith("transition2/"))
    block = strip.block_of(first)
    rows = strip.block_rows(block)
    assert rows.start == first and len(rows) == 4
    view.select_row(0)
    centre = strip.mapFromScene(strip.block_rect(first).center())
    qtbot.mouseClick(strip.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(centre.x(), centre.y()))
    assert view.current_row == first and strip.highlighted_block() == block
    assert strip.highlight_rect() == strip.block_rect(first).adjusted(-2, -2, 2, 2)
    view.table.setFocus()
    for expected in range(first + 1, rows.stop):  # → steps layer by layer; the highlight stays on the group
        qtbot.keyClick(view.table, Qt.Key.Key_Right)
        assert view.current_row == expected == strip.current()
        assert strip.highlighted_block() == block
    qtbot.keyClick(view.table, Qt.Key.Key_Right)  # leaving the group moves the highlight to the next block
    assert view.current_row == rows.stop and strip.highlighted_block() == block + 1
    qtbot.keyClick(view.table, Qt.Key.Key_Left)
    assert view.current_row == rows.stop - 1 and strip.highlighted_block() == block
    strip.group_button.setChecked(False)  # ungrouping keeps the current layer, now on its own block
    assert strip.current() == rows.stop - 1 and strip.highlighted_block() == rows.stop - 1
    assert strip.highlight_rect() == strip.block_rect(rows.stop - 1).adjusted(-2, -2, 2, 2)


class ResizeCount(QObject):
    """Counts resize events; past ``limit`` it swallows them, so a strip that resizes itself for ever fails the
    test instead of hanging it."""

    def __init__(self, limit: int = 300) -> None:
        super().__init__()
        self.count, self.limit = 0, limit

    def eventFilter(self, _obj, event) -> bool:  # noqa: N802
        if event.type() != QEvent.Type.Resize:
            return False
        self.count += 1
        return self.count > self.limit


@pytest.mark.parametrize(("model", "widths"), [("vgg16", range(1440, 1620, 3)), ("alexnet", range(1070, 1170, 3))])
def test_the_strip_settles_at_every_width(qtbot, model, widths):
    """Fitting the height from the viewport's own size brought the scroll bar in, whose height made the next fit
    narrow enough to drop it again, for ever: the window froze on VGG-16 at its default 1500 px."""
    strip = ArchitectureStrip()
    qtbot.addWidget(strip)
    strip.set_rows(rows_of(inspect_builtin(model)))
    strip.show()
    counter = ResizeCount()
    strip.installEventFilter(counter)
    strip.viewport().installEventFilter(counter)
    app = QApplication.instance()
    unsettled = []
    for width in widths:
        strip.resize(width, strip.sizeHint().height())
        for _ in range(3):
            app.processEvents()
        counter.count = 0
        for _ in range(5):
            app.processEvents()
        if counter.count > 2:
            unsettled.append(width)
    assert unsettled == []


def test_the_strip_asks_for_the_same_height_whatever_the_scene_scale(qtbot):
    """Its height hint must not follow the scale fit_height gives the scene: the box layout gave the strip what it
    asked for, the next fit scaled the scene up to that, and the strip took the Model Explorer's height."""
    strip = ArchitectureStrip()
    qtbot.addWidget(strip)
    strip.set_rows(rows_of(inspect_model("lenet5")))
    strip.show()
    least = strip.sizeHint().height()
    assert least >= strip.minimumSizeHint().height()
    strip.resize(900, 400)  # a tall strip: fit_height scales LeNet-5's blocks up
    QApplication.instance().processEvents()
    assert strip.transform().m11() > 2
    assert strip.sizeHint().height() == least


@pytest.fixture
def projector_zoom():
    style.set_zoom(1.5)   # widgets made from now on start at this zoom, as in a window zoomed before it opens
    yield
    style.set_zoom(1.0)


def resnet34_strip(qtbot, width: int) -> ArchitectureStrip:
    strip = ArchitectureStrip()
    qtbot.addWidget(strip)
    strip.set_rows(rows_of(inspect_builtin("resnet34")))   # nine colours: the most of the built-ins ungrouped
    strip.show()
    strip.resize(width, strip.sizeHint().height())
    QApplication.instance().processEvents()
    return strip


def assert_legend_whole_above_the_scroll_bar(strip: ArchitectureStrip) -> None:
    bar = strip.horizontalScrollBar()
    assert bar.isVisible()   # ResNet-34 scrolls: the bar spans the strip's whole width, under the legend too
    legend = strip.legend.geometry()
    assert legend.top() >= 0 and legend.bottom() < bar.mapTo(strip, QPoint(0, 0)).y()
    assert strip.legend.sizeHint().height() <= legend.height()


def test_every_legend_row_shows_above_the_scroll_bar_at_projector_zoom(qtbot, projector_zoom):
    """ResNet-34's legend at zoom 1.5, two columns: its fifth row ("concat / add") sat under the scroll bar at
    1920×1080 and 1280×800, because the strip's height counted the legend but not the bar."""
    strip = resnet34_strip(qtbot, 1900)
    assert len(strip.legend.entries()) == 9 and strip.legend.rows() == 5
    assert_legend_whole_above_the_scroll_bar(strip)


def test_a_short_strip_gives_its_legend_more_columns_not_more_rows(qtbot, projector_zoom):
    """A 1280×720 projector at zoom 1.5 leaves the Model Explorer ~560 px: the view gives the strip a budget, and
    the legend takes columns, balanced (nine colours in three rows are three columns of three, not 4 + 4 + 1)."""
    strip = resnet34_strip(qtbot, 1260)
    full = strip.sizeHint().height()
    budget = full * 2 // 3
    strip.set_height_budget(budget)
    assert strip.minimumSizeHint().height() <= strip.sizeHint().height() <= budget
    strip.resize(1260, strip.sizeHint().height())
    QApplication.instance().processEvents()
    legend = strip.legend
    rows = legend.rows()
    columns = -(-9 // rows)
    assert 2 <= rows < 5 and rows == -(-9 // columns)      # as even as they go
    assert_legend_whole_above_the_scroll_bar(strip)
    strip.set_height_budget(10)                                # less than its least: it asks for its least
    assert strip.sizeHint().height() == strip.minimumSizeHint().height()
    strip.set_height_budget(None)
    assert strip.sizeHint().height() == full
