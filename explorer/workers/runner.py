"""The one task runner for all background work (model builds and runs, image decoding, MNIST, downloads ...).

Modelled on Orange's ``concurrent.py`` and napari's ``qthreading``: a task is a plain function ``fn(ctx, *args)``
run on a daemon thread of its own while it runs (threads are reused between tasks: workers/threads.py). Submitting
a task of a kind cancels the previous one of that kind (latest wins, nothing queues). ``ctx`` carries progress,
partial results and cancellation; ``ctx.on_cancel(hook)`` lets the work register how to be interrupted from outside
(onnxruntime's RunOptions.terminate, killing a child process).
Results, progress and errors come back on the GUI thread, and only for the task that is still the latest of its
kind, so a slow old answer can never overwrite a newer one.

``coalesce=True`` suits cheap, frequent work (the Playground's map while a slider moves): the running task of that
kind finishes and is shown, and only the newest request submitted meanwhile runs next, so a burst of 2,000 changes
costs a handful of computations instead of 2,000 threads fighting for two cores.

Daemon threads (not QThreads) because a native call that cannot be interrupted must never hold the app: such a
task is abandoned, the next request gets another thread, and closing the window waits at most ``timeout_s``.
"""
from __future__ import annotations

import itertools
import sys
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import QObject, Signal

from explorer.core.errors import UserError
from explorer.workers.threads import WorkerPool

PROGRESS_INTERVAL_S = 1 / 30   # progress reaches the GUI at most once a frame
THREAD_PREFIX = "task:"


class Cancelled(Exception):
    """Raised inside a task (by ``ctx.check()``) when it has been cancelled; the runner swallows it."""


def one_line(exc: BaseException) -> str:
    """UserError text as is; anything else as one line that still names the bug."""
    if isinstance(exc, UserError):
        return str(exc)
    return " ".join(f"Unexpected error ({type(exc).__name__}): {exc}".split())


class TaskContext:
    """What a task function sees: report progress and partial results, notice or register cancellation."""

    def __init__(self, emit: Callable[[str, Any], None]) -> None:
        self._emit = emit
        self._cancelled = threading.Event()
        self._hooks: list[Callable[[], None]] = []
        self._lock = threading.Lock()
        self._last_progress = 0.0

    @property
    def cancelled(self) -> bool:
        return self._cancelled.is_set()

    def check(self) -> None:
        if self._cancelled.is_set():
            raise Cancelled()

    def progress(self, fraction: float, text: str = "") -> None:
        """Throttled to one report per frame (first and last always pass); raises Cancelled once cancelled, so
        any core function taking a progress callback is cancellable through it."""
        self.check()
        now = time.monotonic()
        if 0.0 < fraction < 1.0 and now - self._last_progress < PROGRESS_INTERVAL_S:
            return
        self._last_progress = now
        self._emit("progress", (min(max(fraction, 0.0), 1.0), text))

    def partial(self, value: Any) -> None:
        self.check()
        self._emit("partial", value)

    def on_cancel(self, hook: Callable[[], None]) -> None:
        """Call ``hook`` (from the cancelling thread) when the task is cancelled; at once if it already is."""
        with self._lock:
            if not self._cancelled.is_set():
                self._hooks.append(hook)
                return
        _call_quietly(hook)

    def cancel(self) -> None:
        with self._lock:
            self._cancelled.set()
            hooks, self._hooks = self._hooks, []
        for hook in hooks:
            _call_quietly(hook)


def _call_quietly(hook: Callable[[], None]) -> None:
    try:
        hook()
    except Exception:  # noqa: BLE001 - a failing cancel hook must not stop the others
        traceback.print_exc()


@dataclass
class Task:
    kind: str
    id: int
    context: TaskContext
    callbacks: dict[str, Callable[..., None]] = field(default_factory=dict)
    ended: threading.Event = field(default_factory=threading.Event)  # its function returned (or raised)

    @property
    def running(self) -> bool:
        return not self.ended.is_set()


