"""The Model Explorer view on AppState + TaskRunner (offscreen): tests drive the state and check what the widgets
show; models are LeNet-5 and small generated ONNX files. Screenshots go to /tmp/shots."""
from __future__ import annotations

import threading
import time
from pathlib import Path

import numpy as np
import onnx
import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QApplication, QLabel, QTabWidget, QVBoxLayout, QWidget
from small_models import tiny_rgb

from explorer.core import samples, zoo
from explorer.core.images import from_array
from explorer.core.inspect import inspect_model
from explorer.core.receptive_field import back_project
from explorer.state import AppState
from explorer.ui.model_explorer import preprocess_dialog
from explorer.ui.model_explorer.activation_panel import box_rect
from explorer.ui.model_explorer.strip_layout import StripNode, layout
from explorer.ui.model_explorer.view import ModelExplorerView
from explorer.workers import tasks

SHOTS = Path("/tmp/shots")


def pause(app, ms: float) -> None:
    """Process events for ms milliseconds without a QTimer (qtbot.wait's timer-driven loop hung once here)."""
    deadline = time.perf_counter() + ms / 1000
    while time.perf_counter() < deadline:
        app.processEvents()
        time.sleep(0.002)


def flat(value: int, size: int = 80):
    return from_array(np.full((size, size, 3), value, np.uint8), f"flat {value}")


@pytest.fixture(scope="module")
def photo():
    return samples.load_sample(samples.default_sample().name)


@pytest.fixture
def tiny(tmp_path):
    return str(tiny_rgb(tmp_path / "tiny.onnx"))


@pytest.fixture
def bare_lenet(tmp_path) -> Path:
    """LeNet-5 without its metadata: a file that does not say how to prepare its input."""
    model = onnx.load(str(zoo.materialize("lenet5")))
    del model.metadata_props[:]
    path = tmp_path / "lenet-bare.onnx"
    onnx.save(model, str(path))
    return path


def show(qtbot, view, model, image, timeout=60_000):
    view.state.image.set(image)
    view.select_model(model)
    qtbot.waitUntil(view.has_results, timeout=timeout)


def shot(view, name):
    pause(QApplication.instance(), 50)  # the statistics label is filled in after the paint
    SHOTS.mkdir(exist_ok=True)
    assert view.grab().save(str(SHOTS / f"explorer_{name}.png"))


def hold_load(monkeypatch, key: str) -> threading.Event:
    """Loading ``key`` waits for the returned event (set it, or cancel the task) before it really loads."""
    gate, original = threading.Event(), tasks.load_model

    def load(ctx, wanted):
        if wanted == key:
            ctx.on_cancel(gate.set)
            gate.wait(20)
            ctx.check()
        return original(ctx, wanted)

    monkeypatch.setattr(tasks, "load_model", load)
    return gate


def row_index(view, name: str) -> int:
    return next(i for i, r in enumerate(view.rows) if r.name == name)


# ----- stepping, clicking, the state as the one place choices live ------------------------------------------------
@pytest.mark.parametrize("model", ["lenet5", "tiny"])
def test_every_layer_can_be_stepped_to(qtbot, view, photo, tiny, model):
    show(qtbot, view, tiny if model == "tiny" else model, photo)
    ex, panel = view.state.explorer, view.activations
    for i, row in enumerate(view.rows):
        view.select_row(i)
        assert ex.layer == row.tensor and view.current_row == i
        assert view.table.current_row() == i and view.strip.current() == i
        values = panel.values
        assert values is not None, row.name
        if values.ndim == 3 and values.shape[1] * values.shape[2] > 1:
            assert len(panel.mosaic.order) == values.shape[0]  # one tile per channel
        else:
            assert panel.stack.currentWidget() is panel.bars_view
    view.select_row(1)
    shot(view, model)


