"""Run untrusted work (a user's ONNX model) in a child process with a memory cap, a time limit and a cancel.

A hostile 1 KB model can ask onnxruntime for gigabytes or loop for ever, and nothing inside onnxruntime can be
interrupted safely from Python. A child process can: it gets an address-space limit (RLIMIT_AS) before the
work starts, and it is killed (SIGKILL / TerminateProcess) on timeout or cancel. The parent only waits.

Qt-free and cheap to import (no numpy, no onnxruntime): the GUI's task runner calls ``run_limited`` from a worker
thread and cancels it from the GUI thread through a ``threading.Event``.

Start method: "spawn" everywhere. It never forks a process holding Qt or onnxruntime threads, and it works in
the frozen (PyInstaller) app because ``explorer.cli.main`` calls ``multiprocessing.freeze_support()`` first: the
frozen executable started with ``--multiprocessing-fork`` then becomes the child instead of opening the app.

Platforms: the memory cap uses ``resource.RLIMIT_AS`` on Linux. macOS accepts but does not enforce RLIMIT_AS and
Windows has no ``resource`` module, so there only the time limit and cancel apply (plus the static size check
in runtime.py before any model runs); a Windows job object could add the cap later.
"""
from __future__ import annotations

import math
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from multiprocessing.connection import Connection, wait
from typing import Any, TypeVar

from explorer.core.errors import UserError
from explorer.core.progress import Progress

T = TypeVar("T")
GB = 1024**3
# How often the parent looks at the cancel event: the child dies within this plus the kill itself (~ms).
_POLL_S = 0.05
# The child's progress reports are throttled to this (a GUI shows at most one per frame anyway).
_PROGRESS_S = 0.05
# Words in an exception that mean an allocation failed (numpy, onnxruntime's C++ std::bad_alloc, its arena).
_MEMORY_WORDS = ("bad_alloc", "failed to allocate", "cannot allocate memory", "unable to allocate",
                 "out of memory", "memoryerror")  # "out of memory": runtime.py's own words for these


class Cancelled(UserError):
    """The work was cancelled (``cancel`` was set) and its process killed."""


class OutOfMemory(UserError):
    """The work needed more than its memory cap (an allocation failed, or the child died of it)."""


class TimedOut(UserError):
    """The work ran past its time limit and its process was killed."""


