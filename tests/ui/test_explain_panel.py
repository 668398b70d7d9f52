"""The Explain panel and the effective field of the clicked unit (offscreen): tests drive the state and check what the
panel shows; models are LeNet-5 (trained, fast) and small generated ONNX files."""
from __future__ import annotations

import threading
from types import SimpleNamespace

import cv2
import numpy as np
import pytest
from small_models import tiny_rgb

from explorer.core import erf, explain, mnist, zoo
from explorer.core.images import from_array
from explorer.ui.model_explorer.activation_panel import box_rect
from explorer.ui.model_explorer.explain_panel import TITLES, ResultCache
from explorer.workers import tasks


@pytest.fixture(scope="module")
def digit():
    d = mnist.heldout_digits()
    return from_array(d.images[3], "held-out digit")


def explained(qtbot, view, timeout=30_000):
    qtbot.waitUntil(lambda: view.explain.current() is not None, timeout=timeout)
    return view.explain.current()


def open_explain(qtbot, view, model, image):
    view.state.image.set(image)
    view.select_model(model)
    qtbot.waitUntil(view.has_results, timeout=30_000)
    view.state.explorer.panel = "explain"
    return explained(qtbot, view)


def gate_class(monkeypatch, blocked: int) -> tuple[threading.Event, threading.Event]:
    """explain_image for class ``blocked`` waits until it is cancelled; returns (started, cancelled)."""
    started, cancelled, original = threading.Event(), threading.Event(), tasks.explain_image

    def slow(ctx, *args):
        if args[5] == blocked:
            ctx.on_cancel(cancelled.set)
            started.set()
            cancelled.wait(10)
            ctx.check()
        return original(ctx, *args)

    monkeypatch.setattr(tasks, "explain_image", slow)
    return started, cancelled


def test_the_map_lies_over_the_image_at_the_images_size(qtbot, view, tmp_path):
    wide = from_array(np.random.default_rng(0).integers(0, 255, (60, 100, 3), np.uint8), "wide")
    value = open_explain(qtbot, view, str(tiny_rgb(tmp_path / "tiny.onnx")), wide)
    panel, ex = view.explain, view.state.explorer
    assert value.explanation.heat.shape == (60, 100)  # the model saw 32×32; the map is the user's image
    assert panel.heat_item.image.shape[:2] == panel.image_item.image.shape[:2] == (60, 100)
    assert panel.heat_item.isVisible() and panel.caption.text().startswith(TITLES[ex.explain_method])
    ex.explain_opacity = 0.3
    assert panel.heat_item.opacity() == pytest.approx(0.3) and panel.opacity.value() == 30
    panel.opacity.setValue(80)  # the user drags the slider
    assert ex.explain_opacity == pytest.approx(0.8)
    path = tmp_path / "overlay.png"
    assert panel.export_png(path)
    written = cv2.cvtColor(cv2.imread(str(path)), cv2.COLOR_BGR2RGB)
    assert np.array_equal(written, explain.overlay(wide, value.explanation.heat, 0.8))


def test_layers_and_classes_are_offered_and_chosen_through_the_state(qtbot, view, digit):
    value = open_explain(qtbot, view, "lenet5", digit)
    panel, ex = view.explain, view.state.explorer
    assert value.explanation.layer == value.default_layer and value.default_layer in panel.layer.itemText(0)
    assert panel.klass.count() == 11 and panel.klass.itemData(0) is None  # top prediction, then classes 0..9
    other = next(i for i in range(1, panel.layer.count()) if panel.layer.itemData(i) != value.default_layer)
    panel.layer.activated.emit(other)
    assert ex.explain_layer == panel.layer.itemData(other)
    assert explained(qtbot, view).explanation.layer == ex.explain_layer
    panel.klass.activated.emit(panel.klass.findData(7))
    assert ex.explain_class == 7
    assert explained(qtbot, view).explanation.class_index == 7 and "class 7" in panel.caption.text()


def test_impossible_occlusion_settings_say_why_in_one_line(qtbot, view, digit):
    open_explain(qtbot, view, "lenet5", digit)
    ex = view.state.explorer
    ex.explain_method = "occlusion"
    assert view.explain.patch.isVisible() and not view.explain.layer.isEnabled()
    ex.explain_patch = 40  # LeNet-5 sees 32×32
    qtbot.waitUntil(lambda: "patch 40" in view.explain.caption.text(), timeout=30_000)
    assert "\n" not in view.explain.caption.text() and not view.explain.heat_item.isVisible()
    assert view.state.status.error and "patch 40" in view.state.status.text
    ex.explain_patch = 8
    assert explained(qtbot, view).explanation.method == "occlusion"


def test_a_new_class_cancels_the_old_run_and_the_latest_is_shown(qtbot, view, digit, monkeypatch):
    open_explain(qtbot, view, "lenet5", digit)
    started, cancelled = gate_class(monkeypatch, blocked=2)
    ex = view.state.explorer
    ex.explain_class = 2
    assert started.wait(10)
    assert view.explain.current() is None and not view.explain.heat_item.isVisible()  # class 2 is not there yet
    ex.explain_class = 5
    assert cancelled.is_set()
    assert explained(qtbot, view).explanation.class_index == 5


