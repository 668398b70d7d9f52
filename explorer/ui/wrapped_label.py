"""A word-wrapped label that claims the height its wrapped text needs.

Layouts size a wrapped QLabel's minimum from a guess, and a splitter pane sized to that minimum lets the next
widget overlap the label's last lines (the Playground's caption and formula at 1024×768 did).
"""
from __future__ import annotations

from PySide6.QtCore import QEvent, QSize
from PySide6.QtWidgets import QLabel, QWidget


class WrappedLabel(QLabel):
    def __init__(self, text: str = "", parent: QWidget | None = None, height_for_width: bool = True) -> None:
        """``height_for_width=False`` leaves the label's height to its minimum alone: a box layout takes a
        height-for-width answer as a hard minimum, so a label beside a scrolling table made the layout squeeze
        its other rows (the Compare tab's calculator lost its last line)."""
        super().__init__(text, parent)
        self.setWordWrap(True)
        self._height_for_width = height_for_width

    def hasHeightForWidth(self) -> bool:  # noqa: N802 (Qt naming; QLabel turns its size policy's flag back on)
        return self._height_for_width and super().hasHeightForWidth()

    def sizeHint(self) -> QSize:  # noqa: N802
        """Without height-for-width, QLabel would ask for the height of a narrow, many-line layout of its text."""
        hint = super().sizeHint()
        if self._height_for_width or not self.isVisible():
            return hint
        return QSize(hint.width(), self.minimumHeight())

    def setText(self, text: str) -> None:  # noqa: N802 (Qt naming)
        if text == self.text():
            return  # refitting toggles the minimum height, a layout pass of the window (every live frame's formula)
        super().setText(text)
        self._fit()

    def resizeEvent(self, event) -> None:  # noqa: N802
        super().resizeEvent(event)
        self._fit()

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange:   # a zoomed font wraps into more lines at the same width
            self._fit()

    def showEvent(self, event) -> None:  # noqa: N802
        super().showEvent(event)
        self._fit()

    def _fit(self) -> None:
        if not self.isVisible():   # not laid out yet: a default 100 px width would claim a tall column of lines
            return
        # QLabel's heightForWidth counts the minimum height in: measured with it, the label could only grow (the
        # Inception formula kept the 9 lines of a moment when it was narrow and pushed the window past 720 px).
        self.setMinimumHeight(0)
        self.setMinimumHeight(max(0, self.heightForWidth(max(self.width(), 1))))
