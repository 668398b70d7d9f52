"""The one task runner: latest wins per kind, progress and errors on the GUI thread, cancellation reaches into
the work, and a task stuck in an uninterruptible call never holds the app."""
import os
import sys
import threading
import time

import pytest

from explorer.core.errors import UserError
from explorer.workers.runner import TaskRunner


@pytest.fixture
def runner(qtbot):
    r = TaskRunner()
    yield r
    r.shutdown(2.0)


def _wait_for(event: threading.Event) -> None:
    assert event.wait(5)


def test_latest_wins_and_old_results_are_dropped(runner, qtbot):
    release = threading.Event()
    got = []

    def slow(ctx, value):
        release.wait(5)
        return value

    runner.submit("k", slow, "old", on_done=got.append)
    runner.submit("k", lambda ctx: "new", on_done=got.append)
    qtbot.waitUntil(lambda: got == ["new"], timeout=3000)
    release.set()
    qtbot.waitUntil(lambda: not runner.running_tasks(), timeout=3000)
    qtbot.wait(50)
    assert got == ["new"]


def test_kinds_are_independent(runner, qtbot):
    got = []
    runner.submit("a", lambda ctx: "a", on_done=got.append)
    runner.submit("b", lambda ctx: "b", on_done=got.append)
    qtbot.waitUntil(lambda: sorted(got) == ["a", "b"], timeout=3000)


def test_cancel_runs_the_hooks_the_work_registered(runner, qtbot):
    registered, interrupted, done = threading.Event(), threading.Event(), []

    def work(ctx):
        ctx.on_cancel(interrupted.set)
        registered.set()
        interrupted.wait(5)
        ctx.check()
        return "finished"

    runner.submit("k", work, on_done=done.append)
    _wait_for(registered)
    runner.cancel("k")
    assert interrupted.is_set()
    qtbot.waitUntil(lambda: not runner.running_tasks(), timeout=3000)
    assert done == [] and not runner.is_busy("k")


def test_progress_is_delivered_and_cancels_through_the_callback(runner, qtbot):
    seen, started = [], threading.Event()

    def work(ctx):
        ctx.progress(0.0, "start")
        started.set()
        for i in range(1, 1000):
            time.sleep(0.002)
            ctx.progress(i / 1000, "working")  # raises Cancelled once cancelled
        return "never"

    runner.submit("k", work, on_progress=lambda f, t: seen.append((f, t)))
    _wait_for(started)
    qtbot.waitUntil(lambda: len(seen) >= 2, timeout=3000)
    runner.cancel("k")
    qtbot.waitUntil(lambda: not runner.running_tasks(), timeout=1000)
    assert seen[0] == (0.0, "start")
    assert len(seen) < 100  # throttled to about one report per frame, not one per step


def test_errors_come_back_as_one_line(runner, qtbot):
    errors = []
    runner.submit("k", lambda ctx: (_ for _ in ()).throw(UserError("Cannot read x.png: choose another file.")),
                  on_error=errors.append)
    runner.submit("j", lambda ctx: {}["missing"], on_error=errors.append)
    qtbot.waitUntil(lambda: len(errors) == 2, timeout=3000)
    assert "Cannot read x.png: choose another file." in errors
    assert any(e.startswith("Unexpected error (KeyError)") for e in errors)
    assert all("\n" not in e for e in errors)


def test_a_stuck_task_is_abandoned_and_the_next_request_is_served(runner, qtbot):
    never = threading.Event()  # an uninterruptible native call, as far as the runner can tell
    got = []
    runner.submit("model", lambda ctx: never.wait(), on_done=got.append)
    runner.submit("model", lambda ctx: "lenet5", on_done=got.append)
    qtbot.waitUntil(lambda: got == ["lenet5"], timeout=3000)
    started = time.monotonic()
    assert runner.shutdown(timeout_s=0.5) is False  # the stuck one is still there, and that is reported
    assert time.monotonic() - started < 1.0
    never.set()


def test_coalesced_requests_wait_and_only_the_newest_runs(runner, qtbot):
    """A burst of requests while one runs: that one finishes and is shown, then only the newest runs."""
    release, ran, shown = threading.Event(), [], []

    def work(ctx, value):
        ran.append(value)
        if value == 0:
            release.wait(5)
        return value

    for value in range(50):
        runner.submit("map", work, value, on_done=shown.append, coalesce=True)
    assert runner.is_busy("map")
    release.set()
    qtbot.waitUntil(lambda: shown == [0, 49], timeout=3000)
    assert ran == [0, 49] and not runner.is_busy("map")


# ----- threads are reused ------------------------------------------------------------------------------------------
def test_one_task_after_another_reuses_one_thread(runner, qtbot, monkeypatch):
    """A live video submits a task per frame: each used to start a thread, ~1 ms of the GUI thread each."""
    started = []
    original = threading.Thread.start
    monkeypatch.setattr(threading.Thread, "start", lambda self: started.append(self) or original(self))
    ran_on, done = [], []
    for i in range(20):
        runner.submit("frame", lambda ctx, i: ran_on.append(threading.get_ident()) or i, i, on_done=done.append)
        qtbot.waitUntil(lambda: bool(done) and done[-1] == i, timeout=3000)
    assert done == list(range(20)) and len(set(ran_on)) == 1 and len(started) == 1


def test_a_stuck_task_keeps_its_thread_and_the_next_one_gets_another(runner, qtbot):
    stuck, release, got = threading.Event(), threading.Event(), []

    def never_returns(ctx):  # an uninterruptible native call: it ignores the cancel
        stuck.set()
        release.wait(5)

    runner.submit("k", never_returns)
    _wait_for(stuck)
    runner.submit("k", lambda ctx: threading.get_ident(), on_done=got.append)  # cancels the stuck one
    qtbot.waitUntil(lambda: len(got) == 1, timeout=3000)
    assert len(runner.running_tasks()) == 1  # the stuck one, on its own thread
    release.set()
    qtbot.waitUntil(lambda: not runner.running_tasks(), timeout=3000)


def test_idle_threads_end_at_shutdown_and_by_themselves(qtbot, monkeypatch):
    from explorer.workers import threads

    monkeypatch.setattr(threads, "IDLE_S", 0.2)
    workers = []
    for _ in range(2):
        runner = TaskRunner()
        done = []
        runner.submit("k", lambda ctx: threading.current_thread(), on_done=done.append)
        qtbot.waitUntil(lambda: len(done) == 1, timeout=3000)
        workers.append((runner, done[0]))
    first, second = workers
    started = time.monotonic()
    assert first[0].shutdown(2.0)
    first[1].join(2.0)
    assert not first[1].is_alive() and time.monotonic() - started < 0.5   # told to end, not timed out
    second[1].join(2.0)
    assert not second[1].is_alive()                                       # never shut down: ended idle
    second[0].shutdown(2.0)


# ----- background work yields to the window --------------------------------------------------------------------
def _nice() -> int:
    return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="per-thread priorities are Linux's")
def test_tasks_and_the_threads_they_start_run_below_the_windows_priority(runner, qtbot):
    """Two live runs keep both cores busy; at equal priority the GUI thread waited behind them to paint."""
    from explorer.workers.threads import BACKGROUND_NICE

    def work(ctx):
        inner = []
        child = threading.Thread(target=lambda: inner.append(_nice()))  # as onnxruntime's own threads are made
        child.start()
        child.join()
        return _nice(), inner[0]

    got = []
    runner.submit("k", work, on_done=got.append)
    qtbot.waitUntil(lambda: bool(got), timeout=3000)
    expected = min(_nice() + BACKGROUND_NICE, 19)
    assert got == [(expected, expected)]