def test_the_layer_is_state_and_the_table_follows_it(qtbot, view, photo):
    show(qtbot, view, "lenet5", photo)
    view.state.explorer.layer = "c3"
    assert view.table.current_row() == view.strip.current() == row_index(view, "c3")
    assert view.activations.row.name == "c3"
    view.table.selectRow(row_index(view, "s4"))  # the user clicks a row: intent goes into the state
    assert view.state.explorer.layer == "s4"
    view.next_button.click()
    assert view.state.explorer.layer == view.rows[row_index(view, "s4") + 1].tensor


def test_keys_step_layers_without_clicking_the_table_only_while_shown(qtbot, runner, settings, photo):
    """The bug: ← → switched tabs until the table had been clicked. The shortcuts are window-wide while the
    explorer is the visible tab, and off while another tab is."""
    tabs = QTabWidget()
    qtbot.addWidget(tabs)
    view = ModelExplorerView(AppState(), runner, settings=settings)
    tabs.addTab(QLabel("another view"), "Other")
    tabs.addTab(view, "Model Explorer")
    tabs.show()
    tabs.setCurrentIndex(1)
    try:
        show(qtbot, view, "lenet5", photo)
        bar = tabs.tabBar()
        bar.setFocus()
        ex = view.state.explorer
        assert view.current_row == 1
        qtbot.keyClick(bar, Qt.Key.Key_Right)
        assert view.current_row == 2 and tabs.currentIndex() == 1
        qtbot.keyClick(bar, Qt.Key.Key_Left)
        assert view.current_row == 1 and tabs.currentIndex() == 1
        qtbot.keyClick(bar, Qt.Key.Key_End)
        assert view.current_row == len(view.rows) - 1
        qtbot.keyClick(bar, Qt.Key.Key_Home)
        assert view.current_row == 0 and ex.layer == view.rows[0].tensor
        tabs.setCurrentIndex(0)
        bar.setFocus()
        qtbot.keyClick(bar, Qt.Key.Key_Right)  # now the tab bar's own key: it goes to the explorer's tab
        assert ex.layer == view.rows[0].tensor and tabs.currentIndex() == 1
        tabs.setCurrentIndex(0)
        qtbot.keyClick(tabs.widget(0), Qt.Key.Key_End)
        assert ex.layer == view.rows[0].tensor
    finally:
        view.shutdown()


def test_clicking_a_strip_block_selects_its_layer(qtbot, view, photo):
    show(qtbot, view, "lenet5", photo)
    centre = view.strip.mapFromScene(view.strip.block_rect(4).center())
    qtbot.mouseClick(view.strip.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(centre.x(), centre.y()))
    assert view.state.explorer.layer == view.rows[4].tensor and view.table.current_row() == 4


def test_channel_and_unit_are_state(qtbot, view, photo):
    show(qtbot, view, "lenet5", photo)
    ex, panel = view.state.explorer, view.activations
    view.select_row(1)
    y, x = panel.mosaic.tile_origin(3)
    view_pos = panel.mosaic_view.mapFromScene(panel.mosaic_item.mapToScene(x + 1.5, y + 1.5))
    qtbot.mouseClick(panel.mosaic_view.viewport(), Qt.MouseButton.LeftButton, pos=view_pos)
    assert ex.channel == 3 and panel.channel == 3
    panel._detail_hovered(panel.channel_item.mapToScene(7.5, 9.5))
    assert ex.unit == (9, 7) and panel.unit == (9, 7)
    ex.channel = 5  # and the other way round: the state moves the widgets
    assert panel.channel == 5 and panel.channel_plot.titleLabel.text.startswith("Channel 5")
    view.select_row(row_index(view, "c3"))  # 16 channels of 10×10: channel and unit still exist
    assert panel.channel == 5 and panel.unit == (9, 7)
    view.select_row(row_index(view, "s4"))  # 5×5: the unit is outside, the centre is shown
    assert panel.unit == (2, 2) and ex.unit == (9, 7)


