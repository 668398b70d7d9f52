"""A user's model held for explanations in one long-lived child process, its sessions kept between requests.

``sandbox.run_limited`` would start a child per explanation: a spawn, the imports, the model's load and the
sessions over cuts of its graph, 1.1–2.7 s before the first forward pass (bench/explain_child.py; more under
load), for every class or method the user tries. ``ExplainChild`` keeps one child per loaded user model, with the
sandbox's limits: the memory cap (RLIMIT_AS) set before the model loads, a time limit between two progress reports
(one batch of forward passes), and a cancel that first asks the child to stop (its ``ExplainModel`` polls
``cancelled()`` between batches and terminates a run in progress), and kills it when it has not stopped within
CANCEL_GRACE_S. A child that was killed, died or ran out of memory is replaced by a fresh one at the next request.
"""
from __future__ import annotations

import multiprocessing
import threading
import weakref
from collections.abc import Callable
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, TypeVar

from explorer.core import catalog, sandbox
from explorer.core.errors import UserError
from explorer.core.progress import Progress
from explorer.core.sandboxed_session import AnswerWait, StopRequests, StoppedInTime, kill

T = TypeVar("T")
PREPARING = "Preparing the model for explanations (in a separate process)…"


class ExplainChild:
    """``run(job, *args, progress=, cancel=, **kwargs)`` returns ``job(ExplainModel, *args, progress=, cancelled=,
    **kwargs)`` computed in the child, or raises a one-line UserError (``sandbox.Cancelled`` when cancelled)."""

    def __init__(self, entry: catalog.ModelEntry, *, memory_bytes: int, timeout_s: float) -> None:
        self._entry = entry
        self._memory_bytes = memory_bytes
        self.timeout_s = timeout_s
        self._what = f"'{Path(entry.weights.path).name}'"
        self._lock = threading.Lock()  # one request at a time (an explanation and a measured field take turns)
        self._sent = 0                 # requests sent: each carries its number, a stop names one
        self._child: Any = None
        self._requests: Connection | None = None
        self._answers: Connection | None = None
        self._stops: Connection | None = None
        self._finalizer: weakref.finalize | None = None

    @property
    def pid(self) -> int | None:
        return self._child.pid if self._child is not None and self._child.is_alive() else None

    def run(self, job: Callable[..., T], *args: Any, progress: Progress, cancel: threading.Event,
            **kwargs: Any) -> T:
        with self._lock:
            if self.pid is None:
                self._start()
            assert self._requests is not None
            self._sent += 1
            try:
                self._requests.send((self._sent, job, args, kwargs))
            except OSError:  # it died between two requests
                self._close()
                self._start()
                self._requests.send((self._sent, job, args, kwargs))
            try:
                return self._answer(self._sent, progress, cancel)
            except BaseException as exc:
                # A plain UserError (an unknown layer, a wrong class) or a request stopped in time leaves a sound
                # child; anything else may not have (a progress callback's exception is a cancel not yet heard).
                if type(exc) not in (UserError, StoppedInTime):
                    self._close()
                raise

    def close(self) -> None:
        """Stop the child now (its model was replaced, or the app closes), without waiting for a request under way:
        that request ends as if the child had died, and a later one would start a fresh child."""
        finalizer = self._finalizer
        if finalizer is not None:
            finalizer()  # kills and joins once; thread-safe, unlike waiting for the lock a long explanation holds

    def _start(self) -> None:
        ctx = multiprocessing.get_context("spawn")
        requests_there, requests = ctx.Pipe(duplex=False)
        answers, answers_there = ctx.Pipe(duplex=False)
        stops_there, stops = ctx.Pipe(duplex=False)
        child = ctx.Process(target=_serve, args=(requests_there, answers_there, stops_there, self._entry,
                                                 self._memory_bytes), daemon=True, name="cnn-explorer-sandbox")
        child.start()
        for end in (requests_there, answers_there, stops_there):
            end.close()  # the child holds the only copies: EOF means it is gone
        self._child, self._requests, self._answers, self._stops = child, requests, answers, stops
        self._finalizer = weakref.finalize(self, kill, child, requests, answers, stops)

    def _close(self) -> None:
        if self._finalizer is not None:
            self._finalizer()  # kills and joins the child once
        self._child = self._requests = self._answers = self._stops = self._finalizer = None

    def _answer(self, number: int, progress: Progress, cancel: threading.Event) -> Any:
        """Relay the child's progress until its answer; on cancel, ask it to stop and give it CANCEL_GRACE_S."""
        answers, child, stops = self._answers, self._child, self._stops
        assert answers is not None and child is not None and stops is not None
        waiting = AnswerWait(answers, child, stops, number, self.timeout_s, self._what, self._memory_bytes,
                             "made no progress for")
        while True:
            waiting.until_message(cancel.is_set)
            try:
                status, payload = answers.recv()
            except EOFError:
                child.join()
                raise sandbox.death(child.exitcode, self._what, self._memory_bytes) from None
            if status == "progress":
                if not waiting.stopping:
                    try:
                        progress(*payload)
                    except BaseException:  # the task was cancelled meanwhile: the child stops the request too
                        cancel.set()
                        raise
                    waiting.progressed()
                continue
            if waiting.stopping or status == "cancelled":  # stopped, or finished just before it heard: still sound
                raise StoppedInTime(f"{self._what} was cancelled.")
            return sandbox.outcome(status, payload, self._what, self._memory_bytes)


def _serve(requests: Connection, answers: Connection, stops: Connection, entry: catalog.ModelEntry,
           memory_bytes: int) -> None:
    """Runs in the child: cap memory, then answer requests until the parent closes the pipe; the model and its
    sessions are built at the first request and kept."""
    sandbox.limit_memory(memory_bytes)
    sandbox.silence_stderr()
    from explorer.core.explain.model import ExplainModel
    from explorer.core.runtime import RunCancelled

    stopped = StopRequests()
    threading.Thread(target=stopped.wait_for, args=(stops,), daemon=True).start()
    model: ExplainModel | None = None
    while True:
        try:
            number, job, args, kwargs = requests.recv()
        except EOFError:  # the parent closed the pipe or is gone
            return
        report = sandbox.reporter(answers)
        try:
            if model is None:
                report(0.0, PREPARING)
                model = ExplainModel(catalog.load(entry))
            message: tuple[str, Any] = ("ok", job(model, *args, progress=report,
                                                  cancelled=lambda: stopped.asked(number), **kwargs))
        except RunCancelled:
            message = ("cancelled", "")
        except BaseException as exc:  # noqa: BLE001 - the parent shows it as one line
            message = sandbox.failure(exc)
        if not sandbox.send_result(answers, message) or message[0] == "memory":
            return  # a failed allocation may have left the model half-built: the next request gets a fresh child
