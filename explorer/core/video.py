"""Moving pictures: a webcam or a video file as a source of RGB frames, one ``read()`` at a time.

Every source has the same small interface (``FrameSource``) so the reader task, the CLI and the tests treat a
camera, a file and a test fake alike. Every failure a user can meet (no camera, camera busy, unplugged mid-stream,
unreadable or truncated file, end of file) is a ``UserError`` with one line; ``EndOfVideo`` is the end of a file
played without looping. OpenCV's bundled FFmpeg reads the files; cameras go through its default backend.
"""
from __future__ import annotations

import os
import time
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import cv2
import numpy as np

from explorer.core import files, images
from explorer.core.errors import UserError

# FFmpeg's and OpenCV's own warnings (a damaged frame, no /dev/video0) would follow our one line on stderr.
os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")
cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_ERROR)

DEFAULT_FPS = 25.0  # files whose header gives no rate
RATE_WINDOW_S = 1.0
FRAME_BITS = 12  # generated clips carry their frame index as this many black/white blocks


class EndOfVideo(UserError):
    """A file played without looping reached its last frame."""


class FrameSource(Protocol):
    name: str            # what the status line calls it: "Camera 0", "clip.avi"
    interval_s: float    # time between frames when played at its own pace; 0 for sources that pace themselves
    notes: tuple[str, ...]  # what was changed on the last frame read (a 4K frame downscaled), as LoadedImage's

    def read(self) -> np.ndarray:
        """The next frame as (H,W,3) uint8 RGB; UserError (one line) when there is none."""
        ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class CameraSettings:
    index: int = 0
    size: tuple[int, int] | None = (640, 480)   # width, height asked of the camera (it may choose another)
    mirror: bool = False                          # a selfie view: left stays left for the person in front of it


