"""The Model Explorer on a live source: while playing it fetches only the shown layer and the output; a layer change
rebuilds that session and gives the same map as the all-activations run; pausing computes every activation again.
The source is a fake camera far faster than the consumer (frames are dropped), driven by the real LiveController."""
from __future__ import annotations

import threading
import time

import numpy as np
import pytest
from fake_video import FakeCamera, frame_number
from PySide6.QtCore import QEvent, QObject, QSettings
from small_models import slow_rgb, tiny_rgb

from explorer.core import layer_picture, mosaic, render, samples, video, zoo
from explorer.core.live_inference import LiveSession
from explorer.core.runtime import ActivationSession, RunCancelled
from explorer.core.sandboxed_session import SandboxedLive, SandboxedSession
from explorer.ui.live_source import LiveController
from explorer.ui.main_window import MainWindow
from explorer.ui.model_explorer import effective_field, live_runs

WAIT_MS = 30_000


@pytest.fixture
def fetches(monkeypatch):
    """What every run asked onnxruntime for: ("live", fetched names) or ("all", every tensor), in order; a user's
    file asks from its sandbox child (the same interfaces: SandboxedLive, SandboxedSession)."""
    seen: list[tuple[str, tuple[str, ...]]] = []

    def recording(cls, kind: str, names) -> None:
        run = cls.run

        def recorded(self, *args, **kwargs):
            seen.append((kind, names(self)))
            return run(self, *args, **kwargs)

        monkeypatch.setattr(cls, "run", recorded)

    for cls in (LiveSession, SandboxedLive):
        recording(cls, "live", lambda session: session.fetch)
    for cls in (ActivationSession, SandboxedSession):
        recording(cls, "all", lambda session: tuple(session.tensor_names))
    return seen


@pytest.fixture
def playing(explorer_view, qtbot):
    """The explorer (LeNet-5) with a fake camera playing into its image state; stopped at the end."""
    view = explorer_view
    camera = FakeCamera(size=(160, 120))
    controller = LiveController(view.state, view.runner)
    qtbot.waitUntil(lambda: view.state.explorer.shown_model() is not None, timeout=WAIT_MS)
    controller.start(lambda: camera, "camera:fake", camera.name)
    yield view, controller, camera
    controller.stop()


def live_result_for(view, layer: str):
    """Wait for a live result holding ``layer`` (while playing, the latest is usually the previous frame's: the
    next frame goes in as soon as it is painted)."""
    ex = view.state.explorer
    return lambda: ex.result is not None and ex.result.live and layer in ex.result.activations.tensors


def test_playing_fetches_only_the_shown_layer_and_the_output(fetches, playing, qtbot):
    view, controller, camera = playing
    live, ex = view.state.live, view.state.explorer
    qtbot.waitUntil(lambda: live.shown >= 5 and live.dropped > 0, timeout=WAIT_MS)
    shown = view.rows[view.current_row].tensor
    output = ex.shown_model().session.output_name
    assert fetches and set(fetches) == {("live", (shown, output))}  # never every activation while playing
    # ... and onnxruntime's graph has only those outputs (not just the names asked for at run time)
    session = view.live_runs._session.session._session
    assert [o.name for o in session.get_outputs()] == [shown, output]
    qtbot.waitUntil(live_result_for(view, shown), timeout=WAIT_MS)
    result = ex.result
    assert set(result.activations.tensors) == {shown}
    np.testing.assert_array_equal(view.activations.values, result.activations.tensors[shown][0])
    # the prediction is painted from the same run's output
    assert view.predictions.lines.text() and result.top[0][0] == int(np.argmax(result.activations.output))


def test_the_summary_is_no_longer_while_frames_play(playing, qtbot):
    """It said "live: shown layer + prediction" while playing, longer than "ran in 0.4 ms": a second line on a
    720 px projector, so the strip and the maps moved down a line at every play and up at every pause."""
    view, controller, camera = playing
    ex = view.state.explorer
    qtbot.waitUntil(live_result_for(view, view.rows[view.current_row].tensor), timeout=WAIT_MS)
    live_text = view.summary.text()
    controller.set_playing(False)
    qtbot.waitUntil(lambda: ex.result is not None and not ex.result.live, timeout=WAIT_MS)
    paused_text = view.summary.text()
    assert live_text.endswith(" · live") and " · ran in " in paused_text
    assert len(live_text) <= len(paused_text)


