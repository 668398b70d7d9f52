"""A call that waits behind every event already posted or posted at normal priority before it runs.

Qt sorts posted events by priority, and repaints are low-priority events too, so a call posted here runs after a
queued signal emitted *later* at normal priority. The Model Explorer uses it to paint a live frame's result only
after the next frame has been handed over: that frame's model run then overlaps this frame's painting instead of
waiting for it. Only the newest callable waits: a newer one replaces it (latest wins, like the frames).
"""
from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QCoreApplication, QEvent, QObject, Qt

_CALL = QEvent.Type(QEvent.registerEventType())


class LowPriorityCall(QObject):
    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._pending: Callable[[], None] | None = None

    def call(self, fn: Callable[[], None]) -> None:
        posted = self._pending is not None
        self._pending = fn
        if not posted:
            QCoreApplication.postEvent(self, QEvent(_CALL), Qt.EventPriority.LowEventPriority.value)

    def cancel(self) -> None:
        self._pending = None

    def event(self, event: QEvent) -> bool:
        if event.type() != _CALL:
            return super().event(event)
        fn, self._pending = self._pending, None
        if fn is not None:
            fn()
        return True