def test_drawn_receptive_field_is_the_core_back_projection(qtbot, view, photo, tiny):
    show(qtbot, view, tiny, photo)
    ex, panel = view.state.explorer, view.activations
    ex.layer = "conv2"
    ex.channel = 5
    row = view.rows[row_index(view, "conv2")]
    for unit in ((0, 0), (10, 13)):
        ex.unit = unit
        expected = back_project(row.rf, *unit, (32, 32))
        assert panel.region == expected
        assert panel.rf_clipped.rect() == box_rect(expected.clipped)
        assert panel.rf_full.isVisible() == expected.in_padding
    ex.unit = (0, 0)
    assert "zero padding" in panel.rf_text.text()
    shot(view, "receptive_field")


def test_sorting_and_colour_scale_are_state(qtbot, view, photo):
    show(qtbot, view, "lenet5", photo)
    ex, panel = view.state.explorer, view.activations
    view.select_row(row_index(view, "c3"))
    ex.sort = True
    assert panel.sort.isChecked()
    means = panel.values.mean(axis=(1, 2))
    assert list(means[panel.mosaic.order]) == sorted(means, reverse=True)
    panel.sort.click()
    assert ex.sort is False and panel.mosaic.order == list(range(16))
    ex.normalize = "layer"
    assert panel.normalize.currentData() == "layer"
    layer_wide = panel.mosaic.image[panel.mosaic.mask]
    assert layer_wide.max() == pytest.approx(1.0)
    panel.normalize.activated.emit(0)  # the user picks "each channel"
    assert ex.normalize == "channel"
    assert not np.array_equal(panel.mosaic.image[panel.mosaic.mask], layer_wide)


def test_panel_tabs_are_state(qtbot, view, photo, tiny):
    show(qtbot, view, tiny, photo)
    ex = view.state.explorer
    ex.panel = "filters"
    assert view.tabs.currentWidget() is view.filters
    ex.layer = "conv1"
    assert view.filters.item.image.shape[2] == 3  # the first layer's filters as colour pictures
    shot(view, "filters_rgb")
    ex.layer = "conv2"
    assert "input channel 0 of 4" in view.filters.note.text()
    view.tabs.setCurrentWidget(view.rf_plot)
    assert ex.panel == "rf-growth"


def test_vector_layers_are_bars(qtbot, view, photo):
    show(qtbot, view, "lenet5", photo)
    view.select_row(len(view.rows) - 1)
    assert view.activations.stack.currentWidget() is view.activations.bars_view
    shot(view, "bars")


# ----- what is shown while models load, fail, and images change ---------------------------------------------------
def test_run_times_read_as_they_are():
    from explorer.ui.model_explorer.readouts import duration_text

    assert [duration_text(ms) for ms in (0.04, 0.43, 9.94, 10.2, 39.4)] == [
        "under 0.1 ms", "0.4 ms", "9.9 ms", "10 ms", "39 ms"]


def test_while_another_model_builds_nothing_of_the_old_one_is_shown(qtbot, view, photo, monkeypatch):
    """The bug: during the VGG-16 build the badge said "trained" and the strip still showed LeNet-5."""
    show(qtbot, view, "lenet5", photo)
    gate = hold_load(monkeypatch, "vgg16")
    view.select_model("vgg16")
    assert view.picker.combo.currentData() == "vgg16"
    assert view.picker.badge.text() == "loading…"
    assert view.summary.text() == "Loading VGG-16…"
    assert view.strip.block_count() == 0 and view.strip.placeholder == "Loading VGG-16…"
    assert view.table.model().rowCount() == 0 and view.rows == []
    assert view.activations.values is None and view.predictions.lines.text() == ""
    assert view.provider_label.text() == "runs on: –"
    assert view.progress.isVisible() and "VGG-16" in view.progress.format()
    assert not view.has_results()
    shot(view, "loading")
    view.select_model("lenet5")  # back to the loaded model: shown at once, the build is cancelled
    assert gate.is_set() and not view.progress.isVisible()
    assert view.picker.badge.text() == "trained" and view.summary.text().startswith("LeNet-5: 13 layers")
    assert view.strip.block_count() == len(view.rows) == 14
    qtbot.waitUntil(view.has_results, timeout=30_000)
    # LeNet-5 runs in well under a millisecond here: its time reads "0.4 ms", not "0 ms"
    run_ms = view.state.explorer.result.run_ms
    assert view.summary.text().endswith(f"ran in {run_ms:.1f} ms" if run_ms >= 0.1 else "ran in under 0.1 ms")
    assert not view.summary.text().endswith("ran in 0 ms")


