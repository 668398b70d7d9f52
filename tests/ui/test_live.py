"""Live sources in the window: latest wins (drops counted, the newest frame shown), failures leave one line and the
last good frame, the end of a file stops or loops, pause and step freeze an explorable frame."""
from __future__ import annotations

import json
import time

import cv2
import numpy as np
import pytest
from fake_video import FakeCamera, frame_number
from PySide6.QtCore import QSettings, Qt

from explorer.core import conv, samples, video
from explorer.state import session
from explorer.state.playground import compute, readout
from explorer.ui.main_window import MainWindow
from explorer.ui.model_explorer.live_runs import RUNS

WAIT_MS = 10_000


@pytest.fixture
def window(qtbot, tmp_path):
    win = MainWindow(settings=QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(win)
    win.set_image(samples.load_sample(samples.default_sample().name))
    yield win
    win.close()


@pytest.fixture
def clip(tmp_path):
    return video.write_video(tmp_path / "clip.avi", video.moving_bars(12, (160, 120)), fps=50)


def shown_number(window) -> int:
    return frame_number(window.image.pixels)


def test_a_fast_camera_drops_old_frames_counts_them_and_shows_the_newest(window, qtbot):
    camera = FakeCamera()
    live = window.state.live
    window.live.start(lambda: camera, "camera:fake", camera.name)
    qtbot.waitUntil(lambda: live.shown >= 2, timeout=WAIT_MS)
    time.sleep(0.3)  # the GUI thread is busy: the camera keeps sending, nothing queues
    qtbot.waitUntil(lambda: live.dropped > 0, timeout=WAIT_MS)
    window.live.set_playing(False)
    # every frame read is either shown or dropped (the last one goes in once the Playground has finished)
    qtbot.waitUntil(lambda: live.shown + live.dropped == camera.read_count, timeout=WAIT_MS)
    assert shown_number(window) == (camera.read_count - 1) % 2**video.FRAME_BITS  # the newest one
    assert window.live_toolbar.rate.text().strip() == f"paused at frame {live.shown} ({live.dropped} dropped)"


def test_a_camera_failing_mid_stream_leaves_one_line_and_its_last_good_frame(window, qtbot):
    camera = FakeCamera(fail_after=5)
    window.live.start(lambda: camera, "camera:fake", camera.name)
    qtbot.waitUntil(lambda: not window.state.live.running, timeout=WAIT_MS)
    assert camera.closed.wait(2)
    qtbot.wait(50)
    assert shown_number(window) == 4
    message = window.message_text()
    assert "stopped sending pictures" in message and "\n" not in message and window.state.status.error
    # still responsive: the frame on screen is convolved and another source can be chosen
    assert window.playground.output_map().shape == conv.output_shape(120, 160, window.state.playground.conv_params())
    window.live.still_image()
    assert window.image.source == samples.load_sample(samples.default_sample().name).source


@pytest.mark.parametrize("loop", [False, True])
def test_the_end_of_a_file_stops_on_its_last_frame_or_starts_over(window, qtbot, clip, loop):
    live = window.state.live
    live.loop = loop
    window.live.open_video(clip)
    if loop:
        qtbot.waitUntil(lambda: live.shown + live.dropped > 15, timeout=WAIT_MS)
        assert live.running
        window.live.stop()
        return
    qtbot.waitUntil(lambda: not live.running, timeout=WAIT_MS)
    qtbot.wait(50)
    assert shown_number(window) == 11 and live.shown + live.dropped == 12
    assert window.message_text().startswith("End of clip.avi") and not window.state.status.error
    window.live.set_playing(True)  # Play after the end watches it again from the start
    qtbot.waitUntil(lambda: live.running and live.shown >= 1, timeout=WAIT_MS)
    window.live.stop()


def test_a_truncated_file_keeps_its_last_good_frame(window, qtbot, clip, tmp_path):
    data = clip.read_bytes()
    cut = tmp_path / "cut.avi"
    cut.write_bytes(data[: len(data) // 2])
    window.live.open_video(cut)
    qtbot.waitUntil(lambda: not window.state.live.running, timeout=WAIT_MS)
    qtbot.wait(50)
    message = window.message_text()
    assert "cut.avi is damaged after frame" in message and window.state.status.error
    good = int(message.split("after frame ")[1].split()[0])
    assert shown_number(window) == good - 1


def test_paused_step_shows_one_frame_at_a_time_and_the_playground_explains_it(window, qtbot, clip):
    live = window.state.live
    window.live.open_video(clip, playing=False)
    qtbot.wait(200)
    assert live.shown == 0 and window.image.source != "clip.avi"  # paused before the first frame: nothing read
    for expected in range(3):
        window.live.step()
        qtbot.waitUntil(lambda: live.shown == expected + 1, timeout=WAIT_MS)
        assert shown_number(window) == expected
    qtbot.wait(100)
    assert live.shown == 3 and not live.playing
    frame = window.image
    expected_map = compute(frame, window.state.playground.settings()).result.output
    np.testing.assert_array_equal(window.playground.output_map(), expected_map)
    window.state.playground.click_unit((10, 20))  # the frozen frame stays explorable
    qtbot.wait(100)
    shown = readout(window.state.playground.outcome, window.state.playground.hover)
    assert window.image is frame and window.state.playground.pinned
    assert shown.unit == (10, 20) and shown.value == pytest.approx(float(expected_map[10, 20]))


def test_a_4k_video_plays_at_the_working_size_and_the_status_line_says_so(window, qtbot, tmp_path):
    """As an opened 4K photo is: the first frame already carries the note (it travels with the frame, not after
    it), and the Playground maps 2048×1152, not 3840×2160."""
    uhd = video.write_video(tmp_path / "uhd.avi", video.moving_bars(2, (3840, 2160)), fps=10)
    window.live.open_video(uhd, playing=False)
    window.live.step()
    qtbot.waitUntil(lambda: window.state.live.shown == 1, timeout=WAIT_MS)
    assert window.image.pixels.shape[:2] == (1152, 2048)
    assert window.message_text() == ("uhd.avi: 2048×1152 — downscaled from 3840×2160 to 2048×1152 to keep the "
                                     "playground interactive")
    window.playground.flush()
    assert window.playground.output_map().shape == (1150, 2046)


def test_the_hidden_playground_computes_nothing_while_a_source_plays_and_catches_up_when_shown(window, qtbot):
    window.show()
    window.tabs.setCurrentWidget(window.explorer)
    pg = window.playground
    qtbot.waitUntil(lambda: not (pg._compute.pending or window.runner.is_busy("playground")), timeout=WAIT_MS)
    computed = pg.recompute_count
    camera, live = FakeCamera(), window.state.live
    window.live.start(lambda: camera, "camera:fake", camera.name)
    qtbot.waitUntil(lambda: live.shown >= 5, timeout=WAIT_MS)
    assert pg.recompute_count == computed  # no map for frames nobody sees
    # an export (or a test) asking for the map gets the frame on screen all the same
    np.testing.assert_array_equal(pg.output_map(), compute(window.image, window.state.playground.settings())
                                  .result.output)
    shown_before = live.shown
    qtbot.waitUntil(lambda: live.shown > shown_before + 2, timeout=WAIT_MS)
    window.tabs.setCurrentWidget(pg)  # on screen again while playing: it computes the current frame at once
    qtbot.waitUntil(lambda: pg.recompute_count > computed, timeout=WAIT_MS)
    window.live.set_playing(False)
    qtbot.waitUntil(lambda: live.shown + live.dropped == camera.read_count, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: not (pg._compute.pending or window.runner.is_busy("playground")), timeout=WAIT_MS)
    outcome = window.state.playground.outcome
    assert outcome.image is window.image
    np.testing.assert_array_equal(outcome.result.output,
                                  compute(window.image, window.state.playground.settings()).result.output)


def test_the_hidden_explorer_runs_no_model_while_a_source_plays_and_catches_up_when_shown(window, qtbot):
    window.show()
    explorer, ex = window.explorer, window.state.explorer
    window.tabs.setCurrentWidget(explorer)
    qtbot.waitUntil(explorer.has_results, timeout=60_000)  # LeNet-5 on the still picture
    window.tabs.setCurrentWidget(window.playground)
    still_result = ex.result
    camera, live = FakeCamera(), window.state.live
    window.live.start(lambda: camera, "camera:fake", camera.name)
    qtbot.waitUntil(lambda: live.shown >= 5, timeout=WAIT_MS)
    assert ex.result is None or ex.result is still_result  # no run for frames nobody sees
    assert not any(window.runner.is_busy(kind) for kind in RUNS)
    window.tabs.setCurrentWidget(explorer)  # on screen again while playing: it runs the frame then on screen
    qtbot.waitUntil(lambda: ex.result is not None and ex.result is not still_result and ex.result.live,
                    timeout=WAIT_MS)
    window.live.set_playing(False)


def test_the_shown_playground_maps_every_frame_handed_over_and_no_frame_twice(window, qtbot):
    """A live frame's map is submitted while the frame goes in, so the controller waits for it before the next."""
    window.show()
    window.tabs.setCurrentWidget(window.playground)
    pg, live = window.playground, window.state.live
    qtbot.waitUntil(lambda: not (pg._compute.pending or window.runner.is_busy("playground")), timeout=WAIT_MS)
    handed, mapped = [], []
    on_image = lambda *_: handed.append(window.image)  # noqa: E731
    on_outcome = lambda *_: mapped.append(window.state.playground.outcome.image)  # noqa: E731
    window.state.image.events.image.connect(on_image)
    window.state.playground.events.outcome.connect(on_outcome)
    camera = FakeCamera()
    try:
        window.live.start(lambda: camera, "camera:fake", camera.name)
        qtbot.waitUntil(lambda: live.shown >= 8, timeout=WAIT_MS)
        window.live.set_playing(False)
        qtbot.waitUntil(lambda: live.shown + live.dropped == camera.read_count, timeout=WAIT_MS)
        qtbot.waitUntil(lambda: not (pg._compute.pending or window.runner.is_busy("playground")), timeout=WAIT_MS)
    finally:
        window.state.image.events.image.disconnect(on_image)
        window.state.playground.events.outcome.disconnect(on_outcome)
    assert len(handed) == live.shown and live.dropped > 0
    assert [id(image) for image in mapped] == [id(image) for image in handed]


def test_snapshot_saves_the_frame_on_screen(window, qtbot, clip, tmp_path):
    window.live.open_video(clip, playing=False)
    window.live.step()
    qtbot.waitUntil(lambda: window.state.live.shown == 1, timeout=WAIT_MS)
    out = tmp_path / "frame.png"
    assert window.live.snapshot(out)
    saved = cv2.cvtColor(cv2.imread(str(out)), cv2.COLOR_BGR2RGB)
    np.testing.assert_array_equal(saved, window.image.pixels)


def test_the_toolbar_shows_the_source_and_its_rate_only_while_live(window, qtbot, clip):
    bar = window.live_toolbar
    assert bar.isHidden()
    window.live.open_video(clip, playing=False)
    window.live.step()
    qtbot.waitUntil(lambda: window.state.live.shown == 1, timeout=WAIT_MS)
    assert not bar.isHidden() and "clip.avi" in bar.source_label.text()
    assert bar.rate.text().strip() == "paused at frame 1 (0 dropped)"
    window.live.still_image()
    assert bar.isHidden() and window.image.source != "clip.avi"


def test_no_camera_is_one_line_and_the_picture_stays(window, qtbot):
    before = window.image
    window.live.open_camera(97)
    qtbot.waitUntil(lambda: not window.state.live.running, timeout=WAIT_MS)
    assert "Camera 97 could not be opened" in window.message_text() and window.image is before


def test_opening_a_picture_stops_the_camera_for_it(window, qtbot):
    camera = FakeCamera()
    window.live.start(lambda: camera, "camera:fake", camera.name)
    qtbot.waitUntil(lambda: window.state.live.shown >= 1, timeout=WAIT_MS)
    window.load_sample(samples.samples()[-1].name)
    assert camera.closed.wait(2)
    qtbot.wait(100)
    assert window.image.source == samples.load_sample(samples.samples()[-1].name).source
    assert not window.state.live.live and window.live_toolbar.isHidden()


def test_a_slow_view_is_never_starved_by_a_fast_camera(window, qtbot):
    """A new frame goes in only when the views' work on the previous one is done, so a view slower than the camera
    still finishes on every frame it is given (handing frames over faster would cancel it every time)."""
    answered = []

    def slow_view(ctx, image):
        time.sleep(0.05)
        return image

    def on_image(*_):
        window.runner.submit("slow-view", slow_view, window.image, on_done=answered.append)

    window.state.image.events.image.connect(on_image)
    camera = FakeCamera()
    try:
        window.live.start(lambda: camera, "camera:fake", camera.name)
        qtbot.waitUntil(lambda: len(answered) >= 4, timeout=WAIT_MS)
        window.live.set_playing(False)
        # every frame handed over gets its answer, the last one about the frame on screen
        qtbot.waitUntil(lambda: len(answered) == window.state.live.shown, timeout=WAIT_MS)
        qtbot.wait(100)
        assert answered[-1] is window.image and len(answered) == window.state.live.shown
        assert window.state.live.dropped > 0
    finally:
        window.state.image.events.image.disconnect(on_image)


def test_the_next_frame_goes_in_as_the_answer_is_delivered_not_an_event_later(window, qtbot):
    """A view's answer and the next frame's hand-over happen in the same delivery, before anything else queued runs:
    with frames run side by side, every event in between was a core left idle."""
    handed_over_with_the_answer = []

    def view(ctx, image):
        time.sleep(0.02)
        return image

    def on_image(*_):
        window.runner.submit("some-view", view, window.image, on_done=answered)

    def answered(image):
        shown = window.state.live.shown
        window.runner.answered.connect(lambda _kind: handed_over_with_the_answer.append(
            window.state.live.shown > shown), Qt.ConnectionType.SingleShotConnection)

    window.state.image.events.image.connect(on_image)
    camera = FakeCamera()
    try:
        window.live.start(lambda: camera, "camera:fake", camera.name)
        qtbot.waitUntil(lambda: len(handed_over_with_the_answer) >= 5, timeout=WAIT_MS)
        window.live.stop()
        assert all(handed_over_with_the_answer)
    finally:
        window.state.image.events.image.disconnect(on_image)


def test_the_rate_readout_changes_a_few_times_a_second_while_playing(window, qtbot, monkeypatch):
    """People read the frame rate a few times a second; repainting it on every frame would only cost the live view."""
    from explorer.ui import live_controls

    texts: list[tuple[float, str]] = []
    rate = window.live_toolbar.rate
    real = type(rate).setText
    monkeypatch.setattr(rate, "setText", lambda text: (texts.append((time.monotonic(), text)), real(rate, text)))
    camera = FakeCamera()
    window.live.start(lambda: camera, "camera:fake", camera.name)
    qtbot.waitUntil(lambda: window.state.live.shown >= 5, timeout=WAIT_MS)
    texts.clear()
    started, shown = time.monotonic(), window.state.live.shown
    qtbot.waitUntil(lambda: time.monotonic() - started > 0.6 and window.state.live.shown >= shown + 30,
                    timeout=WAIT_MS)
    seconds, frames = time.monotonic() - started, window.state.live.shown - shown
    assert all("frames/s shown" in text for _, text in texts)
    assert 2 <= len(texts) <= seconds / live_controls.RATE_REFRESH_S + 1 < frames
    window.live.set_playing(False)
    live = window.state.live
    assert rate.text().strip() == f"paused at frame {live.shown} ({live.dropped} dropped)"  # at once
    window.live.stop()


def test_camera_number_and_mirror_restart_the_camera_once_each(window, qtbot, monkeypatch):
    opened = []

    def camera_source(settings):
        opened.append(settings)
        return FakeCamera()

    monkeypatch.setattr(video, "CameraSource", camera_source)
    live = window.state.live
    window.live.open_camera(2)
    qtbot.waitUntil(lambda: len(opened) == 1 and live.shown >= 1, timeout=WAIT_MS)
    window.live_toolbar.mirror.setChecked(True)
    qtbot.waitUntil(lambda: len(opened) == 2, timeout=WAIT_MS)
    window.live.open_camera(2)  # the same camera with the same settings: it keeps running
    window.live_toolbar.camera.setValue(3)
    qtbot.waitUntil(lambda: len(opened) == 3 and live.shown >= 1, timeout=WAIT_MS)
    assert opened == [video.CameraSettings(2, (640, 480), False), video.CameraSettings(2, (640, 480), True),
                      video.CameraSettings(3, (640, 480), True)]
    assert live.name == "Camera 3" and window.live_toolbar.source_label.text().strip() == "Camera 3"
    window.live.stop()


def test_closing_during_a_video_saves_the_picture_from_before_it(qtbot, tmp_path, clip, monkeypatch):
    monkeypatch.setenv(session.CONFIG_ENV, str(tmp_path / "config"))
    win = MainWindow(settings=QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat),
                     restore_session=True)
    qtbot.addWidget(win)
    win.load_sample(samples.samples()[-1].name)
    win.live.open_video(clip)
    qtbot.waitUntil(lambda: win.state.live.shown >= 1, timeout=WAIT_MS)
    win.close()
    assert json.loads(session.session_path().read_text())["image"] == f"sample:{samples.samples()[-1].name}"
