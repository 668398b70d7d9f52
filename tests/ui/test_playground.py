"""Convolution Playground: every control, hover taps, arithmetic, animation, coalescing, export, screenshot.

Expected values always come from explorer.core, never from the view itself.
"""
from __future__ import annotations

import time

import numpy as np
import pytest
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QImage
from PySide6.QtTest import QTest

from explorer.core import conv, kernels, samples
from explorer.core.conv import ConvParams, PoolParams
from explorer.core.errors import UserError
from explorer.core.images import from_array
from explorer.state import AppState
from explorer.ui.playground.view import PlaygroundView
from explorer.workers.runner import TaskRunner


def _settle(qtbot, view: PlaygroundView) -> None:
    qtbot.wait(1)
    view.flush()


@pytest.fixture
def new_view(qtbot):
    """A bare view over its own state and task runner (stopped after the test)."""
    runners = []

    def make() -> PlaygroundView:
        runner = TaskRunner()
        runners.append(runner)
        view = PlaygroundView(AppState(), runner)
        qtbot.addWidget(view)
        return view
    yield make
    for runner in runners:
        runner.shutdown(2.0)


@pytest.fixture
def make_view(qtbot, new_view):
    def make(sample: str = "astronaut") -> PlaygroundView:
        view = new_view()
        view.resize(1400, 900)
        view.show()
        qtbot.waitExposed(view)
        view.app.image.set(samples.load_sample(sample))
        _settle(qtbot, view)
        return view
    return make


@pytest.fixture
def view(make_view) -> PlaygroundView:
    return make_view()


def _kernel(view: PlaygroundView) -> np.ndarray:
    return np.array(view.state.kernel, np.float32)


def _expected(view: PlaygroundView, image) -> conv.PlaygroundResult:
    s = view.state
    return conv.playground_forward(image, _kernel(view), s.conv_params(), s.mode, s.pool_params())