def test_a_file_that_finishes_loading_replaces_everything(qtbot, view, photo, tiny, monkeypatch):
    show(qtbot, view, "lenet5", photo)
    gate = hold_load(monkeypatch, tiny)
    view.select_model(tiny)
    assert view.picker.combo.currentText() == "tiny.onnx" and view.summary.text() == "Loading tiny.onnx…"
    gate.set()
    qtbot.waitUntil(view.has_results, timeout=30_000)
    assert view.picker.badge.text() == "random initialisation"
    assert view.summary.text().startswith("Tiny RGB net: 9 layers")
    assert [r.name for r in view.rows][:3] == ["data", "conv1", "conv1/relu"]
    assert view.strip.block_count() == len(view.rows)
    assert "Untrained: random weights" in view.predictions.badge.text() and view.predictions.badge.isVisible()
    assert view.picker.recent() == [tiny]


def test_a_failed_load_keeps_the_previous_model_and_says_one_line(qtbot, view, photo, tmp_path):
    show(qtbot, view, "lenet5", photo)
    ex, status = view.state.explorer, view.state.status
    bad = tmp_path / "not-a-model.onnx"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n not really")
    view.open_model_file(str(bad))
    qtbot.waitUntil(lambda: bool(ex.error), timeout=10_000)
    assert "not-a-model.onnx" in ex.error and "\n" not in ex.error
    assert view.message.isVisible() and view.message.text() == ex.error
    assert (status.text, status.error, status.topic) == (ex.error, True, "explorer")
    assert ex.model == "lenet5" and view.picker.combo.currentData() == "lenet5"
    assert view.picker.badge.text() == "trained" and view.summary.text().startswith("LeNet-5")
    assert view.strip.block_count() == 14
    qtbot.waitUntil(view.has_results, timeout=30_000)  # the previous model works on with the current image
    assert str(bad.resolve()) not in view.picker.recent()
    assert view.picker.combo.findData(str(bad.resolve())) < 0
    shot(view, "error")


def test_a_failing_first_model_says_so_everywhere(qtbot, runner, settings, tmp_path):
    bad = tmp_path / "broken.onnx"
    bad.write_bytes(b"not a model")
    state = AppState()
    state.explorer.model = str(bad.resolve())  # as a restored session would
    v = ModelExplorerView(state, runner, settings=settings)
    qtbot.addWidget(v)
    try:
        qtbot.waitUntil(lambda: bool(state.explorer.error), timeout=10_000)
        assert v.summary.text() == "broken.onnx could not be loaded." and v.picker.badge.text() == "not loaded"
        assert v.strip.placeholder == "broken.onnx could not be loaded."
        assert not runner.is_busy("model-load")  # not retried on every event
        v.select_model("lenet5")
        qtbot.waitUntil(lambda: v.state.explorer.shown_model() is not None, timeout=30_000)
        assert state.explorer.error == "" and not v.message.isVisible()
    finally:
        v.shutdown()


