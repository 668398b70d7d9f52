"""UI test fixtures. Like napari's conftest, a test fails if it leaves a QThread or a QTimer running:
a timer that outlives its view fires into a half-deleted widget, a thread left running crashes at exit."""
from __future__ import annotations

import weakref

import pytest
import shiboken6
from PySide6.QtCore import QThread, QTimer

import explorer.ui  # noqa: F401  (pyqtgraph's global options, as the app sets them)


def _tracking(cls, registry: weakref.WeakSet, monkeypatch: pytest.MonkeyPatch) -> None:
    original = cls.start

    def start(self, *args, **kwargs):
        registry.add(self)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(cls, "start", start)


@pytest.fixture(autouse=True)
def no_dangling_qt_work(qapp, monkeypatch: pytest.MonkeyPatch):
    """Record every QThread/QTimer started from Python; after pytest-qt closed the test's widgets, none may run."""
    threads: weakref.WeakSet = weakref.WeakSet()
    timers: weakref.WeakSet = weakref.WeakSet()
    _tracking(QThread, threads, monkeypatch)
    _tracking(QTimer, timers, monkeypatch)
    yield
    qapp.processEvents()
    running = [t for t in threads if shiboken6.isValid(t) and t.isRunning()]
    active = [t for t in timers if shiboken6.isValid(t) and t.isActive() and not t.isSingleShot()]
    pending = [t for t in timers if shiboken6.isValid(t) and t.isActive() and t.isSingleShot()]
    for thread in running:  # don't let one leak crash every later test
        thread.quit()
        thread.wait(2000)
    for timer in active + pending:
        timer.stop()
    assert not running, f"test left {len(running)} QThread(s) running: {running}"
    assert not active, f"test left {len(active)} repeating QTimer(s) running: {[t.objectName() or t for t in active]}"
    assert not pending, f"test left {len(pending)} single-shot QTimer(s) pending"
