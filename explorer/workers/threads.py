"""Stopping a worker thread the same way everywhere: on close nothing may hang or outlive its Qt objects."""
from __future__ import annotations

import time
from collections.abc import Callable

from PySide6.QtCore import QThread


def stop_thread(thread: QThread, stop_work: Callable[[], None], timeout_s: float) -> bool:
    """Cancel the work in flight, quit the thread's event loop and wait; True when it stopped in time.

    ``stop_work`` is repeated while waiting: a run that starts during shutdown (already dequeued) must be
    cancelled too, and cancelling between runs is a no-op."""
    if not thread.isRunning():
        return True
    stop_work()
    thread.quit()
    deadline = time.monotonic() + timeout_s
    while not thread.wait(20):
        stop_work()
        if time.monotonic() > deadline:
            return False
    return True
