"""A user's model held in a long-lived child process: ActivationSession's run interface, the sandbox's limits.

``sandbox.run_limited`` starts a child per call, which suits inspecting or explaining once; the Model Explorer runs
the loaded model on every image and every video frame, so a child that rebuilt the onnxruntime session each time
would cost a session start per run. ``SandboxedSession`` keeps one spawned child per loaded user model, with the
memory cap (RLIMIT_AS) set before onnxruntime starts, holding the session. Requests (all activations for a tensor;
a live fetch of some tensors + the output) go down a pipe; the answer's arrays come back through a shared-memory
block the parent owns (grown when an answer needs more, reused otherwise): the child writes them there and the parent
copies them out. bench/user_model.py measured 100 MB: 3.4× faster than bytes through the pipe, 4× than pickling.

A cancelled run (its RunOptions.terminate, as an ActivationSession's run is cancelled) is first asked to stop: the
child's own run is terminated between nodes and the child stays, so pausing a video or opening another picture
does not cost a new child and a model load (seconds). A run that does not stop within CANCEL_GRACE_S, exceeds the
time limit or dies is killed; the next request starts a fresh child. ``close`` (or dropping the object) stops it.
"""
from __future__ import annotations

import math
import multiprocessing
import threading
import time
import weakref
from collections.abc import Callable, Sequence
from multiprocessing import shared_memory
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import Any

import numpy as np

from explorer.core import preprocess as pp
from explorer.core import sandbox
from explorer.core.errors import UserError
from explorer.core.onnx_load import MAX_TENSOR_BYTES
from explorer.core.ort_setup import ort  # onnxruntime with its telemetry off
from explorer.core.runtime import Activations, RunCancelled

_POLL_S = 0.02  # how often a waiting run looks at its RunOptions.terminate
CANCEL_GRACE_S = 1.0  # a cancelled run that has not stopped by then (one long node, a hostile model) is killed
# The most one answer may bring into the app: the static check's limit for one tensor (onnx_load.py) for all of
# them (VGG-16's every activation at 224×224 is about 0.1 GB).
MAX_ANSWER_BYTES = MAX_TENSOR_BYTES


