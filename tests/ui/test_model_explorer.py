"""The Model Explorer view against the real core and worker (offscreen). Screenshots go to /tmp/shots."""
from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import onnx
import pytest
from PySide6.QtCore import QPoint, QSettings, Qt
from PySide6.QtWidgets import QApplication

from explorer.core import samples, zoo
from explorer.core.images import from_array
from explorer.core.receptive_field import back_project
from explorer.ui.model_explorer import preprocess_dialog
from explorer.ui.model_explorer.activation_panel import box_rect
from explorer.ui.model_explorer.strip_layout import StripNode, layout
from explorer.ui.model_explorer.view import ModelExplorerView

SHOTS = Path("/tmp/shots")


def pause(app, ms: float) -> None:
    """Process events for ms milliseconds without a QTimer (qtbot.wait's timer-driven loop hung once here)."""
    deadline = time.perf_counter() + ms / 1000
    while time.perf_counter() < deadline:
        app.processEvents()
        time.sleep(0.002)


@pytest.fixture(scope="module")
def photo():
    return samples.load_sample(samples.default_sample().name)


@pytest.fixture
def settings(tmp_path):
    # Never the user's settings: a private ini file per test.
    return QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)


@pytest.fixture
def view(qtbot, settings):
    v = ModelExplorerView(settings=settings, model=None)
    qtbot.addWidget(v)
    v.resize(1600, 950)
    v.show()
    yield v
    v.shutdown()


def show(qtbot, view, model, image, timeout=120_000):
    view.select_model(model)
    view.set_image(image)
    qtbot.waitUntil(lambda: view.result is not None and view.loaded.key == model
                    and view.result.request_id == view.controller.latest_request.id, timeout=timeout)


def shot(view, name):
    pause(QApplication.instance(), 50)  # the statistics label is filled in after the paint
    SHOTS.mkdir(exist_ok=True)
    assert view.grab().save(str(SHOTS / f"explorer_{name}.png"))


@pytest.mark.parametrize("name", list(zoo.BUILTINS))
def test_every_builtin_steps_through_every_layer(qtbot, view, photo, name):
    show(qtbot, view, name, photo)
    assert view.picker.combo.currentData() == name
    panel = view.activations
    for i, row in enumerate(view.rows):
        view.select_row(i)
        assert view.current_row == i
        assert view.strip.current() == i
        values = panel.values
        assert values is not None, row.name
        if values.ndim == 3 and values.shape[1] * values.shape[2] > 1:
            assert len(panel.mosaic.order) == values.shape[0]  # one tile per channel
            rows, cols = panel.mosaic.grid
            assert rows * cols >= values.shape[0] > (rows - 1) * cols
        else:
            assert panel.stack.currentWidget() is panel.bars_view
    view.select_row(1)
    shot(view, name)


def test_lenet_predicts_digits_and_vgg_says_untrained(qtbot, view, photo):
    show(qtbot, view, "lenet5", photo)
    assert "Untrained" not in view.predictions.badge.text()
    assert view.loaded.labels == [str(d) for d in range(10)]
    show(qtbot, view, "alexnet", photo)
    assert "Untrained: random weights" in view.predictions.badge.text()
    assert view.loaded.labels is None


def test_keys_and_buttons_step_layers(qtbot, view, photo):
    show(qtbot, view, "lenet5", photo)
    view.table.setFocus()
    view.select_row(2)
    qtbot.keyClick(view.table, Qt.Key.Key_Right)
    assert view.current_row == 3
    qtbot.keyClick(view.table, Qt.Key.Key_Left)
    assert view.current_row == 2
    qtbot.keyClick(view.table, Qt.Key.Key_End)
    assert view.current_row == len(view.rows) - 1
    qtbot.keyClick(view.table, Qt.Key.Key_Home)
    assert view.current_row == 0
    qtbot.mouseClick(view.next_button, Qt.MouseButton.LeftButton)
    assert view.current_row == 1


def test_clicking_a_strip_block_selects_its_layer(qtbot, view, photo):
    show(qtbot, view, "lenet5", photo)
    centre = view.strip.mapFromScene(view.strip.block_rect(4).center())
    qtbot.mouseClick(view.strip.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(centre.x(), centre.y()))
    assert view.current_row == 4


def test_drawn_receptive_field_is_the_core_back_projection(qtbot, view, photo):
    show(qtbot, view, "resnet34", photo)
    index = next(i for i, r in enumerate(view.rows) if r.name == "layer2.0.conv1")
    view.select_row(index)
    panel, row = view.activations, view.rows[index]
    panel.select_channel(5)
    for y, x in ((0, 0), (10, 17)):
        panel.show_unit(y, x)
        expected = back_project(row.rf, y, x, (224, 224))
        assert panel.region == expected
        assert panel.rf_clipped.rect() == box_rect(expected.clipped)
        assert panel.rf_full.isVisible() == expected.in_padding
        if expected.in_padding:
            assert panel.rf_full.rect() == box_rect(expected.box)
    panel.show_unit(0, 0)
    assert "padding" in panel.rf_text.text()
    shot(view, "receptive_field")


def test_clicking_the_mosaic_and_hovering_a_unit(qtbot, view, photo):
    show(qtbot, view, "lenet5", photo)
    view.select_row(1)
    panel = view.activations
    y, x = panel.mosaic.tile_origin(3)
    scene_pos = panel.mosaic_item.mapToScene(x + 1.5, y + 1.5)
    view_pos = panel.mosaic_view.mapFromScene(scene_pos)
    qtbot.mouseClick(panel.mosaic_view.viewport(), Qt.MouseButton.LeftButton, pos=view_pos)
    assert panel.channel == 3
    unit_scene = panel.channel_item.mapToScene(7.5, 9.5)
    panel._detail_hovered(unit_scene)
    assert panel.unit == (9, 7)


