"""Binding widgets to state in one call: state events repaint the widget, the widget's edits write intent.

While the state pushes a value into a widget, the widget's own change signal is blocked, so a value never
echoes back into the state (which would re-trigger work and fight the user's next keystroke).
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from psygnal import SignalInstance
from PySide6.QtCore import QObject, QTimer
from PySide6.QtCore import SignalInstance as QtSignal


def bind(widget: QObject, state_signal: SignalInstance, show: Callable[[], None], edited: QtSignal,
         write: Callable[..., None]) -> None:
    """``show()`` paints the widget from the state now and on every ``state_signal``; ``edited`` (the widget's
    Qt signal) calls ``write(*args)`` with the user's new value."""

    def repaint(*_: Any) -> None:
        blocked = widget.blockSignals(True)
        try:
            show()
        finally:
            widget.blockSignals(blocked)

    repaint()
    connect(widget, state_signal, repaint)
    edited.connect(write)


def connect(owner: QObject, state_signal: SignalInstance, slot: Callable[..., Any]) -> None:
    """Connect a state event to a widget's slot and disconnect it when the widget is destroyed (state outlives
    views in tests, and a slot on a deleted widget would crash)."""
    state_signal.connect(slot)
    owner.destroyed.connect(lambda *_: state_signal.disconnect(slot))


FRAME_MS = 16


class Coalesced:
    """Runs ``slot`` at most once per frame however often ``trigger`` is called (a key held down, a dragged
    slider); ``flush`` runs a pending call now (exports and tests want the latest picture)."""

    def __init__(self, owner: QObject, slot: Callable[[], None], interval_ms: int = FRAME_MS) -> None:
        self._slot = slot
        self._timer = QTimer(owner)
        self._timer.setSingleShot(True)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(slot)

    def trigger(self, *_: Any) -> None:
        if not self._timer.isActive():
            self._timer.start()

    @property
    def pending(self) -> bool:
        return self._timer.isActive()

    def flush(self) -> None:
        if self._timer.isActive():
            self._timer.stop()
            self._slot()

    def stop(self) -> None:
        self._timer.stop()
