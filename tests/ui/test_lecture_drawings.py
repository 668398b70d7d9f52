"""The lecture's architecture drawings: ResNet-34's shortcuts against plain-34 (Compare tab), DenseNet's dense
connectivity and the strip's colour legend (Model Explorer), and the growth plot following the main path.
Counts come from the papers' block tables (ResNet-34: 3-4-6-3 basic blocks; DenseNet-121: 6-12-24-16 layers)."""
from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, QPointF, QRect, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QApplication

from explorer.core import architectures, lesson_steps
from explorer.core.builtin_structure import inspect_builtin
from explorer.core.rf_growth import rf_curve
from explorer.core.zoo import densenet121
from explorer.state import AppState
from explorer.state.compare import CompareState
from explorer.state.lesson import go_to
from explorer.ui.lecture.compare_view import CompareView
from explorer.ui.lecture.shortcut_strips import PAIR, ShortcutStrips
from explorer.ui.model_explorer.architecture_strip import (
    DENSE_COLOUR,
    OP_COLOURS,
    SHORTCUT_COLOUR,
    ArchitectureStrip,
)
from explorer.ui.model_explorer.rf_plot import RFGrowthPlot
from explorer.ui.model_explorer.rows import rows_of
from explorer.ui.model_explorer.strip_layout import StripNode, aligned, dense_links, layout, shortcuts
from explorer.workers.runner import TaskRunner

RESNET34_BLOCKS = (3, 4, 6, 3)   # basic blocks per stage; the first block of stages 2-4 halves the map


@pytest.fixture(scope="module")
def nodes():
    def of(key: str) -> list[StripNode]:
        return [StripNode(r.name, r.op, r.inputs, r.outputs, r.shape) for r in rows_of(inspect_builtin(key))]
    return {key: of(key) for key in ("resnet34", "plain34", "densenet121", "googlenet")}


def node(name: str, op: str, inputs: list[str]) -> StripNode:
    return StripNode(name, op, tuple(inputs), (name,), (1, 8, 8, 8))


# ----- the pure rules (strip_layout) ------------------------------------------------------------------------------
def test_shortcuts_are_the_inputs_that_bypass_a_block_with_their_projection():
    graph = [node("x", "Input", []), node("a", "Conv", ["x"]), node("b", "Conv", ["a"]),
             node("add1", "Add", ["b", "x"]),                                   # identity shortcut x -> add1
             node("c", "Conv", ["add1"]), node("d", "BatchNormalization", ["c"]), node("e", "Conv", ["d"]),
             node("p", "Conv", ["add1"]), node("pn", "BatchNormalization", ["p"]),
             node("add2", "Add", ["e", "pn"])]                                  # projection shortcut p, pn
    found = shortcuts(graph)
    assert found.nodes == {3, 7, 8, 9}            # the Adds and the projection; add1 itself is where it forks
    assert found.edges == {(0, 3), (3, 7), (7, 8), (8, 9)}


def test_resnet34_has_its_sixteen_shortcuts_and_plain34_none(nodes):
    graph = nodes["resnet34"]
    found = shortcuts(graph)
    adds = [graph[i].name for i in found.nodes if graph[i].op == "Add"]
    projections = sorted(graph[i].name for i in found.nodes if graph[i].op == "Conv")
    assert len(adds) == sum(RESNET34_BLOCKS)
    assert projections == [f"layer{s}.0.downsample.0" for s in (2, 3, 4)]   # where the stages halve the map
    identity = sum(RESNET34_BLOCKS) - 3
    assert len(found.edges) == identity + 3 * 3   # a projection: fork -> conv -> BN -> add
    empty = shortcuts(nodes["plain34"])
    assert not empty.nodes and not empty.edges


def test_dense_links_are_every_earlier_layer_to_every_later_one(nodes):
    graph = nodes["densenet121"]
    links = dense_links(graph)
    index = {n.name: i for i, n in enumerate(graph)}
    # Layer j of a block reads the block input and the j − 1 layers before it: j sources. Layer 1 reads the
    # block input alone (no reuse yet); the transition (avgpool after block 4) reads all L + 1.
    expected = sum(sum(range(2, blocks + 1)) + blocks + 1 for blocks in densenet121.BLOCKS)
    assert len(links) == expected == 593
    readers = {}
    for source, reader in links:
        readers.setdefault(reader, []).append(graph[source].name)
    assert readers[index["denseblock1/denselayer4/conv1"]] == [
        "pool0", "denseblock1/denselayer1/conv2", "denseblock1/denselayer2/conv2", "denseblock1/denselayer3/conv2"]
    assert len(readers[index["transition3/conv"]]) == densenet121.BLOCKS[2] + 1
    assert index["denseblock1/denselayer1/conv1"] not in readers
    assert dense_links(nodes["googlenet"]) == []   # side-by-side branches are concatenated, none lies behind another
    assert dense_links(nodes["resnet34"]) == []    # an Add is one sum, not reuse