def test_the_explain_panel_asks_for_a_pause_and_explains_the_frozen_frame(playing, qtbot, monkeypatch):
    """With the Explain tab shown, every frame started a map and the video crawled at the map's pace (AlexNet,
    Ablation-CAM: one frame a second); like the measured effective field, it now asks for a pause."""
    from explorer.ui.model_explorer import explain_panel
    from explorer.workers import tasks

    view, controller, camera = playing
    ex, live = view.state.explorer, view.state.live
    submitted: list = []
    original = tasks.explain_image
    monkeypatch.setattr(tasks, "explain_image", lambda ctx, *args: submitted.append(args[2]) or original(ctx, *args))
    ex.panel = "explain"
    qtbot.waitUntil(lambda: view.explain.caption.text() == explain_panel.LIVE, timeout=WAIT_MS)
    shown = live.shown
    qtbot.waitUntil(lambda: live.shown >= shown + 5, timeout=WAIT_MS)   # the frames keep coming
    assert submitted == [] and not view.runner.is_busy(explain_panel.KIND)
    controller.set_playing(False)
    qtbot.waitUntil(lambda: view.explain.current() is not None, timeout=WAIT_MS)
    frozen = view.state.image.model_input()
    assert submitted and submitted[-1] is frozen     # (a frame already on its way when paused may come first)
    assert view.explain.current().image is frozen


def test_pausing_computes_every_activation_of_the_frozen_frame(fetches, playing, qtbot):
    view, controller, camera = playing
    live, ex = view.state.live, view.state.explorer
    qtbot.waitUntil(lambda: live.shown >= 3, timeout=WAIT_MS)
    controller.set_playing(False)
    # every frame read is shown or dropped (the one waiting in the channel goes in once the views are done) ...
    qtbot.waitUntil(lambda: live.shown + live.dropped == camera.read_count, timeout=WAIT_MS)
    frame = view.state.image.image
    # ... and the last one gets every activation
    qtbot.waitUntil(lambda: ex.result is not None and ex.result.image is frame and not ex.result.live,
                    timeout=WAIT_MS)
    names = ex.shown_model().session.tensor_names
    assert set(ex.result.activations.tensors) == set(names)
    assert fetches[-1] == ("all", tuple(names))
    # stepping through the layers of the frozen frame needs no further run
    runs = len(fetches)
    for index in range(1, len(view.rows)):
        view.select_row(index)
        assert not view.runner.is_busy("model-run") and not view.runner.is_busy(live_runs.KIND)
    assert len(fetches) == runs


