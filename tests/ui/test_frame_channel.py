"""The one-slot channel between the frame reader and the window: only the newest frame waits, the GUI is woken once
per frame it takes, replaced frames are counted, a paused reader reads one frame per step, a cancel ends it."""
from __future__ import annotations

import threading

import numpy as np

from explorer.workers.frames import FrameChannel


def frame(value: int) -> np.ndarray:
    return np.full((2, 2, 3), value, np.uint8)


def test_only_the_newest_frame_waits_and_the_gui_is_woken_once_per_take():
    channel = FrameChannel()
    assert channel.put(frame(1)) is True        # the slot was empty: wake the GUI
    assert channel.put(frame(2)) is False       # a wake-up is already on its way: no second one
    assert channel.put(frame(3)) is False
    assert channel.take()[0, 0, 0] == 3 and channel.dropped == 2
    assert channel.take() is None
    assert channel.put(frame(4)) is True


def test_a_paused_reader_reads_one_frame_per_step_and_a_close_ends_it():
    channel = FrameChannel(playing=False)
    turns: list[bool] = []
    took_turn = threading.Semaphore(0)

    def reader() -> None:
        while True:
            turns.append(channel.wait_turn())
            took_turn.release()
            if not turns[-1]:
                return

    thread = threading.Thread(target=reader)
    thread.start()
    assert not took_turn.acquire(timeout=0.2)     # paused and nothing asked for: no turn
    channel.step()
    assert took_turn.acquire(timeout=5) and turns == [True]
    assert not took_turn.acquire(timeout=0.2)     # one step, one frame
    channel.close()
    assert took_turn.acquire(timeout=5) and turns == [True, False]
    thread.join(5)
    assert not thread.is_alive()
