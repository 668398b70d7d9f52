"""Reusable daemon threads for the task runner.

Starting a thread per task cost the GUI thread about a millisecond each time (``Thread.start`` waits until the new
thread runs, which needs the GIL), and a live video submits a task per frame. A worker here runs one job at a
time and then waits up to ``IDLE_S`` for the next before it ends. A job that never returns (a native call that
cannot be interrupted) keeps only its own worker: later jobs get other ones, so nothing ever waits for it.
Workers run below the GUI thread's priority (``BACKGROUND_NICE``), so the window never queues behind them.
"""
from __future__ import annotations

import os
import queue
import sys
import threading
import time
from collections.abc import Callable

IDLE_S = 1.0       # an idle worker ends after this long (the UI tests allow task threads 2 s to end)
_STOP = None       # the job that tells an idle worker to end
# Background work yields to the window. Model runs keep every core busy; at equal priority the GUI thread, woken to
# paint a result or answer a click, queued behind them (~7 ms per live AlexNet frame on two cores; a 20 ms timer
# fired 9.6 ms late at the 99th percentile, 6.3 ms with this; live throughput unchanged within 2 %). Threads and
# processes a worker starts (onnxruntime's, the sandboxed children) inherit it. Linux only: elsewhere
# setpriority names processes, not threads.
BACKGROUND_NICE = 5


def _lower_own_priority() -> None:
    """The calling thread (a worker) runs BACKGROUND_NICE below where it was; nothing where that is not possible."""
    if not sys.platform.startswith("linux"):
        return
    thread = threading.get_native_id()
    try:
        os.setpriority(os.PRIO_PROCESS, thread, os.getpriority(os.PRIO_PROCESS, thread) + BACKGROUND_NICE)
    except OSError:
        pass  # a sandbox without the call: the work still runs, at the window's priority


class WorkerPool:
    def __init__(self, idle_name: str) -> None:
        self._idle_name = idle_name  # the name of a worker between jobs
        self._lock = threading.Lock()
        self._idle: list[_Worker] = []
        self._closed = False

    def run(self, name: str, job: Callable[[], Callable[[], None]]) -> None:
        """Run ``job`` on a worker named ``name`` while it runs: an idle one if there is one, else a new one.
        ``job`` returns what to do once the worker is back among the idle ones (report the result)."""
        with self._lock:
            worker = self._idle.pop() if self._idle else None
        if worker is not None:
            worker.jobs.put((name, job))
            # The caller (the GUI thread) holds the GIL and goes on running Python: the woken worker would wait for
            # it until the caller's next pause or the end of Python's 5 ms switch interval. Handing it over here
            # starts a live frame's run ~0.2 ms after its submit instead of ~1.4 ms (median, AlexNet).
            time.sleep(0)
            return
        worker = _Worker(self, name)
        worker.jobs.put((name, job))
        worker.thread.start()

    def close(self, timeout_s: float) -> None:
        """Idle workers end now (within ``timeout_s``); busy ones end when their job returns."""
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, []
        for worker in idle:
            worker.jobs.put(_STOP)
        deadline = time.monotonic() + timeout_s
        for worker in idle:
            worker.thread.join(max(0.0, deadline - time.monotonic()))

    # ----- called on the workers' threads ----------------------------------------------------------------------
    def _back(self, worker: _Worker) -> bool:
        """A job ended: wait for the next one (True), or end once the pool is closed (False)."""
        with self._lock:
            if self._closed:
                return False
            self._idle.append(worker)
            return True

    def _retire(self, worker: _Worker) -> bool:
        """The wait ran out: end (True) unless a job was handed to this worker meanwhile."""
        with self._lock:
            if worker in self._idle:
                self._idle.remove(worker)
                return True
            return False


class _Worker:
    def __init__(self, pool: WorkerPool, name: str) -> None:
        self.pool = pool
        self.jobs: queue.SimpleQueue = queue.SimpleQueue()
        self.thread = threading.Thread(target=self._loop, name=name, daemon=True)

    def _loop(self) -> None:
        _lower_own_priority()
        while True:
            try:
                item = self.jobs.get(timeout=IDLE_S)
            except queue.Empty:
                if self.pool._retire(self):
                    return
                continue
            if item is _STOP:
                return
            name, job = item
            item = None  # an idle worker must not keep the last job's arguments alive
            self.thread.name = name
            finish = job()
            job = None
            self.thread.name = self.pool._idle_name
            back = self.pool._back(self)
            finish()  # after _back: whoever hears of the result can hand this worker the next job at once
            finish = None
            if not back:
                return
