"""The one task runner: latest wins per kind, progress and errors on the GUI thread, cancellation reaches into
the work, and a task stuck in an uninterruptible call never holds the app."""
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
