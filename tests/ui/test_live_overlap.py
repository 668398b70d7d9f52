"""Two live frames run at once on a model in the app's process (each on its share of the cores), the next frame
going in as soon as one of them ends; results reach the screen in frame order; a user's model, answered by its
sandbox child one request at a time, runs one frame at a time. The real main window and LiveController, a fake
camera far faster than the window; runs are slowed so that their overlap is measured, not guessed."""
from __future__ import annotations

import threading
import time

import pytest
from fake_video import FakeCamera, frame_number
from small_models import tiny_rgb

from explorer.core import video
from explorer.core.live_inference import LiveSession
from explorer.core.sandboxed_session import SandboxedLive
from explorer.ui.model_explorer import live_runs
from explorer.workers import live_tasks

WAIT_MS = 60_000


class Overlap:
    """Wraps a session class's run: counts the runs under way at once (each held ``hold_s``)."""

    def __init__(self, monkeypatch, cls, hold_s: float) -> None:
        self.now = self.most = self.runs = 0
        self._lock = threading.Lock()
        run = cls.run

        def counted(session, *args, **kwargs):
            with self._lock:
                self.now += 1
                self.runs += 1
                self.most = max(self.most, self.now)
            try:
                time.sleep(hold_s)  # as a big network would take (the GIL is free meanwhile, as in onnxruntime)
                return run(session, *args, **kwargs)
            finally:
                with self._lock:
                    self.now -= 1

        monkeypatch.setattr(cls, "run", counted)


@pytest.fixture
def window(explorer_window):
    return explorer_window


def in_frame_order(numbers: list[int]) -> bool:
    """Each later than the one before (frame numbers wrap at 2**FRAME_BITS)."""
    wrap = 2 ** video.FRAME_BITS
    return all(0 < (b - a) % wrap < wrap // 2 for a, b in zip(numbers, numbers[1:]))


def play(window, qtbot, model: str, results: int) -> list[int]:
    """Play the fake camera into ``model``; the frame numbers of the first ``results`` live results shown."""
    window.explorer.select_model(model)
    qtbot.waitUntil(window.explorer.has_results, timeout=WAIT_MS)
    ex, shown = window.state.explorer, []
    ex.events.result.connect(lambda *_: shown.append(frame_number(ex.result.image.pixels))
                             if ex.result is not None and ex.result.live else None)
    camera = FakeCamera(size=(160, 120))
    window.live.start(lambda: camera, "camera:fake", camera.name)
    qtbot.waitUntil(lambda: len(shown) >= results, timeout=WAIT_MS)
    window.live.set_playing(False)
    return shown


def test_two_frames_run_at_once_and_are_shown_in_frame_order(window, qtbot, monkeypatch):
    overlap = Overlap(monkeypatch, LiveSession, hold_s=0.05)
    shown = play(window, qtbot, "lenet5", results=12)
    assert overlap.most == live_tasks.DEPTH == 2
    assert in_frame_order(shown)  # never an older frame after a newer one, nor one frame twice


def test_a_users_model_runs_one_frame_at_a_time(window, qtbot, monkeypatch, tmp_path):
    overlap = Overlap(monkeypatch, SandboxedLive, hold_s=0.05)
    shown = play(window, qtbot, str(tiny_rgb(tmp_path / "tiny.onnx")), results=6)
    assert overlap.runs >= 6 and overlap.most == 1
    assert in_frame_order(shown)


def test_a_run_overtaken_by_a_newer_frame_is_cancelled_at_once(window, qtbot, monkeypatch):
    """When a newer frame's result arrives first, the older frame's run could only be thrown away: it is cancelled
    then (freeing its core for the next frame), not left to run on while more frames are shown."""
    ex = window.state.explorer
    live_results = [0]
    ex.events.result.connect(lambda *_: live_results.__setitem__(0, live_results[0] + (
        ex.result is not None and ex.result.live)))
    shown_while_overtaken: list[int] = []  # live results shown while the slow run went on
    calls = [0]
    run_live = live_tasks.run_live

    def slow_third(ctx, *args, **kwargs):
        calls[0] += 1
        if calls[0] == 3:  # one frame far slower than the next ones (a hiccup): they overtake it
            before, started = live_results[0], time.monotonic()
            while time.monotonic() - started < 5.0 and not ctx.cancelled:
                time.sleep(0.002)
            shown_while_overtaken.append(live_results[0] - before)
        return run_live(ctx, *args, **kwargs)

    monkeypatch.setattr(live_tasks, "run_live", slow_third)
    shown = play(window, qtbot, "lenet5", results=12)
    qtbot.waitUntil(lambda: bool(shown_while_overtaken), timeout=WAIT_MS)
    assert shown_while_overtaken[0] <= 2  # cancelled as the first newer frame is shown (its paint may follow)
    assert in_frame_order(shown)


def test_live_runs_start_apart_so_their_results_come_at_an_even_pace(window, qtbot, monkeypatch):
    """Two frames run at once, but not side by side: the first run goes alone (its length is not known yet), then
    a run starts at least SPACING of a run's length after the one before. Runs started together would end together,
    the earlier result on screen for a few ms or overtaken and thrown away, and each lane's next run would start as
    its last ends, keeping them together (VGG-16 showed pairs 6 ms apart every 360 ms)."""
    hold_s = 0.09
    starts: list[float] = []
    ends: list[float] = []
    run = LiveSession.run

    def timed(session, *args, **kwargs):
        starts.append(time.monotonic())
        time.sleep(hold_s)
        try:
            return run(session, *args, **kwargs)
        finally:
            ends.append(time.monotonic())

    monkeypatch.setattr(LiveSession, "run", timed)
    play(window, qtbot, "lenet5", results=10)
    assert starts[1] >= ends[0]
    gaps = [b - a for a, b in zip(starts[1:], starts[2:])]
    assert min(gaps) >= 0.8 * live_runs.SPACING * hold_s, gaps  # 0.8: the timer's and the threads' wake-up
    assert max(b - a for a, b in zip(starts, ends)) > min(gaps)   # and yet two at once
