"""Step animation over the output map: one unit per step in row-major order (right by the stride, then down).

Only a QTimer: the step lives in the Playground state (``animation``, units revealed minus one) and the unit being
computed becomes the explained unit, so the arithmetic below follows the sliding window.
"""
from __future__ import annotations

from PySide6.QtCore import QObject, QTimer, Signal

from explorer.state.batch import batched
from explorer.state.playground import PlaygroundState


class StepAnimator(QObject):
    state_changed = Signal(bool)   # playing?

    def __init__(self, state: PlaygroundState, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self._timer = QTimer(self)
        self._timer.timeout.connect(self.step)
        self.set_speed(4.0)

    @property
    def playing(self) -> bool:
        return self._timer.isActive()

    def _shape(self) -> tuple[int, int]:
        outcome = self.state.outcome
        if outcome is None or outcome.result is None:
            return 0, 0
        return outcome.result.output.shape

    def set_speed(self, steps_per_second: float) -> None:
        self._timer.setInterval(max(1, round(1000 / steps_per_second)))

    def play(self) -> None:
        rows, cols = self._shape()
        if self.state.animation + 1 >= rows * cols:
            self.state.animation = -1  # finished: play again from the start
        self._timer.start()
        self.state_changed.emit(True)

    def pause(self) -> None:
        self._timer.stop()
        self.state_changed.emit(False)

    def toggle(self) -> None:
        self.pause() if self.playing else self.play()

    def step(self) -> None:
        rows, cols = self._shape()
        index = self.state.animation + 1
        if index >= rows * cols:
            self.pause()
            return
        with batched(self.state.events):
            self.state.animation = index
            self.state.pinned = False
            self.state.hover = divmod(index, cols)
        if index + 1 >= rows * cols and self.playing:
            self.pause()

    def reset(self) -> None:
        """Back to idle: timer off, whole map visible."""
        self._timer.stop()
        self.state.animation = -1
        self.state_changed.emit(False)