class CameraSource:
    """A webcam through cv2.VideoCapture; read() blocks until the camera has a frame (it paces itself)."""

    interval_s = 0.0

    def __init__(self, settings: CameraSettings = CameraSettings()) -> None:
        self.settings = settings
        self.name = f"Camera {settings.index}"
        self.notes: tuple[str, ...] = ()
        self._capture = cv2.VideoCapture(settings.index)
        if not self._capture.isOpened():
            self._capture.release()
            raise UserError(f"Camera {settings.index} could not be opened: plug one in, close any program using it, "
                            "or choose another camera number.")
        if settings.size is not None:
            self._capture.set(cv2.CAP_PROP_FRAME_WIDTH, settings.size[0])
            self._capture.set(cv2.CAP_PROP_FRAME_HEIGHT, settings.size[1])
        self._frames = 0

    def read(self) -> np.ndarray:
        ok, bgr = self._capture.read()
        if not ok or bgr is None:
            if self._frames == 0:
                raise UserError(f"{self.name} opened but sends no picture: another program may be using it; "
                                "close that program and choose the camera again.")
            raise UserError(f"{self.name} stopped sending pictures (unplugged?): the last frame stays; "
                            "choose the camera again to restart it.")
        self._frames += 1
        rgb, self.notes = _working_size(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
        return rgb[:, ::-1].copy() if self.settings.mirror else rgb

    def close(self) -> None:
        self._capture.release()


class VideoFileSource:
    """A video file decoded by OpenCV's FFmpeg, frame by frame; at the end it starts over or raises EndOfVideo."""

    def __init__(self, path: str | Path, loop: bool = True) -> None:
        self.path = Path(path)
        self.name = self.path.name
        self.loop = loop
        self.notes: tuple[str, ...] = ()
        try:
            mode = self.path.stat().st_mode  # through a symlink: what FFmpeg would open
        except OSError:
            raise UserError(f"No video file {self.path}: check the path.") from None
        refusal = files.not_regular(self.name, mode, "a video file")
        if refusal:
            raise UserError(refusal)
        self._capture = cv2.VideoCapture(str(self.path), cv2.CAP_FFMPEG)
        if not self._capture.isOpened():
            self._capture.release()
            raise UserError(f"Cannot read {self.name} as a video: it is damaged or in a format OpenCV's FFmpeg "
                            "does not decode; convert it to MP4 (H.264) or AVI (MJPG).")
        fps = self._capture.get(cv2.CAP_PROP_FPS)
        self.interval_s = 1.0 / (fps if 0 < fps < 1000 else DEFAULT_FPS)
        self.frame_count = max(int(self._capture.get(cv2.CAP_PROP_FRAME_COUNT)), 0)  # 0 when the file does not say
        self.position = 0  # frames read since the (last) start

    def read(self) -> np.ndarray:
        ok, bgr = self._capture.read()
        if not ok or bgr is None:
            self._ended()
            ok, bgr = self._capture.read()
            if not ok or bgr is None:
                raise UserError(f"{self.name} gives no frame after starting over: the file is damaged; "
                                "open another video.")
        self.position += 1
        rgb, self.notes = _working_size(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
        return rgb

    def _ended(self) -> None:
        """No frame: a damaged file, the end without looping, or rewind to loop."""
        if self.position == 0:
            raise UserError(f"{self.name} holds no readable frame: the file is damaged or empty; open another video.")
        if self.frame_count and self.position < self.frame_count:
            raise UserError(f"{self.name} is damaged after frame {self.position} of {self.frame_count}: the last "
                            "good frame stays; re-encode or re-download the file.")
        if not self.loop:
            raise EndOfVideo(f"End of {self.name} ({self.position} frames): press Play to watch it again, "
                             "or tick Loop.")
        self._capture.set(cv2.CAP_PROP_POS_FRAMES, 0)
        self.position = 0

    def close(self) -> None:
        self._capture.release()


def first_frame(source: FrameSource) -> np.ndarray:
    """The first frame of a just-opened source, closing it on failure."""
    try:
        return source.read()
    except UserError:
        source.close()
        raise


def _working_size(rgb: np.ndarray) -> tuple[np.ndarray, tuple[str, ...]]:
    """A frame at most images.WORKING_MAX_SIDE on its longer side, as an opened picture is: a 4K camera or video
    would make every Playground map and every copy of a frame four times the size, an 8K one 16 times (100 MB)."""
    notes: list[str] = []
    return images.fit_working_size(rgb, notes), tuple(notes)


def check_source(path: str | Path | None = None, camera: int | None = None) -> None:
    """Open a video file or a camera and read one frame, so the command line fails with one line before any
    window opens; the window then opens it again on its reader task."""
    source = VideoFileSource(path) if path is not None else CameraSource(CameraSettings(camera or 0))
    first_frame(source)
    source.close()


class RateMeter:
    """Events per second over the last second; the clock is passed in so the arithmetic is testable."""

    def __init__(self, window_s: float = RATE_WINDOW_S) -> None:
        self.window_s = window_s
        self._times: deque[float] = deque()

    def tick(self, now: float | None = None) -> float:
        now = time.monotonic() if now is None else now
        self._times.append(now)
        return self.rate(now)

    def rate(self, now: float | None = None) -> float:
        now = time.monotonic() if now is None else now
        while self._times and self._times[0] < now - self.window_s:
            self._times.popleft()
        return len(self._times) / self.window_s

    def reset(self) -> None:
        self._times.clear()


# ----- generated clips (tests, the bench, the self-test) ---------------------------------------------------
def moving_bars(count: int, size: tuple[int, int] = (640, 480)) -> Iterable[np.ndarray]:
    """``count`` RGB frames of a bright bar and a disc sliding over a gradient: edges that move, frame by frame."""
    w, h = size
    ramp = np.linspace(40, 200, w, dtype=np.float32)
    for i in range(count):
        frame = np.empty((h, w, 3), np.uint8)
        frame[:] = ramp[None, :, None].astype(np.uint8)
        x = (i * 8) % w
        frame[:, x:x + w // 16] = (250, 250, 250)
        cv2.circle(frame, ((w - x) % w, h // 2), h // 6, (220, 60, 40), -1)
        block = w // 32
        for bit in range(FRAME_BITS):  # the frame's index as black/white blocks (survives JPEG): tells frames apart
            frame[:block, bit * block:(bit + 1) * block] = 255 if i >> bit & 1 else 0
        yield frame


def write_video(path: str | Path, frames: Iterable[np.ndarray], fps: float = DEFAULT_FPS) -> Path:
    """Write RGB frames as MJPG in an .avi (every OpenCV build can write and read it back)."""
    path = Path(path)
    writer = None
    try:
        for frame in frames:
            if writer is None:
                h, w = frame.shape[:2]
                writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), fps, (w, h))
                if not writer.isOpened():
                    raise UserError(f"Cannot write the video {path}: choose another folder.")
            writer.write(cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
    finally:
        if writer is not None:
            writer.release()
    return path
