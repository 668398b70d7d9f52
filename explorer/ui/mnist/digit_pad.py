"""A black pad to draw a digit on in white, like MNIST: mouse, pen or touch (Qt turns tablet events into mouse
events when the widget does not take them)."""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, QRect, QSize, Qt, Signal
from PySide6.QtGui import QImage, QMouseEvent, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

PAD_SIZE = 280          # canvas pixels: 10x the 28-pixel digit, so strokes are smooth after normalising
SHOWN_SIZE = 420        # on screen: big enough to see from the back of a lecture room; pointer maps back
SMALLEST = 280          # where the window is narrow (1024 px, zoomed) the pad gives way before the chart does
DEFAULT_STROKE = 22     # about MNIST's stroke once the drawing is scaled into a 20-pixel box


class DigitPad(QWidget):
    """Paints strokes into a grayscale QImage; reports the canvas while drawing and when a stroke ends."""

    drawing_changed = Signal(object)   # np.ndarray uint8 (PAD_SIZE, PAD_SIZE), white strokes on black
    stroke_finished = Signal(object)   # same, once the pen is lifted
    cleared = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._canvas = QImage(PAD_SIZE, PAD_SIZE, QImage.Format.Format_Grayscale8)
        self._canvas.fill(0)
        self._last: QPointF | None = None
        self._example = False  # the canvas shows a held-out digit; the first stroke starts a fresh drawing
        self.stroke_width = DEFAULT_STROKE
        policy = QSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)
        policy.setHeightForWidth(True)   # square
        self.setSizePolicy(policy)
        self.setMinimumSize(SMALLEST, SMALLEST)
        self.setMaximumSize(SHOWN_SIZE, SHOWN_SIZE)
        self.setCursor(Qt.CursorShape.CrossCursor)
        self.setToolTip("Draw a digit 0-9 with the mouse or a pen")

    def sizeHint(self) -> QSize:
        return QSize(SHOWN_SIZE, SHOWN_SIZE)

    def heightForWidth(self, width: int) -> int:  # noqa: N802 (Qt naming)
        return width

    def side(self) -> int:
        """The drawn square's side in pixels (the widget may be given a rectangle)."""
        return min(self.width(), self.height())

    def pixels(self) -> np.ndarray:
        """A copy of the canvas as uint8 (H, W)."""
        ptr = self._canvas.constBits()
        rows = np.frombuffer(ptr, np.uint8).reshape(PAD_SIZE, self._canvas.bytesPerLine())
        return rows[:, :PAD_SIZE].copy()

    def is_drawing(self) -> bool:
        """The pen is down (a stroke is under way)."""
        return self._last is not None

    def is_empty(self) -> bool:
        return not self.pixels().any()

    def clear(self) -> None:
        self._canvas.fill(0)
        self._last = None
        self._example = False
        self.update()
        self.cleared.emit()

    def show_digit(self, digit: np.ndarray) -> None:
        """Show a 28×28 digit (a held-out example) so the pad never looks empty while the bars read a digit."""
        big = np.ascontiguousarray(np.kron(np.asarray(digit, np.uint8), np.ones((PAD_SIZE // digit.shape[0],) * 2,
                                                                                np.uint8)))
        self._canvas = QImage(big.data, big.shape[1], big.shape[0], big.shape[1],
                              QImage.Format.Format_Grayscale8).copy()
        self._example = True
        self.update()

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            if self._example:
                self._canvas.fill(0)
                self._example = False
            self._last = self._to_canvas(event.position())
            self._draw_to(self._last)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self._last is not None and event.buttons() & Qt.MouseButton.LeftButton:
            self._draw_to(self._to_canvas(event.position()))

    def _to_canvas(self, point: QPointF) -> QPointF:
        return point * (PAD_SIZE / self.side())

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton and self._last is not None:
            self._last = None
            self.stroke_finished.emit(self.pixels())

    def _draw_to(self, point: QPointF) -> None:
        painter = QPainter(self._canvas)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(QPen(Qt.GlobalColor.white, self.stroke_width, Qt.PenStyle.SolidLine,
                            Qt.PenCapStyle.RoundCap, Qt.PenJoinStyle.RoundJoin))
        painter.drawLine(self._last, point)  # a press draws a dot: a zero-length line with round caps
        painter.end()
        self._last = point
        self.update()
        self.drawing_changed.emit(self.pixels())

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        painter.drawImage(QRect(0, 0, self.side(), self.side()), self._canvas)
        painter.end()