def _sorted(taps: np.ndarray, flags: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    order = np.lexsort((taps[:, 1], taps[:, 0]))
    return taps[order], flags[order]


def test_defaults_match_core(view):
    image = samples.load_sample("astronaut").pixels
    assert view.state.conv_params() == ConvParams(size=3, stride=1, padding=0, dilation=1)
    assert view.kernel_editor.preset.currentText() == "vertical edge"
    assert view.state.mode == "gray"
    np.testing.assert_array_equal(view.output_map(), _expected(view, image).output)
    assert "= 510" in view.formula.text()


@pytest.mark.parametrize("control, value", [
    ("size", 7), ("size", 1), ("stride", 3), ("padding", 4), ("padding", -1), ("dilation", 4),
])
def test_every_conv_control_changes_shape_as_core_predicts(view, qtbot, control, value):
    before = view.output_map().shape
    getattr(view.controls, control).setValue(value)
    _settle(qtbot, view)
    expected = conv.output_shape(512, 512, view.state.conv_params())
    assert view.output_map().shape == expected
    assert expected != before
    assert view.output_canvas.image.image.shape[:2] == expected


@pytest.mark.parametrize("kind", ["max", "avg"])
def test_pooling_controls(view, qtbot, kind):
    c = view.controls
    c.pool_kind.setCurrentIndex(c.pool_kind.findData(kind))
    for size, stride in [(2, 2), (3, 2), (4, 3)]:
        c.pool_size.setValue(size)
        c.pool_stride.setValue(stride)
        _settle(qtbot, view)
        pool = PoolParams(kind=kind, size=size, stride=stride)
        assert view.state.pool_params() == pool
        assert view.output_map().shape == conv.pool_shape(*conv.output_shape(512, 512, view.state.conv_params()), pool)
    assert f"{kind if kind == 'max' else 'average'} pooling" in view.formula.pool_line.text()


@pytest.mark.parametrize("mode", ["r", "g", "b", "volume", "gray"])
def test_channel_modes(view, qtbot, mode):
    image = samples.load_sample("astronaut").pixels
    view.controls.mode.setCurrentIndex(view.controls.mode.findData(mode))
    _settle(qtbot, view)
    np.testing.assert_array_equal(view.output_map(), _expected(view, image).output)
    shown = view.input_canvas.image.image
    if mode in "rgb":  # only the convolved plane is shown, in its own colour
        channel = "rgb".index(mode)
        np.testing.assert_array_equal(shown[..., channel], image[..., channel])
        assert not np.delete(shown, channel, axis=2).any()
        assert f"{mode.upper()} plane" in view.input_canvas.plot.titleLabel.text
    weights = "3×3×3 = 27 weights" if mode == "volume" else "3×3×1 = 9 weights"
    assert weights in view.formula.cost_line.text()


def test_impossible_combination_explained_inline_and_previous_output_kept(make_view, qtbot):
    view = make_view("lecture-edge-6x6")
    view.controls.size.setValue(5)
    _settle(qtbot, view)
    previous, formula = view.output_map().copy(), view.formula.text()
    view.controls.dilation.setValue(3)  # spans 13 pixels on a 6-pixel image
    _settle(qtbot, view)
    with pytest.raises(UserError) as core_error:
        conv.output_shape(6, 6, view.state.conv_params())
    assert view.error_text() == str(core_error.value)
    assert view.error_label.isVisible()
    np.testing.assert_array_equal(view.output_map(), previous)
    assert view.formula.text() == formula
    view.state.hover_unit((0, 0))  # hover still explains the map on screen, with the settings that made it
    assert view.arithmetic.shown_sum == pytest.approx(float(previous[0, 0]))
    view.controls.dilation.setValue(1)
    _settle(qtbot, view)
    assert view.error_text() == "" and not view.error_label.isVisible()


@pytest.mark.parametrize("params, unit", [
    ({"size": 3}, (10, 20)),
    ({"size": 5, "stride": 2, "padding": 3, "dilation": 2}, (0, 3)),
    ({"size": 4, "padding": -1, "dilation": 3}, (255, 0)),
    ({"size": 15, "dilation": 6, "padding": 10}, (5, 7)),
])
def test_hover_marks_exactly_core_taps(view, qtbot, params, unit):
    c = view.controls
    for name, value in params.items():
        getattr(c, name).setValue(value)
    _settle(qtbot, view)
    view.state.hover_unit(unit)
    rf = conv.unit_receptive_field(*unit, (512, 512), view.state.conv_params())
    taps, flags = _sorted(*view.taps.marked_taps())
    want, want_flags = _sorted(rf.taps, rf.in_padding)
    np.testing.assert_array_equal(taps, want)
    np.testing.assert_array_equal(flags, want_flags)
    top, left, bottom, right = rf.box
    assert view.taps.box.rect().getRect() == (left, top, right - left + 1, bottom - top + 1)


def test_padding_band_drawn_outside_image(view, qtbot):
    view.controls.padding.setValue(4)
    _settle(qtbot, view)
    band = view.taps.band.path().boundingRect()
    assert band.getRect() == (-4, -4, 520, 520)
    assert view.taps.band.path().contains(QPointF(-2, 100))
    assert not view.taps.band.path().contains(QPointF(256, 256))  # the image itself is not covered


def test_hover_pooled_unit_marks_union_of_taps(view, qtbot):
    c = view.controls
    c.pool_kind.setCurrentIndex(c.pool_kind.findData("max"))
    c.pool_size.setValue(3)
    c.dilation.setValue(2)
    _settle(qtbot, view)
    view.state.hover_unit((4, 6))
    rf = conv.pooled_unit_receptive_field(4, 6, (512, 512), view.state.conv_params(), view.state.pool_params())
    taps, _flags = _sorted(*view.taps.marked_taps())
    np.testing.assert_array_equal(taps, _sorted(rf.taps, rf.in_padding)[0])
    assert "maximum of a 3×3 window" in view.arithmetic.label.text()


def test_real_mouse_move_over_output_hovers_that_unit(view, qtbot):
    canvas = view.output_canvas
    target = (100, 200)
    canvas.plot.setRange(QRectF(190, 90, 20, 20), padding=0)  # zoomed in: a unit spans many screen pixels
    qtbot.wait(1)
    point = canvas.mapFromScene(canvas.scene_pos_of(*target))
    QTest.mouseMove(canvas.viewport(), point)
    qtbot.waitUntil(lambda: view.state.hover == target, timeout=2000)
    rf = conv.unit_receptive_field(*target, (512, 512), view.state.conv_params())
    np.testing.assert_array_equal(_sorted(*view.taps.marked_taps())[0], _sorted(rf.taps, rf.in_padding)[0])
    QTest.mouseClick(canvas.viewport(), Qt.MouseButton.LeftButton, pos=point)  # pin: moving away keeps the unit
    QTest.mouseMove(canvas.viewport(), canvas.mapFromScene(canvas.scene_pos_of(95, 195)))
    qtbot.wait(20)
    assert view.state.hover == target


@pytest.mark.parametrize("mode, params, unit", [
    ("gray", {"size": 3}, (57, 300)),
    ("gray", {"size": 5, "padding": 2, "stride": 2}, (0, 0)),       # corner: taps in the padding read 0
    ("volume", {"size": 3, "dilation": 2}, (200, 100)),
    ("r", {"size": 7, "padding": -1}, (511, 511)),
])
def test_arithmetic_panel_sum_equals_core_output(view, qtbot, mode, params, unit):
    c = view.controls
    c.mode.setCurrentIndex(c.mode.findData(mode))
    for name, value in params.items():
        getattr(c, name).setValue(value)
    _settle(qtbot, view)
    view.state.hover_unit(unit)
    value = float(view.output_map()[unit])
    assert view.arithmetic.shown_sum == pytest.approx(value, rel=1e-5, abs=1e-3)
    assert f"output[{unit[0]}, {unit[1]}]" in view.arithmetic.label.text()
    if mode == "volume":
        assert "Volume mode" in view.arithmetic.label.text()


def test_arithmetic_not_listed_beyond_7x7(view, qtbot):
    view.controls.size.setValue(9)
    _settle(qtbot, view)
    view.state.hover_unit((3, 3))
    assert view.arithmetic.shown_sum is None
    assert "too many to list" in view.arithmetic.label.text()


def test_step_animation_slides_right_by_stride_then_down(make_view, qtbot):
    view = make_view("lecture-edge-6x6")
    view.controls.stride.setValue(2)
    view.controls.padding.setValue(1)
    _settle(qtbot, view)
    rows, cols = view.output_map().shape
    assert (rows, cols) == conv.output_shape(6, 6, view.state.conv_params()) == (3, 3)
    lefts_tops = []
    for n in range(1, rows * cols + 1):
        QTest.keyClick(view, Qt.Key.Key_Period) if n == 1 else view.animator.step()
        assert (view.state.animation + 1) == n
        shown = view.output_canvas.image.image
        assert np.count_nonzero(~np.isnan(shown)) == n  # the map is revealed exactly up to the window
        rect = view.taps.box.rect()
        lefts_tops.append((int(rect.left()), int(rect.top())))
    assert lefts_tops == [(-1 + 2 * c, -1 + 2 * r) for r in range(rows) for c in range(cols)]
    view.animator.step()  # past the end: stays complete, no timer
    assert (view.state.animation + 1) == rows * cols and not view.animator.playing
    view.shortcuts["R"].activated.emit()
    assert view.state.animation == -1
    assert not np.isnan(view.output_canvas.image.image).any()


def test_play_pause_and_hide_stop_the_timer(make_view, qtbot):
    view = make_view("lecture-binary-5x5")
    view.speed.setValue(60)
    view.play_button.click()
    assert view.animator.playing and view.play_button.text() == "Pause"
    qtbot.waitUntil(lambda: (view.state.animation + 1) >= 3, timeout=3000)
    view.play_button.click()
    assert not view.animator.playing and view.play_button.text() == "Play"
    view.animator.play()
    view.hide()
    assert not view.animator.playing


def test_parameter_change_during_animation_restarts_it(make_view, qtbot):
    view = make_view("lecture-binary-5x5")
    for _ in range(4):
        view.animator.step()
    view.controls.padding.setValue(1)
    _settle(qtbot, view)
    assert (view.state.animation + 1) == 1
    assert view.output_canvas.image.image.shape == conv.output_shape(5, 5, view.state.conv_params())  # revealing: values


def test_rapid_changes_coalesce_into_few_recomputes(view, qtbot):
    start = view.recompute_count
    for i in range(100):
        view.controls.size.setValue(1 + i % 15)
        view.controls.stride.setValue(1 + i % 8)
    qtbot.wait(50)
    assert view.recompute_count - start <= 2
    assert view.output_map().shape == conv.output_shape(512, 512, view.state.conv_params())
    np.testing.assert_array_equal(view.output_map(),
                                  _expected(view, samples.load_sample("astronaut").pixels).output)


def test_kernel_editor_cells_presets_and_resizing(view, qtbot):
    ed = view.kernel_editor
    ed.set_cell(0, 1, 2.5)
    _settle(qtbot, view)
    assert ed.preset.currentText() == "custom"
    assert _kernel(view)[0, 1] == 2.5
    np.testing.assert_array_equal(view.output_map(), _expected(view, samples.load_sample("astronaut").pixels).output)
    custom = _kernel(view)
    view.controls.size.setValue(5)  # a hand-made kernel is resized by core
    np.testing.assert_array_equal(_kernel(view), kernels.resize_kernel(custom, 5))
    ed.table.item(0, 0).setText("not a number")  # refused: the old value comes back
    assert ed.table.item(0, 0).text() == f"{_kernel(view)[0, 0]:.3g}"
    ed.preset.setCurrentText("gaussian")  # a preset is regenerated at the new size
    view.controls.size.setValue(7)
    np.testing.assert_array_equal(_kernel(view), kernels.make_kernel("gaussian", 7))
    _settle(qtbot, view)
    assert ed.table.rowCount() == ed.table.columnCount() == 7


def test_keyboard_shortcuts(view, qtbot):
    view.activateWindow()
    qtbot.waitActive(view)
    c = view.controls
    keys = [(Qt.Key.Key_BracketRight, Qt.KeyboardModifier.NoModifier, c.size, 4),
            (Qt.Key.Key_BracketLeft, Qt.KeyboardModifier.NoModifier, c.size, 3),
            (Qt.Key.Key_S, Qt.KeyboardModifier.NoModifier, c.stride, 2),
            (Qt.Key.Key_S, Qt.KeyboardModifier.ShiftModifier, c.stride, 1),
            (Qt.Key.Key_P, Qt.KeyboardModifier.NoModifier, c.padding, 1),
            (Qt.Key.Key_D, Qt.KeyboardModifier.NoModifier, c.dilation, 2),
            (Qt.Key.Key_D, Qt.KeyboardModifier.ShiftModifier, c.dilation, 1)]
    for key, modifier, box, value in keys:
        QTest.keyClick(view, key, modifier)
        assert box.value() == value, (key, modifier)
    QTest.keyClick(view, Qt.Key.Key_P, Qt.KeyboardModifier.ShiftModifier)
    QTest.keyClick(view, Qt.Key.Key_P, Qt.KeyboardModifier.ShiftModifier)
    assert view.state.padding == "same"
    QTest.keyClick(view, Qt.Key.Key_M)
    assert view.state.mode == "r"
    QTest.keyClick(view, Qt.Key.Key_Space)
    assert view.animator.playing
    QTest.keyClick(view, Qt.Key.Key_Space)
    assert not view.animator.playing


def test_every_control_has_a_tooltip(view):
    from PySide6.QtWidgets import (
        QAbstractButton,
        QAbstractSpinBox,
        QComboBox,
        QTableWidget,
    )
    controls = [w for kind in (QAbstractSpinBox, QComboBox, QAbstractButton, QTableWidget)
                for w in view.findChildren(kind) if not w.objectName().startswith("qt_")]  # Qt's own parts
    assert len(controls) >= 14
    assert all(w.toolTip() for w in controls), [w for w in controls if not w.toolTip()]


def test_export_png_has_output_shape(view, qtbot, tmp_path):
    view.controls.stride.setValue(3)
    _settle(qtbot, view)
    messages = []
    view.app.status.events.text.connect(messages.append)
    path = tmp_path / "out.png"
    assert view.export_output_png(path)
    image = QImage(str(path))
    assert (image.height(), image.width()) == view.output_map().shape == conv.output_shape(512, 512, view.state.conv_params())
    assert str(path) in messages[-1]


def test_export_is_pixel_identical_to_the_cli(view, qtbot, tmp_path):
    """The window and `cnn-explorer conv` share core's colours: the same map gives the same PNG."""
    import cv2

    from explorer.cli import main

    view.controls.stride.setValue(2)
    _settle(qtbot, view)
    gui_png, cli_png = tmp_path / "gui.png", tmp_path / "cli.png"
    assert view.export_output_png(gui_png)
    sample = samples.get_sample("astronaut").path
    assert main(["conv", str(sample), "--kernel", "vertical edge", "--stride", "2", "--out", str(cli_png)]) == 0
    gui, cli = cv2.imread(str(gui_png)), cv2.imread(str(cli_png))
    assert gui.shape[:2] == conv.output_shape(512, 512, view.state.conv_params())
    np.testing.assert_array_equal(gui, cli)


def test_export_without_image_says_so(new_view, tmp_path):
    view = new_view()
    messages = []
    view.app.status.events.text.connect(messages.append)
    assert not view.export_output_png(tmp_path / "x.png")
    assert messages and "load an image" in messages[0]


def test_screenshot_renders(view, qtbot, tmp_path):
    view.controls.padding.setValue(2)
    view.controls.dilation.setValue(2)
    _settle(qtbot, view)
    view.state.hover_unit((0, 0))
    path = tmp_path / "playground.png"
    assert view.grab().save(str(path))
    shot = QImage(str(path))
    assert shot.width() >= 1400 and shot.height() >= 900


def test_big_image_stays_responsive(new_view):
    rng = np.random.default_rng(0)
    view = new_view()
    view.show()
    view.app.image.set(from_array(rng.integers(0, 256, (2048, 2048, 3), dtype=np.uint8), "random"))
    view.flush()
    view.controls.size.setValue(7)
    view.controls.dilation.setValue(2)
    view.flush()
    assert view.output_map().shape == conv.output_shape(2048, 2048, view.state.conv_params())
    start = time.perf_counter()
    for r in range(20):
        view.state.hover_unit((r * 50, r * 40))
    assert (time.perf_counter() - start) / 20 < 0.1  # hover must keep up with the pointer


def test_the_colour_bar_measures_its_labels_again_only_when_they_change(qtbot, monkeypatch):
    """Measuring the bar's tick text (a layout of every label, then a layout pass of the window) ran on every live
    frame; a frame whose scale keeps the same labels needs neither, a new magnitude needs both."""
    from explorer.ui import style
    from explorer.ui.playground.canvases import OutputCanvas

    canvas = OutputCanvas("Output")
    qtbot.addWidget(canvas)
    canvas.resize(400, 300)
    canvas.show()
    measured = []
    real = style.measure_axis_text
    monkeypatch.setattr(style, "measure_axis_text", lambda axis: (measured.append(axis), real(axis))[1])
    values = np.linspace(-1, 1, 24 * 24, dtype=np.float32).reshape(24, 24)
    canvas.set_map(values)
    bar = canvas.colorbar.getAxis("right")
    labels, count = style.tick_texts(bar), len(measured)
    canvas.set_map(values * 1.01)     # the next frame of a video: the same labels
    assert style.tick_texts(bar) == labels and len(measured) == count
    canvas.set_map(values * 1000)     # another magnitude: longer labels, measured again
    assert style.tick_texts(bar) != labels and measured[count:] == [bar]
    assert any(len(text) >= 4 for text in style.tick_texts(bar))  # "1000" or "-500": wider than "1" or "-0.5"
