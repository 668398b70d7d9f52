"""One line of text that changes often — a live frame's statistics — painted without asking the layouts again.

Every QLabel.setText calls updateGeometry, and the request climbs every layout up to the main window, whose
relayout repaints the whole window: on a live video that was a window-wide layout pass and repaint per frame,
5–10 ms of the GUI thread. This line's size depends on its font alone, so a new text only repaints the line.
"""
from __future__ import annotations

from PySide6.QtCore import QEvent, QSize, Qt
from PySide6.QtGui import QPainter, QPaintEvent
from PySide6.QtWidgets import QSizePolicy, QWidget


class ReadoutLine(QWidget):
    def __init__(self, text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._text = text
        self._reserved = ""  # a text whose width the line keeps (reserve)
        # As wide as the layout allows (longer text is elided); one line high.
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)

    def text(self) -> str:
        return self._text

    def setText(self, text: str) -> None:  # noqa: N802 (Qt naming, as QLabel)
        if text != self._text:
            self._text = text
            self.update()

    def clear(self) -> None:
        self.setText("")

    def reserve(self, template: str) -> None:
        """Keep the width of ``template`` whatever the text (a toolbar gives its widgets their size hint, and this
        line never asks for a new one)."""
        self._reserved = template
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        self.updateGeometry()

    def sizeHint(self) -> QSize:  # noqa: N802
        metrics = self.fontMetrics()
        width = max(metrics.horizontalAdvance(self._text), metrics.horizontalAdvance(self._reserved))
        return QSize(width + 4, metrics.height() + 4)

    def minimumSizeHint(self) -> QSize:  # noqa: N802
        return QSize(0, self.fontMetrics().height() + 4)

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange:  # zoom: the one time the line's height changes
            self.updateGeometry()

    def paintEvent(self, _event: QPaintEvent) -> None:  # noqa: N802
        painter = QPainter(self)
        area = self.contentsRect().adjusted(2, 0, -2, 0)
        shown = self.fontMetrics().elidedText(self._text, Qt.TextElideMode.ElideRight, area.width())
        painter.setPen(self.palette().color(self.foregroundRole()))
        painter.drawText(area, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, shown)
