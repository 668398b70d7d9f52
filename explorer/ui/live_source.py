"""The live source's controller: starts and stops the reader task and moves its newest frame into the image state.

Nothing here paints: the toolbar (``live_controls.py``) writes intent through these methods and shows
``AppState.live``; every view follows ``AppState.image`` as it does for a still picture. A failure stops the
reader with one line in the status bar and leaves the last good frame on screen.
"""
from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, Qt, QTimer, Signal

from explorer.core import render, video
from explorer.core.errors import UserError
from explorer.core.images import LoadedImage
from explorer.state.app import AppState
from explorer.ui.binding import connect
from explorer.workers.frames import FrameChannel, read_frames
from explorer.workers.runner import TaskRunner

TASK = "frames"
TOPIC = "live"


class LiveController(QObject):
    _take_soon = Signal()  # queued to this object: see _frame_ready

    def __init__(self, app: AppState, runner: TaskRunner, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.app = app
        self.live = app.live
        self.runner = runner
        self._channel: FrameChannel | None = None
        self._open: Callable[[], video.FrameSource] | None = None  # how to (re)open the current source
        self._file: video.VideoFileSource | None = None             # the open file, whose loop flag the user flips
        self._camera: video.CameraSettings | None = None            # the settings the current camera was opened with
        self._still: tuple[LoadedImage, str] | None = None          # the picture shown before going live
        self._frame: LoadedImage | None = None                        # the last frame this controller put on screen
        self._meter = video.RateMeter()
        self._handed_over = 0  # newest task id when the last frame went in: later tasks are the views' work on it
        self._overlapping: set[str] = set()              # task kinds a view runs several frames of at once ...
        self._rooms: list[Callable[[], float]] = []      # ... and in how many seconds it can take another frame
        # Runner callbacks must not re-enter the runner: a finished task schedules the next take instead.
        self._take_posted = False  # one queued take at a time however many frames and tasks report meanwhile
        self._take_soon.connect(self._take_when_idle, Qt.ConnectionType.QueuedConnection)
        self._take_later = QTimer(self)  # a view that asked for a pause between frames (room_in below)
        self._take_later.setSingleShot(True)
        self._take_later.timeout.connect(self._take_when_idle)
        runner.busy_changed.connect(self._task_changed)
        runner.answered.connect(self._task_answered)
        connect(self, app.image.events.image, self._image_replaced)
        connect(self, self.live.events.loop, self._loop_changed)
        for event in (self.live.events.camera, self.live.events.resolution, self.live.events.mirror):
            connect(self, event, self._camera_settings_changed)

    # ----- switching sources ---------------------------------------------------------------------------------
    def open_video(self, path: str | Path, playing: bool = True) -> None:
        path = Path(path).resolve()

        def open_file() -> video.FrameSource:  # on the reader thread; a restart reads the Loop box as it is then
            self._file = video.VideoFileSource(path, loop=self.live.loop)
            return self._file

        self.start(open_file, f"video:{path}", path.name, playing)

    def open_camera(self, index: int | None = None, playing: bool = True) -> None:
        if index is not None:
            self.live.camera = index  # a running camera restarts on this change (_camera_settings_changed)
        settings = video.CameraSettings(self.live.camera, self.live.resolution, self.live.mirror)
        if self._showing_camera() and settings == self._camera:
            return  # already showing exactly this camera
        self._camera = settings
        self.start(lambda: video.CameraSource(settings), f"camera:{settings.index}", f"Camera {settings.index}",
                   playing)

    def start(self, open_source: Callable[[], video.FrameSource], source: str, name: str,
              playing: bool = True) -> None:
        """Read frames from ``open_source()`` (called on the reader thread) into the image state."""
        if not self.live.live and self.app.image.image is not None:
            self._still = (self.app.image.image, self.app.image.origin)
        self.stop()
        self._open = open_source
        self._channel = FrameChannel(playing)
        self._meter.reset()
        self.live.started(source, name, playing)
        self.app.status.clear_topic(TOPIC)
        self.runner.submit(TASK, read_frames, open_source, self._channel, on_partial=self._frame_ready,
                           on_done=self._ended, on_error=self._failed)

    def open_from_command_line(self, path: str | None, camera: int | None, playing: bool) -> None:
        """``--video FILE`` or ``--camera [INDEX]``; not playing shows just the first frame (screenshots)."""
        if path:
            self.open_video(path, playing)
        else:
            self.open_camera(camera, playing)
        if not playing:
            self.step()

    def has_frame(self) -> bool:
        """A frame of the current source is on screen, or the source has already stopped trying."""
        return self.live.shown > 0 or not self.live.running

    def still_image(self) -> None:
        """Stop the camera or video and show the picture from before it again."""
        self.stop()
        self.live.back_to_still()
        self.app.status.clear_topic(TOPIC)
        if self._still is not None:
            self.app.image.set(*self._still)

    def stop(self) -> None:
        self.runner.cancel(TASK)  # the cancel closes the channel; the reader releases the source on its thread
        self._channel, self._file = None, None

    def shutdown(self) -> None:
        """Stop the source; a session saved after this reopens the picture from before it (a frame cannot be)."""
        self.stop()
        if self.live.live and self._still is not None:
            self.app.image.origin = self._still[1]

    # ----- transport -----------------------------------------------------------------------------------------
    def set_playing(self, playing: bool) -> None:
        if not self.live.live:
            return
        if not self.live.running:  # stopped at the end or after a failure: Play opens it again
            if playing:
                self._restart(playing=True)
            return
        self._meter.reset()
        self.live.playing = playing
        self._channel.set_playing(playing)

    def toggle(self) -> None:
        self.set_playing(not self.live.playing)

    def step(self) -> None:
        """One frame further, paused."""
        if not self.live.live:
            return
        if not self.live.running:
            self._restart(playing=False)
        self.set_playing(False)
        self._channel.step()

    def snapshot(self, path: str | Path) -> bool:
        """The frame on screen, as it came from the source, as a PNG."""
        image = self.app.image.image
        try:
            if image is None:
                raise UserError("No picture to save yet: open a video, a camera or an image first.")
            render.write_png(path, image.pixels)
        except UserError as exc:
            self.app.status.show(str(exc), error=True, topic=TOPIC)
            return False
        self.app.status.show(f"Saved the frame to {path}.", topic=TOPIC)
        return True

    # ----- reader task → state -------------------------------------------------------------------------------
    # Latest wins end to end: a new frame goes in only once the views have finished with the previous one (the
    # tasks submitted since it went in); meanwhile newer frames replace it in the channel. Handing frames over
    # faster would cancel every view's work before it finishes, and nothing would ever be painted.
    # When a view's task has answered, the next frame goes in at once, before the repaint of what the task changed
    # (a low-priority event), so the next frame's run overlaps this frame's painting instead of waiting for it.
    # Other wake-ups (a new frame read, a task cancelled) post the take as an ordinary queued event: they can come
    # in the middle of a view's own change. Every view submits its task for a frame while the frame goes in (the
    # Playground included), so those tasks count as busy before the next take.
    def _frame_ready(self, _name: str) -> None:
        self._post_take()

    def _task_changed(self, kind: str, busy: bool) -> None:
        if not busy and kind != TASK and self._channel is not None:
            self._post_take()  # also a cancel, which may come in the middle of a view's own change: queued

    def _task_answered(self, kind: str) -> None:
        """A view's task delivered and its callback ran: the next frame goes in now, not an event later (a live
        run's next frame then starts ~1 ms after the last one ends rather than ~4 ms: two frames run at once, so
        those idle milliseconds were a core's)."""
        if kind != TASK and self._channel is not None:
            self._take_when_idle()

    def _post_take(self) -> None:
        if not self._take_posted:
            self._take_posted = True
            self._take_soon.emit()

    def allow_overlap(self, kinds: set[str] | tuple[str, ...], room_in: Callable[[], float]) -> None:
        """A view whose tasks of ``kinds`` may run for several frames at once: the next frame goes in while they
        run, once ``room_in()`` (seconds) is 0; math.inf means when one of them ends (the Model Explorer runs two
        frames at once on its own model, and keeps their starts apart)."""
        self._overlapping |= set(kinds)
        self._rooms.append(room_in)

    def _views_busy(self) -> bool:
        return any(task.id > self._handed_over and task.kind != TASK and task.kind not in self._overlapping
                   for task in self.runner.current_tasks())

    def _take_when_idle(self) -> None:
        self._take_posted = False
        if self._channel is None or self._views_busy():
            return
        wait = max((room_in() for room_in in self._rooms), default=0.0)
        if wait <= 0:
            self._hand_over()
        elif wait < math.inf:
            self._take_later.start(math.ceil(wait * 1000))

    def _hand_over(self) -> None:
        frame = self._channel.take() if self._channel is not None else None
        if frame is None:
            return
        self._handed_over = max([self._handed_over, *(task.id for task in self.runner.current_tasks())])
        self._frame = LoadedImage(frame, self.live.name, self._channel.notes)  # the status line says them
        self.app.image.set(self._frame)  # no origin: a frame cannot be reopened by a later session
        self.live.frame_shown(self._channel.dropped, self._meter.tick())

    def _ended(self, message: str) -> None:
        self._hand_over()  # the last frame read may still wait for busy views: it is the one to keep
        self.live.stopped()
        self.app.status.show(message, topic=TOPIC)

    def _failed(self, message: str) -> None:
        self._hand_over()
        self.live.stopped(message)
        self.app.status.show(message, error=True, topic=TOPIC)

    def _image_replaced(self, *_: object) -> None:
        """The user opened a picture (a file, a sample, a lecture example): the camera or video stops for it."""
        if self.live.live and self.app.image.image is not self._frame:
            self.stop()
            self.live.back_to_still()

    def _restart(self, playing: bool) -> None:
        if self._open is not None:
            self.start(self._open, self.live.source, self.live.name, playing)

    def _loop_changed(self, *_: object) -> None:
        if self._file is not None:
            self._file.loop = self.live.loop  # a bool the reader reads at the end of the file

    def _showing_camera(self) -> bool:
        return self.live.running and self.live.source.startswith("camera:")

    def _camera_settings_changed(self, *_: object) -> None:
        if self._showing_camera():
            self.open_camera()