def test_sorting_and_layer_normalisation(qtbot, view, photo):
    show(qtbot, view, "lenet5", photo)
    view.select_row(2)
    panel = view.activations
    panel.sort.setChecked(True)
    means = panel.values.mean(axis=(1, 2))
    assert list(means[panel.mosaic.order]) == sorted(means, reverse=True)
    panel.normalize.setCurrentIndex(1)
    assert panel.mosaic.image[panel.mosaic.mask].max() == pytest.approx(1.0)


def test_rapid_model_and_image_switches_show_the_latest(qtbot, qapp, view, photo):
    dark = from_array(np.full((80, 80, 3), 20, np.uint8), "dark")
    bright = from_array(np.full((80, 80, 3), 230, np.uint8), "bright")
    for model, image in (("googlenet", photo), ("lenet5", dark), ("resnet34", photo), ("lenet5", bright)):
        view.select_model(model)
        view.set_image(image)
        pause(qapp, 30)
    qtbot.waitUntil(lambda: view.result is not None
                    and view.result.request_id == view.controller.latest_request.id, timeout=60_000)
    assert view.loaded.key == "lenet5"
    assert view.result.prepared.resized_rgb.mean() == pytest.approx(230, abs=1)


def test_invalid_onnx_shows_a_message_and_keeps_the_model(qtbot, view, photo, tmp_path):
    show(qtbot, view, "lenet5", photo)
    messages = []
    view.status_message.connect(messages.append)
    bad = tmp_path / "not-a-model.onnx"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n not really")
    view.open_model_file(str(bad))
    qtbot.waitUntil(lambda: bool(messages), timeout=10_000)
    assert "not-a-model.onnx" in messages[-1]
    assert view.message.isVisible()
    assert view.loaded.key == "lenet5"
    assert view.picker.combo.currentData() == "lenet5"
    assert str(bad.resolve()) not in view.picker.recent()
    shot(view, "error")


def test_model_without_recipe_asks_and_remembers(qtbot, view, photo, tmp_path, settings):
    model = onnx.load(str(zoo.materialize("lenet5")))
    del model.metadata_props[:]
    path = tmp_path / "lenet-bare.onnx"
    onnx.save(model, str(path))
    view.open_model_file(str(path))
    view.set_image(photo)
    qtbot.waitUntil(lambda: view._dialog is not None, timeout=30_000)
    dialog = view._dialog
    assert dialog.grayscale.isChecked() and dialog.height_box.value() == 32
    dialog.scale.setValue(1 / 255)
    dialog.accept()
    key = str(path.resolve())
    assert preprocess_dialog.remembered(settings, key).size == (32, 32)
    qtbot.waitUntil(lambda: view.result is not None and view.result.model_key == key, timeout=30_000)
    assert key in view.picker.recent()
    # Opening it again uses the remembered recipe without asking.
    view.select_model("lenet5")
    qtbot.waitUntil(lambda: view.loaded.key == "lenet5", timeout=30_000)
    view.open_model_file(str(path))
    qtbot.waitUntil(lambda: view.result is not None and view.result.model_key == key, timeout=30_000)
    assert view._dialog is None


def test_filters_tab_and_rf_growth_tab(qtbot, view, photo):
    show(qtbot, view, "alexnet", photo)
    view.select_row(1)
    view.tabs.setCurrentWidget(view.filters)
    assert view.filters.item.image.shape[2] == 3
    shot(view, "filters_rgb")
    conv2 = next(i for i, r in enumerate(view.rows) if r.name == "conv2")
    view.select_row(conv2)
    assert "input channel 0" in view.filters.note.text()
    view.tabs.setCurrentWidget(view.rf_plot)
    view.rf_plot.compare.setChecked(True)
    qtbot.waitUntil(lambda: len(view.rf_plot.others) == len(zoo.BUILTINS), timeout=120_000)
    shot(view, "rf_growth")


def test_vector_layers_are_bars(qtbot, view, photo):
    show(qtbot, view, "lenet5", photo)
    view.select_row(len(view.rows) - 1)
    assert view.activations.stack.currentWidget() is view.activations.bars_view
    shot(view, "bars")


def test_closing_during_vgg16_inference_is_fast(qtbot, view, photo):
    loaded = []
    view.controller.model_loaded.connect(loaded.append)
    view.select_model("vgg16")
    view.set_image(photo)
    qtbot.waitUntil(lambda: bool(loaded), timeout=120_000)
    time.sleep(0.05)  # the run has started (or finished: closing must be fast and clean either way)
    started = time.perf_counter()
    view.shutdown()
    assert time.perf_counter() - started < 2.0
    assert not view.controller._thread.isRunning()


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


def test_an_opened_file_is_what_the_picker_shows(qtbot, view, photo, monkeypatch):
    """Opened by a relative path (as from the command line): the picker names the file, not the previous model."""
    from explorer.core.paths import onnx_models_dir

    show(qtbot, view, "lenet5", photo)
    monkeypatch.chdir(onnx_models_dir())
    show(qtbot, view, "mlp500_mnist.onnx", photo)
    assert view.picker.combo.currentText() == "mlp500_mnist.onnx"
    assert view.picker.badge.text() == "trained"
    assert view.picker.recent() == [str(onnx_models_dir() / "mlp500_mnist.onnx")]