def test_switching_back_is_a_cache_hit(qtbot, view, digit, monkeypatch):
    first = open_explain(qtbot, view, "lenet5", digit)
    ex = view.state.explorer
    ex.explain_method = "eigen-cam"
    assert explained(qtbot, view).explanation.method == "eigen-cam"
    calls = []
    monkeypatch.setattr(tasks, "explain_image", lambda *args: calls.append(args))
    ex.explain_method = first.explanation.method
    assert view.explain.current() is first and not view.runner.is_busy("explain") and calls == []


def test_the_cache_forgets_the_least_recently_used_maps_beyond_its_budget(digit):
    def value(key, image=digit):
        heat = np.zeros((10, 10), np.float32)  # 400 bytes, 400 more for the input map, 300 of colours
        return tasks.Explained((key,), image, SimpleNamespace(heat=heat, input_heat=heat),
                               np.zeros((10, 10, 3), np.uint8), (), None, 10)

    cache = ResultCache(budget=2 * 1100)
    a, b, c = value("a"), value("b"), value("c")
    cache.put(a)
    cache.put(b)
    assert cache.get(("a",), digit) is a  # a is now the most recent
    cache.put(c)
    assert cache.get(("b",), digit) is None and cache.get(("a",), digit) is a and cache.get(("c",), digit) is c
    assert cache.get(("a",), from_array(digit.pixels, "the same pixels, another image")) is None


def test_a_hidden_panel_computes_nothing_and_hiding_it_cancels(qtbot, view, digit, monkeypatch):
    started, cancelled = gate_class(monkeypatch, blocked=None)
    view.state.image.set(digit)
    view.select_model("lenet5")
    qtbot.waitUntil(view.has_results, timeout=30_000)
    assert not started.is_set() and not view.runner.is_busy("explain")  # the Activations tab is shown
    view.state.explorer.panel = "explain"
    assert started.wait(10)
    view.state.explorer.panel = "filters"
    assert cancelled.is_set() and not view.runner.is_busy("explain")


def test_maps_of_a_random_network_say_so(qtbot, view, digit, tmp_path):
    open_explain(qtbot, view, str(tiny_rgb(tmp_path / "tiny.onnx")), digit)
    assert view.explain.note.isVisible() and view.explain.note.text() == explain.RANDOM_NOTE
    view.select_model("lenet5")
    explained(qtbot, view)
    assert not view.explain.note.isVisible()


def test_effective_field_of_the_clicked_unit_on_lenet(qtbot, view, digit):
    view.state.image.set(digit)
    view.select_model("lenet5")
    qtbot.waitUntil(view.has_results, timeout=30_000)
    ex, panel = view.state.explorer, view.activations
    c3 = next(row for row in view.rows if row.name == "c3")
    ex.layer, ex.channel, ex.unit = c3.tensor, 2, (4, 5)
    assert not panel.field_item.isVisible()
    panel.effective.click()
    assert ex.effective_field
    qtbot.waitUntil(lambda: ex.field is not None, timeout=30_000)
    field = ex.field
    expected = erf.effective_receptive_field(explain.ExplainModel(zoo.build("lenet5")), c3.tensor, (2, 4, 5), digit)
    np.testing.assert_allclose(field.magnitude, expected.magnitude, rtol=1e-5, atol=1e-7)
    assert field.box == panel.region.clipped  # drawn inside the theoretical box on screen
    assert panel.field_item.isVisible() and panel.field_item.mapRectToParent(
        panel.field_item.boundingRect()) == box_rect(field.box)
    assert f"{field.fraction90 * 100:.0f} % of the theoretical field" in panel.rf_text.text()
    ex.unit = (0, 0)  # another unit: the old field goes at once, the new one follows
    assert not panel.field_item.isVisible()
    qtbot.waitUntil(lambda: ex.field is not None, timeout=30_000)
    assert ex.field.unit == (2, 0, 0) and panel.field_item.isVisible()
    panel.effective.click()
    assert ex.field is None and not panel.field_item.isVisible() and "Effective" not in panel.rf_text.text()