class SandboxedSession:
    """An ActivationSession in a child process: same attributes, ``run(tensor, options) -> Activations``, ``cancel``.

    The constructor starts the child and waits (``cancel`` kills it) until its session is ready."""

    def __init__(self, path: str | Path, *, memory_bytes: int, timeout_s: float,
                 cancel: threading.Event | None = None) -> None:
        self._path = str(path)
        self._memory_bytes = memory_bytes
        self.timeout_s = timeout_s  # for the start and for each request alone
        self._what = f"'{Path(path).name}'"
        self._lock = threading.Lock()            # one request at a time on the pipe
        self._in_flight: list[ort.RunOptions] = []
        self._sent = 0                           # requests sent: each carries its number, a cancel names one
        self._stops: Connection | None = None    # to the child: "stop the run with this number"
        self._child: Any = None                  # multiprocessing.Process while one runs
        self._conn: Connection | None = None
        self._finalizer: weakref.finalize | None = None
        self._block: list[shared_memory.SharedMemory] = []  # the answers' shared memory, once one needed it
        weakref.finalize(self, _free, self._block)
        started = time.perf_counter()
        with self._lock:
            facts = self._start(lambda: cancel is not None and cancel.is_set())
        self.input_name: str = facts["input_name"]
        self.input_shape: tuple[int, ...] = facts["input_shape"]
        self.input_dtype: np.dtype = facts["input_dtype"]
        self.output_name: str = facts["output_name"]
        self.tensor_names: list[str] = facts["tensor_names"]
        self.layer_tensor: dict[str, str] = facts["layer_tensor"]
        self.preprocess: pp.Preprocess | None = facts["preprocess"]
        self.provider: str = facts["provider"]
        self.notes: list[str] = facts["notes"]
        self.note: str | None = facts["note"]
        self.load_ms = (time.perf_counter() - started) * 1000

    # ----- ActivationSession's interface -------------------------------------------------------------------------
    def run(self, tensor: np.ndarray, run_options: ort.RunOptions | None = None) -> Activations:
        """Every node output for ``tensor``; RunCancelled when ``run_options.terminate`` was set (the child stops
        its run, or is killed if it does not), a one-line UserError when the child ran out of memory or time or
        died."""
        started = time.perf_counter()
        header, arrays = self._request(("run", np.ascontiguousarray(tensor)), run_options)
        tensors = dict(zip(header["names"], arrays))
        output = tensors[self.output_name]
        tensors = {name: tensors[name] for name in self.tensor_names}
        return Activations(tensors=tensors, layer_tensor=dict(self.layer_tensor), output=output,
                           timings={"run_ms": header["run_ms"], "total_ms": (time.perf_counter() - started) * 1000},
                           provider=self.provider)

    def fetch(self, names: Sequence[str], tensor: np.ndarray,
              run_options: ort.RunOptions | None = None) -> dict[str, np.ndarray]:
        """The tensors ``names`` and the model's output only, by the live session the child keeps for these
        names (core.live_inference.LiveSession)."""
        header, arrays = self._request(("live", tuple(names), np.ascontiguousarray(tensor)), run_options)
        return dict(zip(header["names"], arrays))

    def cancel(self) -> None:
        """Ask the runs in flight (if any) to stop: the waiting run stops the child's run (or kills the child) and
        raises RunCancelled."""
        for options in list(self._in_flight):
            options.terminate = True

    def close(self) -> None:
        """Stop the child (the model was replaced, or the app closes) and free the shared memory; a later request
        would start a new child."""
        with self._lock:
            self._stop()
            _free(self._block)

    @property
    def alive(self) -> bool:
        return self._child is not None and self._child.is_alive()

    @property
    def pid(self) -> int | None:
        return self._child.pid if self._child is not None else None

    # ----- the child -----------------------------------------------------------------------------------------
    def _start(self, cancelled: Callable[[], bool]) -> dict:
        """A new child with the session built; its facts (input, tensor names, provider...)."""
        ctx = multiprocessing.get_context("spawn")
        here, there = ctx.Pipe(duplex=True)
        stops_there, stops = ctx.Pipe(duplex=False)  # its own pipe: a child's thread waits on it while a run goes on
        child = ctx.Process(target=_serve, args=(there, self._path, self._memory_bytes, stops_there), daemon=True,
                            name="cnn-explorer-model")
        child.start()
        there.close()
        stops_there.close()
        self._child, self._conn, self._stops = child, here, stops
        self._finalizer = weakref.finalize(self, kill, child, here, stops)  # dropped without close(): still stopped
        header, _ = self._answer(cancelled)
        return header

    def _stop(self) -> None:
        if self._finalizer is not None:
            self._finalizer()  # kills and joins the child once; later calls do nothing
        self._child = self._conn = self._stops = self._finalizer = None

    def _request(self, message: tuple, run_options: ort.RunOptions | None) -> tuple[dict, list[np.ndarray]]:
        options = run_options or ort.RunOptions()
        self._in_flight.append(options)
        try:
            with self._lock:
                if not self.alive:
                    self._stop()
                    self._start(lambda: options.terminate)  # the last one was killed: a fresh one
                assert self._conn is not None
                self._sent += 1
                self._conn.send((self._sent, *message))
                return self._answer(lambda: options.terminate, self._sent)
        except sandbox.Cancelled:
            raise RunCancelled("The run was cancelled.") from None
        finally:
            self._in_flight.remove(options)

    def _answer(self, cancelled: Callable[[], bool], request: int | None = None) -> tuple[dict, list[np.ndarray]]:
        """Wait for the child's answer (header, arrays). On cancel, the child is asked to stop ``request`` (when
        given) and waited for CANCEL_GRACE_S: if it answers, it stays and StoppedInTime is raised; on cancel
        without that, timeout, death or failure it is killed and the error raised."""
        conn, child, stops = self._conn, self._child, self._stops
        assert conn is not None and child is not None and stops is not None
        waiting = AnswerWait(conn, child, stops, request, self.timeout_s, self._what, self._memory_bytes)
        try:
            waiting.until_message(cancelled)
            try:
                status, header = conn.recv()
                if waiting.stopping:  # stopped, or finished just before it heard: either way the child is still sound
                    if status == "ok":  # take what it wrote, so the pipe stays in step
                        self._check_size(header.get("arrays", ()))
                        self._receive(conn, header.get("arrays", ()))
                    raise StoppedInTime(f"{self._what} was cancelled.")
                if status != "ok":
                    sandbox.outcome(status, header, self._what, self._memory_bytes)  # raises
                layout = header.get("arrays", ())
                self._check_size(layout)
                return header, self._receive(conn, layout)
            except EOFError:
                child.join()
                raise sandbox.death(child.exitcode, self._what, self._memory_bytes) from None
        except BaseException as exc:
            # A plain UserError (a wrong input shape) or a run stopped in time leaves a healthy child; everything
            # else may not have.
            if type(exc) not in (UserError, StoppedInTime):
                self._stop()
            raise

    def _check_size(self, arrays: Sequence[tuple[str, tuple[int, ...]]]) -> None:
        """Refuse an answer bigger than the app will hold: the child may have room for a hidden 6 GB tensor under
        its cap, and receiving it would put those gigabytes in the app's process after all."""
        total = sum(math.prod(shape) * np.dtype(dtype).itemsize for dtype, shape in arrays)
        if total > MAX_ANSWER_BYTES:
            raise sandbox.OutOfMemory(f"{self._what} produced {total / sandbox.GB:.3g} GB of activations, more "
                                      f"than the {MAX_ANSWER_BYTES / sandbox.GB:.3g} GB the explorer holds: use a "
                                      "smaller model or input.")

    def _receive(self, conn: Connection, layout: Sequence[tuple[str, tuple[int, ...]]]) -> list[np.ndarray]:
        """The arrays ``_send`` announced: the child is told which block to write them to, then they are copied
        out (the block is overwritten by the next answer)."""
        offsets, total = _layout(layout)
        if not total:
            return [np.empty(shape, np.dtype(dtype)) for dtype, shape in layout]
        if not self._block or self._block[0].size < total:
            _free(self._block)
            self._block.append(shared_memory.SharedMemory(create=True, size=total))
        block = self._block[0]
        conn.send(block.name)
        if conn.recv() != "written":
            raise UserError(f"{self._what} answered out of turn.")
        return [np.frombuffer(block.buf, np.dtype(dtype), math.prod(shape), offset).reshape(shape).copy()
                for (dtype, shape), offset in zip(layout, offsets)]


