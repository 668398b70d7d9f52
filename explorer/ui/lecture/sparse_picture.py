"""Sparse connectivity and parameter sharing drawn as the lecture draws them: inputs x₁…x₅ below, outputs above,
a convolution on top and a matrix product underneath.

The wiring and the highlight come from ``state.lesson.sparse_picture`` (core probes the real convolution); this
module only lays the nodes out, paints the edges and turns a click on a node or a weight chip into state.
"""
from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QFont, QMouseEvent, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QCheckBox, QComboBox, QHBoxLayout, QLabel, QSizePolicy, QVBoxLayout, QWidget

from explorer.core.connectivity import WIDTHS, Picture, Wiring, sub
from explorer.state import AppState
from explorer.state.lesson import sparse_picture
from explorer.ui import style
from explorer.ui.binding import bind, connect

# One colour per kernel weight (up to 5): the same colour on every output shows the sharing.
WEIGHT_COLOURS = (QColor(31, 119, 180), QColor(230, 120, 0), QColor(44, 160, 44), QColor(148, 103, 189),
                  QColor(140, 86, 75))
DENSE_COLOUR = QColor(60, 60, 60)     # matrix weights: each edge its own, so no shared colour
FAINT = QColor(200, 200, 200)
INK = QColor(0, 0, 0)
LIT_FILL = QColor(style.HIGHLIGHT.red(), style.HIGHLIGHT.green(), style.HIGHLIGHT.blue(), 110)


@dataclass(frozen=True)
class Hit:
    focus: str   # input, output or weight
    index: int


class WiringCanvas(QWidget):
    """Both diagrams; emits ``chosen(focus, index)`` when an input, an output or a weight chip is clicked."""

    chosen = Signal(str, int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFont(style.font(style.TITLE_PT))
        self.setMinimumSize(320, 240)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.picture: Picture | None = None
        self._targets: list[tuple[QRectF, Hit]] = []   # from the last paint: what a click can hit

    def show_picture(self, picture: Picture) -> None:
        self.picture = picture
        self.update()

    def target(self, focus: str, index: int) -> QPointF:
        """Centre of a clickable node or chip as last painted (tests click through it)."""
        return next(rect.center() for rect, hit in self._targets if hit == Hit(focus, index))

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802 (Qt naming)
        for rect, hit in self._targets:
            if rect.contains(event.position()):
                self.chosen.emit(hit.focus, hit.index)
                return

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        if self.picture is None:
            return
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.fillRect(self.rect(), Qt.GlobalColor.white)
        self._targets = []
        half = self.height() / 2
        p = self.picture
        self._diagram(painter, QRectF(0, 0, self.width(), half), p.conv, p.conv_lit, p.conv_title(), shared=True)
        self._diagram(painter, QRectF(0, half, self.width(), half), p.dense, p.dense_lit, p.dense_title(),
                      shared=False)
        painter.end()

    def _diagram(self, painter: QPainter, area: QRectF, wiring: Wiring, lit: frozenset, title: str,
                 shared: bool) -> None:
        metrics = painter.fontMetrics()
        line = metrics.height()
        painter.setPen(INK)
        painter.drawText(QRectF(area.left() + 8, area.top() + 2, area.width() - 16, line), Qt.AlignmentFlag.AlignLeft,
                         title)
        top = area.top() + line * (2.4 if shared else 1.4)   # the conv diagram has a row of weight chips
        if shared:
            self._chips(painter, wiring, QPointF(area.left() + 8, area.top() + line * 1.2), line)
        n = wiring.inputs
        step = area.width() / (n + 1)
        radius = min(step * 0.3, (area.bottom() - top) * 0.16, line * 1.1)
        y_out, y_in = top + radius + 2, area.bottom() - radius - 6
        x_in = [area.left() + step * (i + 1) for i in range(n)]
        shift = (n - wiring.outputs) / 2          # fewer outputs (no padding) sit centred over the inputs
        x_out = [area.left() + step * (j + 1 + shift) for j in range(wiring.outputs)]
        for edge in sorted(wiring.edges, key=lambda e: e in lit):   # lit edges on top
            on = edge in lit
            colour = (WEIGHT_COLOURS[edge.weight] if shared else DENSE_COLOUR) if on else FAINT
            painter.setPen(QPen(colour, 4 if on else 1.2))
            painter.drawLine(QPointF(x_in[edge.source], y_in - radius), QPointF(x_out[edge.target], y_out + radius))
        self._edge_labels(painter, wiring, lit, x_in, x_out, (y_in - radius, y_out + radius), shared)
        sources, targets = {e.source for e in lit}, {e.target for e in lit}
        focus = self.picture.focus
        for letter, xs, y, ends, kind in (("x", x_in, y_in, sources, "input"), ("s", x_out, y_out, targets, "output")):
            for i, x in enumerate(xs):
                rect = QRectF(x - radius, y - radius, 2 * radius, 2 * radius)
                chosen = focus == kind and i == self.picture.index
                painter.setPen(QPen(INK, 3 if chosen else 1.5))
                painter.setBrush(style.HIGHLIGHT if chosen else LIT_FILL if i in ends else QColor(Qt.GlobalColor.white))
                painter.drawEllipse(rect)
                painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, f"{letter}{sub(i + 1)}")
                self._targets.append((rect, Hit(kind, i)))
        painter.setBrush(Qt.BrushStyle.NoBrush)

    def _chips(self, painter: QPainter, wiring: Wiring, origin: QPointF, line: float) -> None:
        """Clickable coloured weight names: "where is this weight used?"."""
        x = origin.x()
        painter.drawText(QPointF(x, origin.y() + line * 0.8), "Weights:")
        x += painter.fontMetrics().horizontalAdvance("Weights: ")
        for k, name in enumerate(wiring.weight_names):
            width = painter.fontMetrics().horizontalAdvance(name) + line
            rect = QRectF(x, origin.y(), width, line * 1.1)
            chosen = self.picture.focus == "weight" and self.picture.index == k
            painter.setPen(QPen(INK if chosen else WEIGHT_COLOURS[k], 3 if chosen else 1))
            painter.setBrush(WEIGHT_COLOURS[k])
            painter.drawRoundedRect(rect, 4, 4)
            painter.setPen(QColor(Qt.GlobalColor.white))
            painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, name)
            self._targets.append((rect, Hit("weight", k)))
            x += width + line * 0.4
        painter.setPen(INK)

    def _edge_labels(self, painter: QPainter, wiring: Wiring, lit: frozenset, x_in: list[float],
                     x_out: list[float], ys: tuple[float, float], shared: bool) -> None:
        """Name the weight on every lit edge, a third of the way down from its output."""
        font = QFont(painter.font())
        font.setPointSizeF(painter.font().pointSizeF() * 0.8)
        painter.save()
        painter.setFont(font)
        for edge in lit:
            a, b = QPointF(x_in[edge.source], ys[0]), QPointF(x_out[edge.target], ys[1])
            at = b + (a - b) * 0.35
            name = wiring.weight_names[edge.weight]
            rect = QRectF(at.x() - 40, at.y() - 12, 80, 24)
            rect = painter.boundingRect(rect, Qt.AlignmentFlag.AlignCenter, name).adjusted(-3, -1, 3, 1)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(QColor(255, 255, 255, 225))
            painter.drawRoundedRect(rect, 3, 3)
            painter.setPen(WEIGHT_COLOURS[edge.weight] if shared else DENSE_COLOUR)
            painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, name)
        painter.restore()