def test_the_map_gets_the_height_of_a_wide_short_panel(qtbot):
    """A 720 px projector at zoom 1.5 leaves the panel ~865×335 px: under four rows of controls, the random-weights
    note and the caption, the map was ~65 px tall. Beside one column of controls (which scrolls, texts included)
    it gets the panel's height; a tall, narrow panel keeps the controls above the map."""
    from explorer.state.app import AppState
    from explorer.ui.model_explorer.explain_panel import ExplainPanel
    from explorer.workers.runner import TaskRunner

    runner = TaskRunner()
    panel = ExplainPanel(AppState(), runner)
    qtbot.addWidget(panel)
    panel.caption.setText("Ablation-CAM at pool5 for class 892 (the top prediction, logit 6.68) · 1 forward pass")
    panel.show()
    try:
        panel.resize(865, 335)
        qtbot.waitUntil(lambda: panel.beside and panel.view.height() >= panel.height() - 10)
        assert panel.view.geometry().left() >= panel.controls.geometry().right()
        assert min(panel.view.width(), panel.view.height()) >= 300            # was ~65 px tall
        inner = panel.controls.widget()
        for widget in (panel.method, panel.export, panel.caption):  # all there, scrolled to if need be
            assert inner.isAncestorOf(widget) and widget.isVisible()
        assert inner.isAncestorOf(panel.note)                                  # shown for random weights
        panel.resize(500, 900)
        qtbot.waitUntil(lambda: not panel.beside
                        and panel.view.geometry().top() >= panel.controls.geometry().bottom())
        assert panel.controls.verticalScrollBar().maximum() == 0               # above the map it never scrolls
        assert not panel.controls.widget().isAncestorOf(panel.caption)        # the caption is under the map again
    finally:
        runner.shutdown(1.0)


def test_the_controls_above_the_map_follow_a_zoom(qtbot):
    """Above the map the controls' column has the pairs' height; a zoom made later (Ctrl+=) must not leave them
    cut off under a height measured at the old size."""
    from explorer.state.app import AppState
    from explorer.ui import style, zoom
    from explorer.ui.model_explorer.explain_panel import ExplainPanel
    from explorer.workers.runner import TaskRunner

    runner = TaskRunner()
    panel = ExplainPanel(AppState(), runner)
    qtbot.addWidget(panel)
    panel.resize(500, 900)
    panel.show()
    try:
        inner = panel.controls.widget()
        qtbot.waitUntil(lambda: not panel.beside and not panel.patch.isVisible()  # a CAM method: no occlusion rows
                        and panel.controls.height() == inner.sizeHint().height())
        qtbot.wait(100)  # the hidden rows' layout request
        before = panel.controls.height()
        zoom.apply(panel, 1.5, "normal")
        qtbot.waitUntil(lambda: panel.controls.height() >= inner.sizeHint().height() > before)
        assert panel.controls.verticalScrollBar().maximum() == 0
    finally:
        zoom.apply(panel, 1.0, "normal")
        style.set_zoom(1.0)
        runner.shutdown(1.0)


def test_occlusions_own_settings_make_room_for_the_note_when_a_cam_method_is_chosen(qtbot):
    """Patch, stride and fill apply to occlusion alone. Shown (greyed) for the CAM methods they pushed the
    random-weights note below the fold of a 720 px projector at zoom 1.5; the projector theme did not even grey them."""
    from explorer.core import explain
    from explorer.state.app import AppState
    from explorer.ui import style, zoom
    from explorer.ui.model_explorer.explain_panel import ExplainPanel
    from explorer.workers.runner import TaskRunner

    runner = TaskRunner()
    state = AppState()
    panel = ExplainPanel(state, runner)
    qtbot.addWidget(panel)
    panel.note.setText(explain.RANDOM_NOTE)  # what a random network's panel says
    panel.note.show()
    panel.resize(865, 335)
    panel.show()
    try:
        zoom.apply(panel, 1.5, "normal")
        occlusion_only = [w for pair in panel.pairs if pair[1] in (panel.patch, panel.stride, panel.fill)
                          for w in pair]
        state.explorer.explain_method = "ablation-cam"
        qtbot.waitUntil(lambda: panel.beside and not any(w.isVisible() for w in occlusion_only))
        qtbot.wait(50)
        note = panel.note.geometry()
        assert note.bottom() <= panel.controls.viewport().height()  # the whole note without scrolling
        state.explorer.explain_method = "occlusion"
        qtbot.waitUntil(lambda: all(w.isVisible() for w in occlusion_only))
    finally:
        zoom.apply(panel, 1.0, "normal")
        style.set_zoom(1.0)
        runner.shutdown(1.0)


def test_the_arrangement_follows_the_rows_a_method_shows(qtbot):
    """Occlusion's three extra rows above the map can tip the choice to the column beside it; the CAM methods,
    without them, get the map under their two rows of controls again, without waiting for a resize."""
    from explorer.state.app import AppState
    from explorer.ui.model_explorer.explain_panel import ExplainPanel
    from explorer.workers.runner import TaskRunner

    runner = TaskRunner()
    state = AppState()
    panel = ExplainPanel(state, runner)
    qtbot.addWidget(panel)
    panel.resize(560, 440)
    panel.show()
    try:
        state.explorer.explain_method = "occlusion"
        qtbot.waitUntil(lambda: panel.beside)
        beside_side = min(panel.view.width(), panel.view.height())
        state.explorer.explain_method = "ablation-cam"
        qtbot.waitUntil(lambda: not panel.beside and panel.view.geometry().top() >= panel.controls.geometry().bottom())
        qtbot.wait(50)
        assert min(panel.view.width(), panel.view.height()) > beside_side  # the larger square, as promised
    finally:
        runner.shutdown(1.0)