class StoppedInTime(sandbox.Cancelled):
    """A cancelled request the child stopped (or finished) within CANCEL_GRACE_S: it keeps its session."""


class AnswerWait:
    """The parent's wait for a child's next message about request ``request``, shared by the session's and the
    explanations' children. On cancel the child is asked to stop ``request`` and given CANCEL_GRACE_S (no request
    yet, as while it starts: Cancelled at once); ``until_message`` raises sandbox.Cancelled when that passes,
    TimedOut after ``timeout_s`` without a message (``progressed`` starts that anew), and death's error when the
    child died without a word. The caller kills the child after any of these."""

    def __init__(self, conn: Connection, child: Any, stops: Connection, request: int | None, timeout_s: float,
                 what: str, memory_bytes: int, waiting: str = "did not finish within") -> None:
        self.conn, self.child, self.stops, self.request = conn, child, stops, request
        self.timeout_s, self.what, self.memory_bytes, self.waiting = timeout_s, what, memory_bytes, waiting
        self.stopping = False  # the child was asked to stop the request
        self.deadline = time.monotonic() + timeout_s

    def progressed(self) -> None:
        if not self.stopping:
            self.deadline = time.monotonic() + self.timeout_s

    def until_message(self, cancelled: Callable[[], bool]) -> None:
        while True:
            if cancelled() and not self.stopping:
                if self.request is None:
                    raise sandbox.Cancelled(f"{self.what} was cancelled.")
                try:
                    self.stops.send(self.request)
                except OSError:
                    pass  # it died: the wait below hears it
                self.stopping, self.deadline = True, min(self.deadline, time.monotonic() + CANCEL_GRACE_S)
            remaining = self.deadline - time.monotonic()
            if remaining <= 0:
                if self.stopping:
                    raise sandbox.Cancelled(f"{self.what} was cancelled.")
                raise sandbox.TimedOut(f"{self.what} {self.waiting} {self.timeout_s:g} s and was stopped: it may "
                                       "loop for ever or be too big for this machine; try a smaller model or input.")
            ready = wait([self.conn, self.child.sentinel], timeout=min(_POLL_S, remaining))
            if self.conn in ready or (ready and self.conn.poll()):
                return
            if ready:  # the sentinel alone: it died and said nothing
                self.child.join()
                raise sandbox.death(self.child.exitcode, self.what, self.memory_bytes)


