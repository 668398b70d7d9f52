"""The live source (a camera or a video file) as state: what plays, whether it is paused, and how fast frames reach
the screen. The frames themselves go into ``ImageState``, which every view already follows."""
from __future__ import annotations

from dataclasses import dataclass

from psygnal import evented

from explorer.state.batch import batched

RESOLUTIONS = ((320, 240), (640, 480), (1280, 720))


@evented
@dataclass
class LiveState:
    source: str = ""              # "" while a still image is shown; else "camera:<index>" or "video:<path>"
    name: str = ""                # what the toolbar calls it: "Camera 0", "clip.avi"
    running: bool = False         # a reader task is delivering (or, paused, ready to deliver) frames
    playing: bool = False         # False: the current frame stays, everything computed from it stays explorable
    # ----- the user's choices for the next camera or file -----
    loop: bool = True             # a file starts over at its end instead of stopping
    camera: int = 0
    resolution: tuple[int, int] = RESOLUTIONS[1]
    mirror: bool = False
    # ----- measured, never saved -----
    shown: int = 0                # frames put into the image state since the source started
    dropped: int = 0              # frames replaced by a newer one before the window took them
    fps: float = 0.0              # frames shown per second over the last second
    error: str = ""               # why the source stopped ("" while it runs or after a normal stop)

    @property
    def live(self) -> bool:
        return bool(self.source)

    def started(self, source: str, name: str, playing: bool = True) -> None:
        with batched(self.events):
            self.source, self.name, self.running, self.playing = source, name, True, playing
            self.shown, self.dropped, self.fps, self.error = 0, 0, 0.0, ""

    def frame_shown(self, dropped: int, fps: float) -> None:
        with batched(self.events):
            self.dropped, self.fps = dropped, fps
            self.shown += 1  # last: readouts repaint on this one event per frame

    def stopped(self, error: str = "") -> None:
        """The reader ended (a failure, the end of a file): the last frame stays on screen."""
        with batched(self.events):
            self.running, self.playing, self.fps, self.error = False, False, 0.0, error

    def back_to_still(self) -> None:
        with batched(self.events):
            self.source, self.name, self.running, self.playing, self.fps, self.error = "", "", False, False, 0.0, ""

    def rate_text(self) -> str:
        """The toolbar's readout: how many frames per second reach the screen and how many were skipped."""
        if not self.live:
            return ""
        if not self.running:
            return f"stopped after {self.shown} shown, {self.dropped} dropped"
        if not self.playing:
            return f"paused at frame {self.shown} ({self.dropped} dropped)"
        return f"{self.fps:.1f} frames/s shown, {self.dropped} dropped"