def test_an_opened_files_note_leaves_the_status_line_with_the_file(qtbot, view, photo, bare_lenet):
    """The bug: a preprocessing warning of an opened file stayed in the status bar after choosing a built-in."""
    show(qtbot, view, "lenet5", photo)
    status = view.state.status
    view.open_model_file(str(bare_lenet))
    qtbot.waitUntil(lambda: view._dialog is not None, timeout=30_000)
    assert status.topic == "explorer" and "preprocessing" in status.text.lower()
    view._dialog.reject()
    view.select_model("lenet5")
    assert status.text == ""
    status.show("astronaut.png: 512×512", topic="image")  # other topics' lines are not the explorer's to clear
    view.select_model(str(bare_lenet))
    assert status.text == "astronaut.png: 512×512"


def test_a_result_for_an_old_image_is_never_shown_with_a_new_one(qtbot, qapp, view, photo, monkeypatch):
    show(qtbot, view, "lenet5", photo)
    ex = view.state.explorer
    dark, bright = flat(20), flat(230)
    started, release, original = threading.Event(), threading.Event(), tasks.run_model

    def run(ctx, loaded, image, recipe):
        if image is dark:  # finishes whatever happens, like a native call nobody can interrupt
            started.set()
            release.wait(20)
        return original(ctx, loaded, image, recipe)

    monkeypatch.setattr(tasks, "run_model", run)
    shown = []
    ex.events.result.connect(lambda result: shown.append(None if result is None else result.image))
    view.state.image.set(dark)
    assert started.wait(10)
    # The photo's activations went with the photo: nothing is shown until the dark image's result is in.
    assert ex.result is None and view.activations.values is None and view.predictions.lines.text() == ""
    assert view.summary.text().endswith(" — input: flat 20 80×80 · running…")
    view.state.image.set(bright)
    qtbot.waitUntil(view.has_results, timeout=30_000)
    release.set()
    qtbot.waitUntil(lambda: not view.runner.running_tasks(), timeout=10_000)
    pause(qapp, 50)  # the dark result, had it been delivered, would have arrived by now
    assert dark not in shown and shown[-1] is bright
    assert ex.result.image is bright
    assert view.activations.prepared.resized_rgb.mean() == pytest.approx(230, abs=1)


def test_after_a_lecture_grid_the_model_runs_on_the_last_photo_and_says_so(qtbot, view, photo):
    show(qtbot, view, "lenet5", photo)
    result = view.state.explorer.result
    view.state.image.set(from_array(np.eye(6, dtype=np.uint8) * 255, "lesson grid"), "lesson:edge")
    assert view.state.explorer.result is result and view.has_results()  # nothing to re-run
    h, w = photo.pixels.shape[:2]
    runs_on = view.summary.text().split(" — ")[1]
    assert runs_on.startswith(f"input: {photo.source} {w}×{h} (the last photo: the Playground shows a lecture grid)")


def test_rapid_model_and_image_switches_show_the_latest(qtbot, qapp, view, photo, tiny):
    for model, image in ((tiny, photo), ("lenet5", flat(20)), (tiny, flat(90)), ("lenet5", flat(230))):
        view.select_model(model)
        view.state.image.set(image)
        pause(qapp, 30)
    qtbot.waitUntil(view.has_results, timeout=60_000)
    assert view.state.explorer.shown_model().key == "lenet5"
    assert view.activations.prepared.resized_rgb.mean() == pytest.approx(230, abs=1)


def test_model_without_recipe_asks_and_remembers(qtbot, view, photo, bare_lenet, settings):
    view.state.image.set(photo)
    view.open_model_file(str(bare_lenet))
    qtbot.waitUntil(lambda: view._dialog is not None, timeout=30_000)
    dialog = view._dialog
    assert dialog.grayscale.isChecked() and dialog.height_box.value() == 32
    dialog.scale.setValue(1 / 255)
    dialog.accept()
    key = str(bare_lenet.resolve())
    assert preprocess_dialog.remembered(settings, key).scale == pytest.approx(1 / 255, rel=1e-3)
    qtbot.waitUntil(lambda: view.has_results() and view.state.explorer.result.preprocess.scale < 0.01,
                    timeout=30_000)
    assert key in view.picker.recent()
    # Opening it again uses the remembered recipe without asking.
    view.select_model("lenet5")
    qtbot.waitUntil(view.has_results, timeout=30_000)
    view.open_model_file(str(bare_lenet))
    qtbot.waitUntil(view.has_results, timeout=30_000)
    assert view._dialog is None