def test_a_layer_change_while_playing_gives_the_full_runs_map_of_that_frame(fetches, playing, qtbot):
    view, controller, camera = playing
    ex = view.state.explorer
    first = view.rows[view.current_row].tensor
    qtbot.waitUntil(live_result_for(view, first), timeout=WAIT_MS)
    other = next(row for row in view.rows[view.current_row + 2:] if row.op == "Conv").tensor
    ex.layer = other
    qtbot.waitUntil(live_result_for(view, other), timeout=WAIT_MS)
    result = ex.result
    assert ("live", (other, ex.shown_model().session.output_name)) in fetches
    oracle = ActivationSession(zoo.build("lenet5")).run(result.prepared.tensor)  # an independent session
    np.testing.assert_allclose(result.activations.tensors[other], oracle.tensors[other], rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(result.activations.output, oracle.output, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(view.activations.values, oracle.tensors[other][0], rtol=1e-4, atol=1e-5)


def test_live_mosaics_are_made_beside_the_run_and_paint_the_frames_maps(playing, qtbot, monkeypatch):
    """The live task makes the shown layer's mosaic (off the GUI thread); the panel paints exactly those pixels, the
    ones an independent session's map of that frame gives. A new colour scale repaints the frame on screen at once,
    and the following frames come with it."""
    view, controller, camera = playing
    ex = view.state.explorer
    made_on_gui_thread: list[bool] = []
    real = layer_picture.channel_mosaic
    monkeypatch.setattr(layer_picture, "channel_mosaic", lambda *args, **kwargs: (
        made_on_gui_thread.append(threading.current_thread() is threading.main_thread()), real(*args, **kwargs))[1])
    conv = next(row for row in view.rows[view.current_row + 1:] if row.op == "Conv").tensor
    ex.layer = conv
    qtbot.waitUntil(live_result_for(view, conv), timeout=WAIT_MS)
    shown = view.state.live.shown
    qtbot.waitUntil(lambda: view.state.live.shown >= shown + 3, timeout=WAIT_MS)
    assert made_on_gui_thread and not any(made_on_gui_thread)
    result = ex.result
    assert result.picture is not None and view.activations.mosaic is result.picture.mosaic
    oracle = ActivationSession(zoo.build("lenet5")).run(result.prepared.tensor).tensors[conv][0]
    np.testing.assert_allclose(view.activations.values, oracle, rtol=1e-4, atol=1e-5)
    expected = mosaic.channel_mosaic(view.activations.values, normalize="channel")
    painted = view.activations.mosaic_item.image
    np.testing.assert_array_equal(painted, render.unit_to_rgb32(expected.image, expected.mask))

    made_on_gui_thread.clear()
    ex.normalize = "layer"  # the frame on screen is repainted with the new scale now, not a frame later
    assert made_on_gui_thread == [True]
    assert view.activations.mosaic.image.max() == pytest.approx(1.0)
    qtbot.waitUntil(lambda: ex.result is not result and ex.result.picture is not None
                    and ex.result.picture.normalize == "layer", timeout=WAIT_MS)


def test_a_zoom_into_the_live_mosaic_stays_while_frames_come_and_goes_with_the_layer(playing, qtbot):
    """New frames of the shown layer keep the views' ranges (the user's zoom included); another layer is fitted."""
    view, controller, camera = playing
    ex, panel = view.state.explorer, view.activations
    conv = next(row for row in view.rows[view.current_row + 1:] if row.op == "Conv").tensor
    ex.layer = conv
    qtbot.waitUntil(live_result_for(view, conv), timeout=WAIT_MS)
    box = panel.mosaic_plot.getViewBox()
    box.scaleBy((0.5, 0.5))  # the user zooms in
    zoomed = box.viewRange()
    shown = view.state.live.shown
    qtbot.waitUntil(lambda: view.state.live.shown >= shown + 3, timeout=WAIT_MS)
    assert ex.result.live and box.viewRange() == zoomed
    other = next(row for row in view.rows if row.op == "Conv" and row.tensor != conv).tensor
    ex.layer = other
    qtbot.waitUntil(live_result_for(view, other), timeout=WAIT_MS)
    h, w = panel.mosaic.image.shape
    (x0, x1), (y0, y1) = box.viewRange()
    assert x0 <= 0 and x1 >= w and y0 <= 0 and y1 >= h  # the whole new mosaic in view


def test_quick_layer_changes_while_playing_build_only_the_last_layers_session(fetches, playing, qtbot):
    view, controller, camera = playing
    ex = view.state.explorer
    qtbot.waitUntil(live_result_for(view, view.rows[view.current_row].tensor), timeout=WAIT_MS)
    for index in (2, 3, 4):  # faster than a session builds: each build cancels the one before (latest wins)
        view.select_row(index)
    last = view.rows[4].tensor
    qtbot.waitUntil(live_result_for(view, last), timeout=WAIT_MS)
    shown = view.state.live.shown
    qtbot.waitUntil(lambda: view.state.live.shown >= shown + 3, timeout=WAIT_MS)
    output = ex.shown_model().session.output_name
    assert fetches[-1] == ("live", (last, output))
    assert not {fetched for kind, fetched in fetches} & {(view.rows[i].tensor, output) for i in (2, 3)}


def test_the_input_row_while_playing_fetches_the_output_alone(fetches, playing, qtbot):
    view, controller, camera = playing
    live = view.state.live
    view.select_row(0)
    shown = live.shown
    qtbot.waitUntil(lambda: live.shown >= shown + 3, timeout=WAIT_MS)
    output = view.state.explorer.shown_model().session.output_name
    assert ("live", (output,)) in fetches and all(kind == "live" for kind, _ in fetches)
    result = view.state.explorer.result
    assert result.activations.tensors == {}
    np.testing.assert_array_equal(view.activations.values, result.prepared.tensor[0])


def test_another_model_while_playing_runs_live_on_its_own_session(fetches, playing, qtbot, tmp_path):
    view, controller, camera = playing
    ex = view.state.explorer
    qtbot.waitUntil(live_result_for(view, view.rows[view.current_row].tensor), timeout=WAIT_MS)
    view.select_model(str(tiny_rgb(tmp_path / "tiny.onnx")))
    qtbot.waitUntil(lambda: ex.shown_model() is not None and ex.shown_model().title == "Tiny RGB net",
                    timeout=WAIT_MS)
    shown = view.rows[view.current_row].tensor  # conv1 of the tiny net: LeNet-5's layer name is not in it
    qtbot.waitUntil(live_result_for(view, shown), timeout=WAIT_MS)
    assert ex.result.model_key == ex.model and fetches[-1] == ("live", (shown, "prob"))
    oracle = ActivationSession(tmp_path / "tiny.onnx").run(ex.result.prepared.tensor)
    np.testing.assert_allclose(ex.result.activations.tensors[shown], oracle.tensors[shown], rtol=1e-4, atol=1e-5)
    assert view.predictions.lines.text().startswith("output ")  # random weights: outputs, not class names


def test_pausing_a_users_model_mid_run_keeps_its_child(playing, qtbot, tmp_path, monkeypatch):
    """Pausing cancels the live run under way in the user's model's child (the full run of the frozen frame
    replaces it): the child stops that run and stays, so the full run needs no new child and no model load."""
    view, controller, camera = playing
    ex = view.state.explorer
    ended: list[str] = []  # how each request to the child ended
    request = SandboxedSession._request

    def recorded(self, *args, **kwargs):
        try:
            answer = request(self, *args, **kwargs)
        except RunCancelled:
            ended.append("cancelled")
            raise
        ended.append("answered")
        return answer

    monkeypatch.setattr(SandboxedSession, "_request", recorded)
    view.select_model(str(slow_rgb(tmp_path / "slow.onnx", side=256)))  # ~1 s a run, ~0.1 s a node
    qtbot.waitUntil(lambda: ex.shown_model() is not None and ex.shown_model().title == "Slow net", timeout=WAIT_MS)
    session = ex.shown_model().session
    pid = session.pid
    qtbot.waitUntil(lambda: "answered" in ended and view.live_runs._session is not None and bool(session._in_flight),
                    timeout=WAIT_MS)  # a live frame is running in the child
    controller.set_playing(False)
    live = view.state.live
    qtbot.waitUntil(lambda: live.shown + live.dropped == camera.read_count, timeout=WAIT_MS)  # the last one is in
    frame = view.state.image.image
    qtbot.waitUntil(lambda: ex.result is not None and ex.result.image is frame and not ex.result.live,
                    timeout=WAIT_MS)
    assert "cancelled" in ended  # the live run was stopped, not waited for
    assert session.alive and session.pid == pid
    assert set(ex.result.activations.tensors) == set(session.tensor_names)  # every layer of the frozen frame


def test_the_effective_field_asks_for_a_pause_while_playing(playing, qtbot):
    view, controller, camera = playing
    ex = view.state.explorer
    qtbot.waitUntil(lambda: view.state.live.shown >= 1, timeout=WAIT_MS)
    ex.effective_field = True
    assert ex.field_text == effective_field.LIVE and not view.runner.is_busy(effective_field.KIND)
    ex.effective_field = False


def test_live_predictions_do_not_restyle_the_badges_on_every_frame(playing, qtbot):
    """Setting a style sheet (even the same one) re-polishes the label and lays the window out again."""
    view, controller, camera = playing
    live, ex = view.state.live, view.state.explorer
    # From the still picture's prediction to the camera's, a badge may change once: count from a live one on.
    qtbot.waitUntil(lambda: live.shown >= 2 and ex.result is not None and ex.result.live, timeout=WAIT_MS)

    class StyleChanges(QObject):
        count = 0

        def eventFilter(self, obj, event):  # noqa: N802 (Qt naming)
            self.count += event.type() == QEvent.Type.StyleChange
            return False

    changes = StyleChanges()
    badges = (view.picker.badge, view.predictions.badge)
    for badge in badges:
        badge.installEventFilter(changes)
    shown = live.shown
    qtbot.waitUntil(lambda: live.shown >= shown + 5, timeout=WAIT_MS)
    for badge in badges:
        badge.removeEventFilter(changes)
    assert changes.count == 0 and view.predictions.lines.text()


def test_the_command_lines_video_and_model_show_every_activation_of_the_first_frame(qtbot, tmp_path, fetches):
    """What `--screenshot OUT --video FILE --model NAME` does before its grab (app.run_gui), in the real window."""
    clip = video.write_video(tmp_path / "clip.avi", video.moving_bars(5, (320, 240)))
    window = MainWindow(settings=QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(window)
    window.set_image(samples.load_sample(samples.default_sample().name))
    window.live.open_from_command_line(str(clip), None, playing=False)
    qtbot.waitUntil(window.live.has_frame, timeout=WAIT_MS)
    window.tabs.setCurrentWidget(window.explorer)
    window.explorer.select_model("lenet5")
    qtbot.waitUntil(window.explorer.has_results, timeout=WAIT_MS)
    result = window.state.explorer.result
    assert result.image.source == "clip.avi" and frame_number(result.image.pixels) == 0
    names = window.state.explorer.shown_model().session.tensor_names
    assert not result.live and set(result.activations.tensors) == set(names)
    assert all(kind == "all" for kind, _ in fetches)
    window.live.stop()
    window.close()


class FlippingCamera:
    """Frames alternating between an MNIST digit and a photo, both 512×512: LeNet-5's digit verdict flips with
    every frame."""
    interval_s = 0.0
    name = "Flipping camera"
    notes: tuple[str, ...] = ()

    def __init__(self) -> None:
        import cv2

        from explorer.core import mnist

        digit = cv2.resize(mnist.heldout_digits().images[0], (512, 512), interpolation=cv2.INTER_NEAREST)
        self.frames = [np.repeat(digit[..., None], 3, axis=2), samples.load_sample("astronaut").pixels]
        self.count = 0

    def read(self) -> np.ndarray:
        time.sleep(0.02)
        self.count += 1
        return self.frames[self.count % 2].copy()

    def close(self) -> None:
        pass


def test_a_digit_verdict_flipping_with_the_frames_never_moves_the_prediction_lines(explorer_view, qtbot):
    """The digits-only warning comes and goes from frame to frame; above the lines it pushed them down and up
    ~30 times a second. It sits below them now, and while playing the prediction's area only grows."""
    view = explorer_view
    view.resize(1600, 1000)
    view.state.image.set(samples.load_sample("astronaut"))
    qtbot.waitUntil(view.has_results, timeout=WAIT_MS)
    controller = LiveController(view.state, view.runner)
    controller.start(FlippingCamera, "camera:flipping", FlippingCamera.name)
    ex, panel = view.state.explorer, view.predictions
    live_results = [0]
    ex.events.result.connect(
        lambda *_: live_results.__setitem__(0, live_results[0] + bool(ex.result and ex.result.live)))
    try:
        qtbot.waitUntil(lambda: live_results[0] >= 6, timeout=WAIT_MS)  # the area has grown for the warning
        tops, warned = set(), set()

        def sample() -> bool:
            tops.add(panel.lines.mapTo(view, panel.lines.rect().topLeft()).y())
            warned.add(panel.digit_warning.isVisible())
            return live_results[0] >= 40

        qtbot.waitUntil(sample, timeout=WAIT_MS)
    finally:
        controller.stop()
    assert warned == {True, False}  # the verdict did flip
    assert len(tops) == 1, tops