class TaskRunner(QObject):
    """GUI-thread side: submit, cancel, shutdown. Callbacks run on the GUI thread."""

    _event = Signal(object, str, object)   # task, what ("done" | "error" | "progress" | "partial"), payload
    busy_changed = Signal(str, bool)       # kind, a task of that kind is running
    answered = Signal(str)                 # kind: a task's result or error was delivered (its callback has run)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._ids = itertools.count(1)
        self._current: dict[str, Task] = {}
        self._waiting: dict[str, tuple] = {}   # kind -> the newest coalesced request (fn, args, callbacks)
        self._all: list[Task] = []
        self._workers = WorkerPool(f"{THREAD_PREFIX}idle")
        self._closed = False
        self._event.connect(self._deliver)

    def submit(self, kind: str, fn: Callable[..., Any], *args: Any,
               on_done: Callable[[Any], None] | None = None, on_error: Callable[[str], None] | None = None,
               on_progress: Callable[[float, str], None] | None = None,
               on_partial: Callable[[Any], None] | None = None, coalesce: bool = False) -> Task | None:
        """Run ``fn(ctx, *args)`` in the background, cancelling the previous task of ``kind``; with ``coalesce``,
        wait for the running one instead and replace any request already waiting (returns None when it waits)."""
        if self._closed:
            raise RuntimeError("the task runner has been shut down")
        callbacks = {k: v for k, v in (("done", on_done), ("error", on_error), ("progress", on_progress),
                                       ("partial", on_partial)) if v is not None}
        if coalesce and kind in self._current:
            self._waiting[kind] = (fn, args, callbacks)
            return None
        return self._start(kind, fn, args, callbacks)

    def _start(self, kind: str, fn: Callable[..., Any], args: tuple, callbacks: dict) -> Task:
        self.cancel(kind)
        task = Task(kind, next(self._ids), None)  # type: ignore[arg-type]
        task.context = TaskContext(lambda what, payload: self._emit(task, what, payload))
        task.callbacks = callbacks
        self._current[kind] = task
        self._all = [t for t in self._all if t.running] + [task]
        self._workers.run(f"{THREAD_PREFIX}{kind}", lambda: self._run(task, fn, args))
        self.busy_changed.emit(kind, True)
        return task

    def cancel(self, kind: str) -> None:
        self._waiting.pop(kind, None)
        task = self._current.pop(kind, None)
        if task is not None:
            task.context.cancel()
            self.busy_changed.emit(kind, False)

    def current(self, kind: str) -> Task | None:
        return self._current.get(kind)

    def is_busy(self, kind: str) -> bool:
        return kind in self._current or kind in self._waiting

    def current_tasks(self) -> list[Task]:
        """The latest task of each kind whose result has not reached the GUI thread yet (finished or not)."""
        return list(self._current.values())

    def running_tasks(self) -> list[Task]:
        """Tasks whose threads still run, including cancelled ones that have not returned yet."""
        return [t for t in self._all if t.running]

    def shutdown(self, timeout_s: float = 1.0) -> bool:
        """Cancel everything and wait up to ``timeout_s`` in all; True when every thread ended. Threads stuck in a
        native call are abandoned (daemon threads end with the process)."""
        self._closed = True
        for kind in list(self._current):
            self.cancel(kind)
        for task in self._all:
            task.context.cancel()
        deadline = time.monotonic() + timeout_s
        for task in self._all:
            task.ended.wait(max(0.0, deadline - time.monotonic()))
        self._workers.close(max(0.0, deadline - time.monotonic()))
        return not self.running_tasks()

    # ----- worker thread -------------------------------------------------------------------------------------
    def _run(self, task: Task, fn: Callable[..., Any], args: tuple) -> Callable[[], None]:
        """Run the task; return its last word (result or error) for the worker to say once it is free for the next
        task, so the GUI thread, answering with a new task at once (the next live frame), finds it idle."""
        ctx = task.context
        try:
            value = fn(ctx, *args)
        except Cancelled:
            return task.ended.set
        except BaseException as exc:  # noqa: BLE001 - every failure becomes one line, never a dead app
            if ctx.cancelled:
                return task.ended.set  # cancelling often surfaces as an error from the interrupted library
            if not isinstance(exc, UserError):
                traceback.print_exc(file=sys.stderr)  # a bug: keep the evidence for the developer
            message = one_line(exc)  # ``exc`` is unbound once the except block ends
            return lambda: self._end(task, "error", message)
        return lambda: self._end(task, "done", value)

    def _end(self, task: Task, what: str, payload: Any) -> None:
        task.ended.set()
        if not task.context.cancelled:
            self._emit(task, what, payload)

    def _emit(self, task: Task, what: str, payload: Any) -> None:
        try:
            self._event.emit(task, what, payload)
        except RuntimeError:
            pass  # the runner's Qt object is gone (app closing): nobody is listening any more

    # ----- GUI thread ----------------------------------------------------------------------------------------
    def _deliver(self, task: Task, what: str, payload: Any) -> None:
        if self._current.get(task.kind) is not task or task.context.cancelled:
            return  # superseded or cancelled: its news is stale
        if what in ("done", "error"):
            del self._current[task.kind]
        callback = task.callbacks.get(what)
        if callback is not None:
            callback(*payload) if what == "progress" else callback(payload)
        if what in ("done", "error") and task.kind not in self._current:
            waiting = self._waiting.pop(task.kind, None)
            if waiting is not None and not self._closed:
                self._start(task.kind, *waiting)
            else:
                self.busy_changed.emit(task.kind, False)
        if what in ("done", "error"):
            self.answered.emit(task.kind)