def test_plain34_lines_up_under_resnet34_with_gaps_where_the_adds_are(nodes):
    top, below = nodes["resnet34"], nodes["plain34"]
    reference = layout(top)
    result = aligned(layout(below), below, reference, top)
    centre = {n.name: b.x + b.w / 2 for n, b in zip(top, reference.blocks)}
    assert all(b.x + b.w / 2 == pytest.approx(centre[n.name]) for n, b in zip(below, result.blocks))
    assert result.width == reference.width
    gap = [b for n, b in zip(below, result.blocks) if n.name in ("layer1.0.bn2", "layer1.0.relu2")]
    add = reference.blocks[[n.name for n in top].index("layer1.0.add")]
    assert gap[0].x + gap[0].w < add.x and add.x + add.w < gap[1].x   # the Add's column stays empty


# ----- the strips ----------------------------------------------------------------------------------------------
def test_densenet_strip_draws_its_dense_blocks_and_a_legend_beside_it(qtbot):
    strip = ArchitectureStrip()
    qtbot.addWidget(strip)
    strip.resize(1000, 160)
    strip.show()
    strip.set_rows(rows_of(inspect_builtin("densenet121")))
    assert strip.is_grouped()
    names = {strip.nodes[b].name for b in strip.miniatures}
    assert names == {f"denseblock{b}" for b in range(1, 5)}   # transitions read a block but reuse nothing
    assert len(strip.dense) == 593
    legend = strip.legend
    assert legend.isVisible() and "dense link" in legend.entries() and "layer block" in legend.entries()
    assert "convolution" in legend.entries() and "shortcut" not in legend.entries()
    viewport = QRect(strip.viewport().mapTo(strip, strip.viewport().rect().topLeft()), strip.viewport().size())
    assert legend.geometry().left() >= viewport.right() and legend.geometry().right() <= strip.width()
    assert legend.geometry().bottom() <= strip.height()                   # every row of it visible
    strip.group_button.setChecked(False)                                  # one block per layer: arcs above them
    assert not strip.miniatures and "concat / add" in legend.entries()