def test_an_opened_file_is_what_the_picker_shows(qtbot, view, photo, monkeypatch):
    """Opened by a relative path (as from the command line): the picker names the file, not the previous model."""
    from explorer.core.paths import onnx_models_dir

    show(qtbot, view, "lenet5", photo)
    monkeypatch.chdir(onnx_models_dir())
    show(qtbot, view, "mlp500_mnist.onnx", photo)
    assert view.picker.combo.currentText() == "mlp500_mnist.onnx"
    assert view.picker.badge.text() == "trained"
    assert view.picker.recent() == [str(onnx_models_dir() / "mlp500_mnist.onnx")]


def test_receptive_field_comparison_inspects_the_builtins_in_one_task(qtbot, view, photo, monkeypatch):
    lenet = inspect_model("lenet5")
    names = []

    def inspect_builtin(ctx, name):  # the built-ins' real inspection is core's to test; VGG-16 takes long here
        names.append(name)
        ctx.progress(0.0, f"Receptive fields: inspecting {zoo.BUILTINS[name].title}…")
        return name, lenet

    monkeypatch.setattr(tasks, "inspect_builtin", inspect_builtin)
    show(qtbot, view, "lenet5", photo)
    view.state.explorer.panel = "rf-growth"
    view.rf_plot.compare.setChecked(True)
    qtbot.waitUntil(lambda: len(view.rf_plot.others) == len(zoo.BUILTINS), timeout=10_000)
    assert names == list(zoo.BUILTINS)
    assert set(view.rf_plot.others) == {entry.title for entry in zoo.BUILTINS.values()}
    shot(view, "rf_growth")


def test_strip_layout_stacks_inception_branches_and_arcs_skips():
    def node(name, op, inputs, shape=(1, 8, 8, 8)):
        return StripNode(name, op, tuple(inputs), (name,), shape)

    nodes = [node("x", "Input", []), node("a", "Conv", ["x"]), node("b1", "Conv", ["a"]),
             node("b2", "Conv", ["a"]), node("b2b", "Conv", ["b2"]), node("cat", "Concat", ["b1", "b2b"]),
             node("c", "Conv", ["cat"]), node("d", "Conv", ["c"]), node("add", "Add", ["d", "cat"])]
    result = layout(nodes)
    b1, b2 = result.blocks[2], result.blocks[3]
    assert b1.column == b2.column and b1.x == b2.x and b1.y != b2.y  # branches side by side, stacked
    arcs = {(e.source, e.target) for e in result.edges if e.arc}
    assert arcs == {(5, 8)}  # the residual skip; the short branch b1 -> cat is a straight line


def test_prediction_lines_fit_their_rows_and_new_numbers_ask_no_layout(qtbot):
    """The top-five readout is as tall as its lines; new percentages (every live frame) repaint it without a layout
    request, a different number of lines asks for one; the tooltip holds the lines whole."""
    from PySide6.QtCore import QEvent, QObject

    from explorer.ui.model_explorer.predictions import RankedLines

    lines = RankedLines()
    qtbot.addWidget(lines)
    rows = [("Chesapeake Bay retriever", "41.0%"), ("Labrador retriever", "22.5%")]
    lines.set_rows(rows)
    assert lines.sizeHint().height() == 2 * lines.fontMetrics().lineSpacing() + 4
    assert lines.text() == "Chesapeake Bay retriever: 41.0%\nLabrador retriever: 22.5%" == lines.toolTip()

    class Requests(QObject):
        count = 0

        def eventFilter(self, obj, event):  # noqa: N802
            self.count += event.type() == QEvent.Type.LayoutRequest
            return False

    parent = QWidget()
    qtbot.addWidget(parent)
    box = QVBoxLayout(parent)
    box.addWidget(lines)
    parent.show()
    requests = Requests()
    parent.installEventFilter(requests)
    qtbot.wait(20)
    requests.count = 0
    lines.set_rows([("Chesapeake Bay retriever", "43.7%"), ("Labrador retriever", "20.1%")])
    qtbot.wait(20)
    assert requests.count == 0
    lines.set_rows(rows + [("golden retriever", "3.0%")])
    qtbot.wait(20)
    assert requests.count >= 1 and lines.height() == 3 * lines.fontMetrics().lineSpacing() + 4