class SparsePicture(QWidget):
    """The picture, its kernel-width and padding controls, and one sentence on what the highlight shows."""

    def __init__(self, state: AppState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFont(style.font(style.LABEL_PT))
        lesson = state.lesson
        self.lesson = lesson
        self.width_box = QComboBox()
        self.width_box.addItems([str(w) for w in WIDTHS])
        self.same_box = QCheckBox("“same” padding (as many outputs as inputs)")
        bind(self.width_box, lesson.events.sparse_width,
             lambda: self.width_box.setCurrentText(str(lesson.sparse_width)),
             self.width_box.currentTextChanged, lambda text: setattr(lesson, "sparse_width", int(text)))
        bind(self.same_box, lesson.events.sparse_same, lambda: self.same_box.setChecked(lesson.sparse_same),
             self.same_box.toggled, lambda on: setattr(lesson, "sparse_same", on))
        controls = QHBoxLayout()
        controls.addWidget(QLabel("Kernel width"))
        controls.addWidget(self.width_box)
        controls.addSpacing(16)
        controls.addWidget(self.same_box)
        controls.addStretch(1)
        self.canvas = WiringCanvas()
        self.canvas.chosen.connect(lesson.highlight)
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.summary.setFont(style.font(style.TITLE_PT, bold=True))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(controls)
        layout.addWidget(self.canvas, 1)
        layout.addWidget(self.summary)
        for signal in (lesson.events.sparse_width, lesson.events.sparse_same, lesson.events.sparse_focus,
                       lesson.events.sparse_index):
            connect(self, signal, self._show)
        self._show()

    def _show(self, *_: object) -> None:
        picture = sparse_picture(self.lesson)
        self.canvas.show_picture(picture)
        self.summary.setText(picture.summary())