def test_highlighted_shortcuts_stand_out_and_the_rest_fades(qtbot):
    strip = ArchitectureStrip(shortcuts=True, fit_whole=True)
    qtbot.addWidget(strip)
    strip.set_rows(rows_of(inspect_builtin("resnet34")))
    brushes = {strip.nodes[b].name: strip.block_item(b).brush().color() for b in range(strip.block_count())}
    assert brushes["layer1.0.add"] == SHORTCUT_COLOUR and brushes["layer2.0.downsample.0"] == SHORTCUT_COLOUR
    conv = OP_COLOURS["Conv"]
    assert brushes["layer1.0.conv1"] == type(conv)((2 * 255 + conv.red()) // 3, (2 * 255 + conv.green()) // 3,
                                                   (2 * 255 + conv.blue()) // 3)
    assert not strip.group_button.isVisible() and ("shortcut", SHORTCUT_COLOUR) in strip.legend_entries()
    assert ("dense link", DENSE_COLOUR) not in strip.legend_entries()


@pytest.fixture
def compare(qtbot, monkeypatch):
    monkeypatch.setattr(architectures, "facts_for", lambda key, progress=None: architectures.Facts(1, 1, 1, 1))
    runner = TaskRunner()
    state = AppState()
    view = CompareView(state, runner)
    qtbot.addWidget(view)
    view.resize(1000, 700)
    yield view
    runner.shutdown(2.0)


def test_the_resnet_step_opens_the_pair_with_the_shortcuts(qtbot, compare):
    state = compare.state
    go_to(state, [s.key for s in lesson_steps.STEPS].index("resnet"))
    assert (state.tab, state.compare.page) == ("compare", "shortcuts")
    assert compare.pages.currentWidget() is compare.shortcuts
    compare.show()                                         # the first showing lays the pair out on the runner
    qtbot.waitUntil(lambda: len(state.compare.structures) == 2, timeout=30_000)
    top, below = (compare.shortcuts.strips[key] for key in ("resnet34", "plain34"))
    assert (top.block_count(), below.block_count()) == (127, 105)   # input + 126 layers; 22 fewer without
    assert len(top.marked.nodes) == sum(RESNET34_BLOCKS) + 2 * 3 and not below.marked.nodes
    assert "16 shortcuts" in compare.shortcuts.captions["resnet34"].text()
    assert "3 through a 1×1 projection" in compare.shortcuts.captions["resnet34"].text()
    names = [n.name for n in top.nodes]
    for i, n in enumerate(below.nodes):                    # the same layers in the same places
        a, b = top.layout_result.blocks[names.index(n.name)], below.layout_result.blocks[i]
        assert a.x + a.w / 2 == pytest.approx(b.x + b.w / 2)
    assert "shortcut" in compare.shortcuts.legend.entries()
    compare.pages.setCurrentIndex(0)                       # a click on the other page is the user's intent
    assert state.compare.page == "inception"


def wheel_up(view) -> None:
    """One notch of the mouse wheel over the middle of ``view``: the strip zooms in under the pointer."""
    at = QPointF(view.viewport().rect().center())
    QApplication.sendEvent(view.viewport(), QWheelEvent(
        at, view.viewport().mapToGlobal(at), QPoint(), QPoint(0, 120), Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False))


def test_the_resnet_and_plain_strips_zoom_and_scroll_together_layer_under_layer(qtbot):
    state = CompareState()
    pair = ShortcutStrips(state)
    qtbot.addWidget(pair)
    pair.resize(1000, 320)
    pair.show()
    state.structures = {key: inspect_builtin(key) for key in PAIR}
    top, below = (pair.strips[key] for key in PAIR)

    def screen_x(strip, name: str) -> int:        # where a layer's block centre is on screen
        block = strip.block_rect([n.name for n in strip.nodes].index(name))
        return strip.mapFromScene(block.center()).x()

    for _ in range(3):
        wheel_up(top)
    qtbot.wait(100)                                # the scroll bar that appears must not undo the zoom
    assert top.horizontalScrollBar().maximum() > 0
    assert below.horizontalScrollBar().maximum() > 0
    for strip in (top, below):                     # zoomed across only: every block and arc still in height
        seen, scene = strip.mapToScene(strip.viewport().rect()).boundingRect(), strip.sceneRect()
        assert seen.top() <= scene.top() + 1 and seen.bottom() >= scene.bottom() - 1
    for strip, other, value in ((top, below, 400), (below, top, 150)):
        strip.horizontalScrollBar().setValue(value)     # the user drags one strip's scroll bar
        qtbot.wait(20)
        assert other.horizontalScrollBar().value() == value
        for name in ("layer2.0.conv1", "layer2.1.conv2", "layer3.0.conv1"):
            assert abs(screen_x(top, name) - screen_x(below, name)) <= 1, name
    below.mouseDoubleClickEvent(None)             # a double-click fits the whole network again, in both
    qtbot.wait(20)
    assert top.horizontalScrollBar().maximum() == below.horizontalScrollBar().maximum() == 0


def test_the_growth_plot_draws_the_main_path(qtbot):
    plot = RFGrowthPlot()
    qtbot.addWidget(plot)
    info = inspect_builtin("resnet34")
    plot.set_current("ResNet-34", info)
    (curve,) = plot.plot.listDataItems()
    x, y = curve.getData()
    assert list(y) == rf_curve(info)[1] and len(y) == 34 and all(a <= b for a, b in zip(y, y[1:]))
    assert list(x) == list(range(1, 35))


def test_the_pair_fits_a_1024_by_768_projector(qtbot, tmp_path, monkeypatch):
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QLabel

    from explorer.ui.main_window import MainWindow

    monkeypatch.setattr(architectures, "facts_for", lambda key, progress=None: architectures.Facts(1, 1, 1, 1))
    window = MainWindow(settings=QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(window)
    window.resize(1024, 768)
    window.show()
    window.state.tab, window.state.compare.page = "compare", "shortcuts"
    qtbot.waitUntil(lambda: len(window.state.compare.structures) == 2, timeout=30_000)
    qtbot.wait(50)
    assert (window.width(), window.height()) == (1024, 768)
    pair = window.compare.shortcuts
    squeezed = [label.text()[:40] for label in pair.findChildren(QLabel) if label.isVisible() and label.text()
                and (label.height() < label.heightForWidth(label.width()) - 2 if label.wordWrap()
                     else label.sizeHint().width() > label.width() + 1)]
    assert squeezed == []
    for strip in pair.strips.values():            # the whole network in view, nothing scrolled away
        assert strip.mapToScene(strip.viewport().rect()).boundingRect().contains(strip.sceneRect().adjusted(
            1, 1, -1, -1))
    legend = pair.legend.geometry()
    assert legend.left() >= max(s.geometry().right() for s in pair.strips.values())
    window.close()
