"""Step animation over the output map: one unit per step in row-major order (right by the stride, then down).

Only a cursor and a QTimer; the view turns each position into taps and a partly revealed map.
"""
from __future__ import annotations

from PySide6.QtCore import QObject, QTimer, Signal


class StepAnimator(QObject):
    """``index`` is -1 when idle (whole map shown); otherwise units 0..index are revealed."""

    moved = Signal(int, int)       # (row, col) of the unit just computed
    state_changed = Signal(bool)   # playing?

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._timer = QTimer(self)
        self._timer.timeout.connect(self.step)
        self._shape = (0, 0)
        self.index = -1
        self.set_speed(4.0)

    @property
    def active(self) -> bool:
        return self.index >= 0

    @property
    def playing(self) -> bool:
        return self._timer.isActive()

    @property
    def revealed(self) -> int:
        return self.index + 1

    def set_shape(self, rows: int, cols: int) -> None:
        """A new output map: a running animation starts over at the top-left (and keeps playing if it was)."""
        self._shape = (rows, cols)
        if self.active:
            self.index = -1
            self.step()

    def set_speed(self, steps_per_second: float) -> None:
        self._timer.setInterval(max(1, round(1000 / steps_per_second)))

    def play(self) -> None:
        if self.revealed >= self._shape[0] * self._shape[1]:
            self.index = -1  # finished: play again from the start
        self._timer.start()
        self.state_changed.emit(True)

    def pause(self) -> None:
        self._timer.stop()
        self.state_changed.emit(False)

    def toggle(self) -> None:
        self.pause() if self.playing else self.play()

    def step(self) -> None:
        total = self._shape[0] * self._shape[1]
        if total == 0:
            return
        if self.index + 1 >= total:
            self.pause()
            return
        self.index += 1
        self.moved.emit(*divmod(self.index, self._shape[1]))
        if self.index + 1 >= total and self.playing:
            self.pause()

    def reset(self) -> None:
        """Back to idle: timer off, whole map visible."""
        self._timer.stop()
        self.index = -1
        self.state_changed.emit(False)