def test_a_short_detail_view_gives_its_titles_height_to_the_images(qtbot):
    """On a 720 px projector the input and channel plots were slivers under their titles: a short view hides the
    titles (their text in its tooltip, new titles kept for later) and a tall one shows them again."""
    from explorer.ui.model_explorer.activation_panel import TITLE_LINES_PER_PICTURE, ActivationPanel, set_title

    panel = ActivationPanel()
    qtbot.addWidget(panel)
    panel.show()
    line = panel.fontMetrics().lineSpacing()
    panel.resize(900, 8 * line + 60)
    qtbot.waitUntil(lambda: panel.side_by_side and panel.detail_view.height() < TITLE_LINES_PER_PICTURE * line)
    qtbot.waitUntil(lambda: not panel.input_plot.titleLabel.isVisible())
    assert not panel.channel_plot.titleLabel.isVisible()
    assert panel.detail_view.toolTip() == "Input as the model sees it\nChannel"
    set_title(panel.channel_plot, "Channel 3  (13×13)")  # a new channel while the view is short
    assert not panel.channel_plot.titleLabel.isVisible()
    panel.resize(1400, 6 * TITLE_LINES_PER_PICTURE * line)   # each half wider than its title
    qtbot.waitUntil(lambda: panel.input_plot.titleLabel.isVisible())
    assert panel.channel_plot.titleLabel.text == "Channel 3  (13×13)" and panel.channel_plot.titleLabel.isVisible()
    assert panel.detail_view.toolTip() == ""


def test_the_input_and_channel_sit_side_by_side_in_a_wide_view_and_stacked_in_a_tall_one(qtbot):
    """A wide frame on a 720 px projector left the detail view ~345×115 px: stacked, each picture was a 55 px
    square; side by side, 115. Both share the room equally whatever their titles: a long title hides instead."""
    from explorer.ui.model_explorer.activation_panel import ActivationPanel

    panel = ActivationPanel()
    qtbot.addWidget(panel)
    panel.show()

    def squares() -> tuple[float, float]:
        return tuple(min(p.geometry().width(), p.geometry().height()) for p in (panel.input_plot, panel.channel_plot))

    panel.resize(1000, 330)                                    # the projector's shape
    qtbot.waitUntil(lambda: panel.side_by_side)
    view = panel.detail_view.size()
    assert view.width() > view.height()
    qtbot.waitUntil(lambda: panel.channel_plot.geometry().left() > panel.input_plot.geometry().right())
    one, two = panel.input_plot.geometry(), panel.channel_plot.geometry()
    assert one.top() == two.top() and abs(one.width() - two.width()) <= 1
    assert min(squares()) > view.height() / 2 - 20           # stacked, each would have at most half the height
    assert not panel.input_plot.titleLabel.isVisible()       # "Input as the model sees it" is wider than its half
    panel.resize(800, 1400)
    qtbot.waitUntil(lambda: not panel.side_by_side)
    qtbot.waitUntil(lambda: panel.channel_plot.geometry().top() > panel.input_plot.geometry().bottom())
    one, two = panel.input_plot.geometry(), panel.channel_plot.geometry()
    assert one.left() == two.left() and abs(one.height() - two.height()) <= 1
    assert panel.input_plot.titleLabel.isVisible() and panel.channel_plot.titleLabel.isVisible()
