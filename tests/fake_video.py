"""Test helpers for video: reading back a generated frame's number, and a camera with the FrameSource interface
giving numbered frames far faster than any consumer, optionally failing after a given number of frames (the
camera unplugged mid-stream)."""
from __future__ import annotations

import threading
import time

import numpy as np

from explorer.core import video
from explorer.core.errors import UserError

READ_S = 0.001  # a millisecond per frame: much faster than the GUI takes them, without spinning a core


def frame_number(frame: np.ndarray) -> int:
    """The index a ``moving_bars`` frame was made with (modulo 2**FRAME_BITS), read back from its blocks."""
    block = frame.shape[1] // 32
    bits = [frame[block // 4:block * 3 // 4, bit * block + block // 4:(bit + 1) * block - block // 4].mean() > 128
            for bit in range(video.FRAME_BITS)]
    return sum(1 << bit for bit, on in enumerate(bits) if on)


class FakeCamera:
    interval_s = 0.0
    notes: tuple[str, ...] = ()

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