def _layout(layout: Sequence[tuple[str, tuple[int, ...]]]) -> tuple[list[int], int]:
    """Where each array starts in the block (64-byte aligned) and the bytes needed."""
    offsets, end = [], 0
    for dtype, shape in layout:
        offsets.append(end)
        end += -(-math.prod(shape) * np.dtype(dtype).itemsize // 64) * 64
    return offsets, end


def _send(conn: Connection, names: Sequence[str], arrays: Sequence[Any], **extra: Any) -> None:
    """In the child: the answer's header, then (when the parent names its block) the arrays written into it."""
    arrays = [np.ascontiguousarray(a) for a in arrays]
    if any(a.dtype.hasobject for a in arrays):  # strings: only pickling can carry them
        raise UserError("This model produces text tensors, which the explorer cannot show.")
    layout = [(a.dtype.str, a.shape) for a in arrays]
    conn.send(("ok", {"names": list(names), "arrays": layout, **extra}))
    offsets, total = _layout(layout)
    if not total:
        return
    block = _attached(conn.recv())
    for array, offset in zip(arrays, offsets):
        if array.nbytes:  # an empty array's memoryview cannot be cast to bytes
            block.buf[offset:offset + array.nbytes] = memoryview(array.reshape(-1)).cast("B")
    conn.send("written")


_ATTACHED: dict[str, shared_memory.SharedMemory] = {}  # the child's view of the parent's current block


def _attached(name: str) -> shared_memory.SharedMemory:
    if name not in _ATTACHED:
        for old in _ATTACHED.values():
            old.close()
        _ATTACHED.clear()
        # Python < 3.13 registers an attached block with the resource tracker too; a spawned child shares its
        # parent's tracker, which keeps a set of names, so that is a no-op and the parent's unlink unregisters it.
        _ATTACHED[name] = shared_memory.SharedMemory(name)
    return _ATTACHED[name]


def _free(holder: list[shared_memory.SharedMemory]) -> None:
    for block in holder:
        block.close()
        block.unlink()
    holder.clear()


def kill(child: Any, *connections: Connection) -> None:
    if child.is_alive():
        child.kill()
    child.join()
    for conn in connections:
        conn.close()


def _serve(conn: Connection, path: str, memory_bytes: int, stops: Connection) -> None:
    """Runs in the child: cap memory, build the session, then answer requests until the pipe closes. Each request
    carries its number; the parent asks to stop one by sending its number down ``stops``."""
    sandbox.limit_memory(memory_bytes)
    sandbox.silence_stderr()
    try:
        from explorer.core.live_inference import LiveSession
        from explorer.core.runtime import ActivationSession

        session = ActivationSession(path)
        conn.send(("ok", {"input_name": session.input_name, "input_shape": tuple(session.input_shape),
                          "input_dtype": session.input_dtype, "output_name": session.output_name,
                          "tensor_names": list(session.tensor_names), "layer_tensor": dict(session.layer_tensor),
                          "preprocess": session.preprocess, "provider": session.provider,
                          "notes": list(session.notes), "note": session.note}))
    except BaseException as exc:  # noqa: BLE001 - the parent shows it as one line
        conn.send(sandbox.failure(exc))
        return
    live: dict[tuple[str, ...], LiveSession] = {}
    running = _Running()
    threading.Thread(target=running.wait_for, args=(stops,), daemon=True).start()
    while True:
        try:
            number, kind, *rest = conn.recv()
        except EOFError:  # the parent closed the pipe or is gone
            return
        options = running.begin(number)
        try:
            if kind == "run":
                activations = session.run(rest[0], options)
                sent = dict(activations.tensors)
                sent.setdefault(session.output_name, activations.output)  # usually a node output already
                _send(conn, list(sent), list(sent.values()), run_ms=activations.timings["run_ms"])
            else:
                names, tensor = rest
                if names not in live:
                    live.clear()  # one shown layer at a time: the previous layer's session frees its memory
                    live[names] = LiveSession(session, names)
                fetched = live[names].run(tensor, options)
                _send(conn, list(fetched), list(fetched.values()))
        except BaseException as exc:  # noqa: BLE001 - the parent shows it as one line
            conn.send(sandbox.failure(exc))
        finally:
            running.end()


class StopRequests:
    """In a child: the last request its parent asked to stop, heard by a thread that sleeps on the stop pipe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._stop = 0                        # the last request the parent asked to stop

    def asked(self, number: int) -> bool:
        with self._lock:
            return self._stop == number

    def wait_for(self, stops: Connection) -> None:
        """A thread: wait (asleep, not polling) for the parent to name a request; ends when the parent is gone."""
        while True:
            try:
                number = stops.recv()
            except (EOFError, OSError):
                return
            with self._lock:
                self._stop = number
                self._stopped(number)

    def _stopped(self, number: int) -> None:
        """Called under the lock when the parent names ``number``."""


class _Running(StopRequests):
    """The request under way and its RunOptions as well. The stop may come before the request is read (the parent
    may cancel a request the child has not read yet), so both sides look at both under one lock."""

    def __init__(self) -> None:
        super().__init__()
        self._number = 0                      # the request under way (0: none)
        self._options = ort.RunOptions()      # its options: terminate stops onnxruntime between nodes

    def begin(self, number: int) -> ort.RunOptions:
        options = ort.RunOptions()
        with self._lock:
            self._number, self._options = number, options
            options.terminate = self._stop == number
        return options

    def end(self) -> None:
        with self._lock:
            self._number = 0

    def _stopped(self, number: int) -> None:
        if self._number == number:
            self._options.terminate = True


class SandboxedLive:
    """LiveSession's interface (``tensors``, ``output_name``, ``provider``, ``run(tensor, options) -> dict``) over a
    SandboxedSession: the child builds the LiveSession for these tensors (and checks them) on the first frame."""

    def __init__(self, full: SandboxedSession, tensors: Sequence[str] = ()) -> None:
        self._full = full
        self.input_name, self.input_shape, self.preprocess = full.input_name, full.input_shape, full.preprocess
        self.output_name, self.provider = full.output_name, full.provider
        self.tensors: tuple[str, ...] = tuple(tensors)
        self.fetch: tuple[str, ...] = tuple(dict.fromkeys([*tensors, self.output_name]))

    def run(self, tensor: np.ndarray, run_options: ort.RunOptions | None = None) -> dict[str, np.ndarray]:
        return self._full.fetch(self.tensors, tensor, run_options)
