"""Latest wins end to end: a reader task grabs frames and leaves only the newest for the GUI thread.

The reader (``read_frames``, a task of kind "frames" on the TaskRunner) puts every frame into a one-slot
``FrameChannel``. A frame the GUI has not taken yet is replaced by the newer one and counted as dropped, and the GUI
is woken only when the slot was empty, so a slow consumer never builds a queue of frames or of wake-ups. Files are
read at their own frame rate; cameras pace themselves. Pause and single step are the channel's too: a paused reader
waits and reads nothing (a file keeps its place).
"""
from __future__ import annotations

import threading
import time
from collections.abc import Callable

import numpy as np

from explorer.core.video import EndOfVideo, FrameSource
from explorer.workers.runner import Cancelled, TaskContext


class FrameChannel:
    """One slot between the reader thread and the GUI thread, plus play/pause/step; thread-safe."""

    def __init__(self, playing: bool = True) -> None:
        self._turn = threading.Condition()
        self._frame: np.ndarray | None = None
        self.notes: tuple[str, ...] = ()  # what the source changes on its frames (a 4K one downscaled): on them all
        self._playing = playing
        self._steps = 0
        self._closed = False
        self.dropped = 0

    # ----- reader side ---------------------------------------------------------------------------------------
    def put(self, frame: np.ndarray, notes: tuple[str, ...] = ()) -> bool:
        """Leave ``frame`` for the GUI; True when the GUI must be woken (it had taken the previous one)."""
        with self._turn:
            replaced = self._frame is not None
            self.dropped += replaced
            self._frame, self.notes = frame, notes
            return not replaced

    def wait_turn(self) -> bool:
        """Block while paused with no step asked for; False once the channel is closed (the task was cancelled)."""
        with self._turn:
            self._turn.wait_for(lambda: self._closed or self._playing or self._steps > 0)
            if self._closed:
                return False
            if not self._playing:
                self._steps -= 1
            return True

    def sleep(self, seconds: float) -> None:
        """Wait for the next frame's time; a close (cancel) or a pause cuts it short."""
        with self._turn:
            self._turn.wait_for(lambda: self._closed or not self._playing, timeout=seconds)

    # ----- GUI side ------------------------------------------------------------------------------------------
    def take(self) -> np.ndarray | None:
        with self._turn:
            frame, self._frame = self._frame, None
            return frame

    def set_playing(self, playing: bool) -> None:
        with self._turn:
            self._playing = playing
            self._turn.notify_all()

    def step(self) -> None:
        with self._turn:
            self._steps += 1
            self._turn.notify_all()

    def close(self) -> None:
        with self._turn:
            self._closed = True
            self._turn.notify_all()


def read_frames(ctx: TaskContext, open_source: Callable[[], FrameSource], channel: FrameChannel) -> str:
    """The reader task: open the source here (a camera can take a second), then read until cancelled, until the
    end of a file that does not loop (returns that one line) or until the source fails (its one-line UserError goes
    to on_error). Each newest frame wakes the GUI through ``ctx.partial``."""
    ctx.on_cancel(channel.close)
    source = open_source()
    try:
        due = time.monotonic()
        while channel.wait_turn():
            try:
                frame = source.read()
            except EndOfVideo as end:
                return str(end)
            ctx.check()
            if channel.put(frame, source.notes):
                ctx.partial(source.name)
            if source.interval_s:
                # Keep the file's own pace; after a pause or a slow read, start counting from now.
                due = max(due + source.interval_s, time.monotonic())
                channel.sleep(due - time.monotonic())
        raise Cancelled()  # the channel closes only when the task is cancelled
    finally:
        source.close()
