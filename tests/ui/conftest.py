"""UI test fixtures. Like napari's conftest, a test fails if it leaves a QThread, a QTimer or a task thread running,
and the failure says where that thread or timer was started: a timer that outlives its view fires into a
half-deleted widget, a thread left running crashes at exit or computes into the next test."""
from __future__ import annotations

import gc
import threading
import time
import traceback
import weakref

import pytest
import shiboken6
from PySide6.QtCore import QThread, QTimer

import explorer.ui  # noqa: F401  (pyqtgraph's global options, as the app sets them)
from explorer.workers.runner import THREAD_PREFIX

TASK_GRACE_S = 2.0   # cancelled tasks get this long to notice before the test is blamed


def _tracking(cls, registry: weakref.WeakKeyDictionary, monkeypatch: pytest.MonkeyPatch) -> None:
    original = cls.start

    def start(self, *args, **kwargs):
        registry[self] = "".join(traceback.format_stack(limit=8)[:-1])
        return original(self, *args, **kwargs)

    monkeypatch.setattr(cls, "start", start)


def _report(kind: str, items: dict) -> str:
    return f"test left {len(items)} {kind} running, started at:\n" + "\n---\n".join(items.values())


@pytest.fixture(autouse=True, scope="session")
def collect_garbage_on_the_gui_thread():
    """Like the app (explorer/app.py): a cycle collected on a task thread can destroy a Qt object there while the
    GUI thread holds its mutex, and both wait for ever. Collect only here, on the GUI thread, after each test."""
    gc.disable()
    yield
    gc.enable()


@pytest.fixture(autouse=True)
def no_dangling_qt_work(qapp, monkeypatch: pytest.MonkeyPatch):
    """Record every QThread/QTimer/thread started from Python; after the test's widgets closed, none may run."""
    threads: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
    timers: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
    tasks: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
    _tracking(QThread, threads, monkeypatch)
    _tracking(QTimer, timers, monkeypatch)
    _tracking(threading.Thread, tasks, monkeypatch)
    yield
    qapp.processEvents()
    gc.collect()
    running = {t: s for t, s in threads.items() if shiboken6.isValid(t) and t.isRunning()}
    active = {t: s for t, s in timers.items() if shiboken6.isValid(t) and t.isActive() and not t.isSingleShot()}
    pending = {t: s for t, s in timers.items() if shiboken6.isValid(t) and t.isActive() and t.isSingleShot()}
    deadline = time.monotonic() + TASK_GRACE_S
    for thread in [t for t in tasks if t.name.startswith(THREAD_PREFIX)]:
        thread.join(max(0.0, deadline - time.monotonic()))
    alive = {t: s for t, s in tasks.items() if t.name.startswith(THREAD_PREFIX) and t.is_alive()}
    for thread in running:  # don't let one leak crash every later test
        thread.quit()
        thread.wait(2000)
    for timer in list(active) + list(pending):
        timer.stop()
    assert not running, _report("QThread(s)", running)
    assert not active, _report("repeating QTimer(s)", active)
    assert not pending, _report("single-shot QTimer(s) pending", pending)
    assert not alive, _report("task thread(s)", alive)


@pytest.fixture
def settings(tmp_path):
    """Never the user's settings: a private ini file per test."""
    from PySide6.QtCore import QSettings

    return QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)


@pytest.fixture
def runner(qapp):
    from explorer.workers.runner import TaskRunner

    r = TaskRunner()
    yield r
    assert r.shutdown(2.0)


@pytest.fixture
def explorer_view(qtbot, runner, settings):
    """A Model Explorer on a fresh AppState with its own runner and a private settings file."""
    from explorer.state import AppState
    from explorer.ui.model_explorer.view import ModelExplorerView

    view = ModelExplorerView(AppState(), runner, settings=settings)
    qtbot.addWidget(view)
    view.resize(1400, 900)
    view.show()
    yield view
    view.shutdown()


@pytest.fixture
def view(explorer_view):
    """The explorer at the size the layout tests were written for (files with another kind of view override it)."""
    explorer_view.resize(1600, 950)
    return explorer_view


@pytest.fixture
def explorer_window(qtbot, tmp_path):
    """The main window (1400×900) on the Model Explorer tab with the default sample picture; closed at the end."""
    from PySide6.QtCore import QSettings

    from explorer.core import samples
    from explorer.ui.main_window import MainWindow

    win = MainWindow(settings=QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(win)
    win.resize(1400, 900)
    win.show()
    win.tabs.setCurrentWidget(win.explorer)
    win.set_image(samples.load_sample(samples.default_sample().name))
    yield win
    win.live.stop()
    win.close()