def default_memory_bytes() -> int:
    """A cap that protects the machine: half the physical memory, at most 8 GB (4 GB when unknown)."""
    try:
        physical = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):
        return 4 * GB
    return max(GB, min(8 * GB, physical // 2))


def run_limited(fn: Callable[..., T], *args: Any, timeout_s: float, memory_bytes: int,
                cancel: threading.Event | None = None, what: str = "The model",
                progress: Progress | None = None) -> T:
    """``fn(*args)`` in a child process; its return value, or a one-line ``UserError``.

    ``fn`` must be a picklable top-level function and ``args`` picklable; so is the result, which travels back
    through a pipe (return a summary or write files in the child rather than returning gigabytes). A
    ``UserError`` raised inside comes back unchanged; any other exception as a one-line ``UserError``.
    ``what`` starts the messages ("The model did not finish within 30 s ...").

    ``progress``: ``fn`` is called as ``fn(*args, progress=report)``, and every report (at most one per
    ``_PROGRESS_S`` from the child) reaches ``progress`` here, on the calling thread; an exception it raises (a
    task runner's ``Cancelled``) kills the child and propagates. The time limit then bounds the time *between*
    reports, so work made of many steps (an explanation's forward passes) may take longer than ``timeout_s`` as
    long as no single step does.
    """
    ctx = multiprocessing.get_context("spawn")
    receiver, sender = ctx.Pipe(duplex=False)
    child = ctx.Process(target=_child_main, args=(sender, memory_bytes, fn, args, progress is not None),
                        daemon=True, name="cnn-explorer-sandbox")
    child.start()
    sender.close()  # the child holds the only writer: EOF on the pipe means it is gone
    deadline = time.monotonic() + timeout_s
    try:
        while True:
            if cancel is not None and cancel.is_set():
                raise Cancelled(f"{what} was cancelled.")
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                span = "made no progress for" if progress is not None else "did not finish within"
                raise TimedOut(f"{what} {span} {timeout_s:g} s and was stopped: it may loop for "
                               "ever or be too big for this machine; try a smaller model or input.")
            ready = wait([receiver, child.sentinel], timeout=min(_POLL_S, remaining))
            if receiver in ready or (ready and receiver.poll()):
                try:
                    status, payload = receiver.recv()
                except EOFError:  # died without a word
                    child.join()
                    raise death(child.exitcode, what, memory_bytes) from None
                if status == "progress":
                    assert progress is not None
                    progress(*payload)
                    deadline = time.monotonic() + timeout_s
                    continue
                return outcome(status, payload, what, memory_bytes)
            if ready:  # the sentinel alone: exited and nothing is left in the pipe
                child.join()
                raise death(child.exitcode, what, memory_bytes)
    finally:
        if child.is_alive():
            child.kill()
        child.join()
        receiver.close()


def outcome(status: str, payload: Any, what: str, memory_bytes: int) -> Any:
    """The child's (status, payload): the payload when "ok", else the one-line UserError it stands for."""
    if status == "ok":
        return payload
    if status == "memory" or any(w in payload.lower() for w in _MEMORY_WORDS):
        raise _memory_error(what, memory_bytes)  # also a UserError that says the allocation failed (runtime.py)
    if status == "user":
        raise UserError(payload)
    raise UserError(f"{what} failed: {payload}")


def _memory_error(what: str, memory_bytes: int) -> OutOfMemory:
    return OutOfMemory(f"{what} needed more than {memory_bytes / GB:.3g} GB of memory and was stopped: use a smaller "
                     "model or input.")


def death(exitcode: int | None, what: str, memory_bytes: int) -> UserError:
    """A child that died without reporting: a signal from a failed allocation (abort, segfault) or the OOM killer."""
    if exitcode is not None and exitcode < 0:
        try:
            name = signal.Signals(-exitcode).name
        except ValueError:
            name = f"signal {-exitcode}"
        return OutOfMemory(f"{what} crashed ({name}), most likely because it needed more than "
                           f"{memory_bytes / GB:.3g} GB of memory: use a smaller model or input.")
    return UserError(f"{what} stopped unexpectedly (exit status {exitcode}): check the model with "
                     "'cnn-explorer inspect' or re-export it.")


def limit_memory(memory_bytes: int) -> None:
    """Cap this process's address space (Linux; see the module docstring for other systems), and let a crash
    write no core file (a hostile model's would be gigabytes)."""
    if not sys.platform.startswith("linux"):
        return
    import resource

    _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    cap = memory_bytes if hard == resource.RLIM_INFINITY else min(memory_bytes, hard)
    resource.setrlimit(resource.RLIMIT_AS, (cap, hard))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def silence_stderr() -> None:
    """Everything the child has to say travels back through the pipe as one line; what native code writes to fd 2
    on its way down (onnxruntime's "terminate called after throwing…" when the cap makes an allocation fail) would
    otherwise land beside that line on the user's terminal."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    os.close(devnull)


def failure(exc: BaseException) -> tuple[str, str]:
    """A child's exception as the (status, text) message that ``outcome`` turns back into a one-line UserError."""
    if isinstance(exc, UserError):
        return "user", str(exc)
    if isinstance(exc, MemoryError):
        return "memory", ""
    text = " ".join(str(exc).split()) or "no details"
    return "error", f"{type(exc).__name__}: {text[:300]}"


def reporter(conn: Connection) -> Progress:
    """The child's progress callback: ("progress", (fraction, text)) through the result pipe, at most one per
    _PROGRESS_S (a batch loop may report thousands of times) except the last, which says the work is done."""
    last = -math.inf

    def report(fraction: float, text: str) -> None:
        nonlocal last
        now = time.monotonic()
        if now - last >= _PROGRESS_S or fraction >= 1:
            last = now
            conn.send(("progress", (float(fraction), str(text))))

    return report


def _child_main(conn: Connection, memory_bytes: int, fn: Callable[..., Any], args: tuple, reports: bool) -> None:
    """Runs in the child: limit, call, send (status, payload) back."""
    limit_memory(memory_bytes)
    silence_stderr()
    try:
        message: tuple[str, Any] = ("ok", fn(*args, progress=reporter(conn)) if reports else fn(*args))
    except BaseException as exc:  # noqa: BLE001 - everything becomes one line for the user
        message = failure(exc)
    send_result(conn, message)
    conn.close()


def send_result(conn: Connection, message: tuple[str, Any]) -> bool:
    """A child's (status, payload) to its parent, or what went wrong sending it; False when the parent is gone."""
    try:
        conn.send(message)
        return True
    except (OSError, EOFError):
        return False
    except MemoryError:
        instead = ("memory", "")
    except Exception as exc:  # noqa: BLE001 - an unpicklable result
        instead = ("error", f"its result could not be sent back ({type(exc).__name__}: {exc})")
    try:
        conn.send(instead)
        return True
    except (OSError, EOFError):
        return False
