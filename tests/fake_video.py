"""A camera for tests with the FrameSource interface: numbered frames far faster than any consumer, and
optionally a failure after a given number of frames (the camera unplugged mid-stream)."""
from __future__ import annotations

import threading
import time

import numpy as np

from explorer.core import video
from explorer.core.errors import UserError

READ_S = 0.001  # a millisecond per frame: much faster than the GUI takes them, without spinning a core


class FakeCamera:
    interval_s = 0.0

    def __init__(self, fail_after: int | None = None, size: tuple[int, int] = (160, 120)) -> None:
        self.name = "Fake camera"
        self.fail_after = fail_after
        self.read_count = 0
        self.closed = threading.Event()
        self._frames = iter(video.moving_bars(10**9, size))

    def read(self) -> np.ndarray:
        if self.fail_after is not None and self.read_count >= self.fail_after:
            raise UserError(f"{self.name} stopped sending pictures (unplugged?): the last frame stays.")
        time.sleep(READ_S)
        self.read_count += 1
        return next(self._frames)

    def close(self) -> None:
        self.closed.set()
