"""The whole network as a strip of blocks (layout from strip_layout); click a block to select that layer.

Hundreds of blocks (DenseNet-121) stay readable by zooming: the strip fits its height, scrolls horizontally,
follows the current layer, and the mouse wheel zooms (double-click or "Fit" shows everything).
"""
from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QGraphicsRectItem, QGraphicsScene, QGraphicsView, QWidget

from explorer.ui import style
from explorer.ui.model_explorer.rows import Row
from explorer.ui.model_explorer.strip_layout import StripLayout, StripNode, layout

OP_COLOURS = {
    "Input": QColor(90, 90, 90), "Conv": QColor(52, 120, 200), "MaxPool": QColor(230, 140, 40),
    "AveragePool": QColor(230, 140, 40), "GlobalAveragePool": QColor(230, 140, 40), "Gemm": QColor(150, 80, 180),
    "MatMul": QColor(150, 80, 180), "Concat": QColor(40, 160, 90), "Add": QColor(40, 160, 90),
    "Sum": QColor(40, 160, 90), "Relu": QColor(185, 195, 210), "BatchNormalization": QColor(160, 205, 225),
    "LRN": QColor(160, 205, 225), "Softmax": QColor(200, 60, 90),
}
OTHER_COLOUR = QColor(200, 200, 200)
ARC_RISE = 30.0  # how far the longest skip arcs may rise above the blocks (scene units)
INDEX_KEY = 0  # QGraphicsItem.data key holding the row index


class ArchitectureStrip(QGraphicsView):
    layer_clicked = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setScene(QGraphicsScene(self))
        self.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.setBackgroundBrush(QColor(250, 250, 250))
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        self.setMinimumHeight(130)
        self.setToolTip("The whole network: click a block to show that layer; wheel zooms, double-click fits.")
        self.layout_result: StripLayout | None = None
        self._blocks: list[QGraphicsRectItem] = []
        self._highlight: QGraphicsRectItem | None = None
        self._current = -1

    def set_rows(self, rows: list[Row]) -> None:
        scene = self.scene()
        scene.clear()
        self._blocks, self._highlight, self._current = [], None, -1
        result = layout([StripNode(r.name, r.op, r.inputs, r.outputs, r.shape) for r in rows])
        self.layout_result = result
        lines, arcs = QPainterPath(), QPainterPath()
        for edge in result.edges:
            a, b = result.blocks[edge.source], result.blocks[edge.target]
            start, end = QPointF(a.x + a.w, a.y + a.h / 2), QPointF(b.x, b.y + b.h / 2)
            if edge.arc:  # skip connection: a bow above the blocks it jumps over
                top = -result.height / 2 - min(6 + 0.1 * (end.x() - start.x()), ARC_RISE)
                start, end = QPointF(a.x + a.w / 2, a.y), QPointF(b.x + b.w / 2, b.y)
                arcs.moveTo(start)
                arcs.cubicTo(QPointF(start.x(), top), QPointF(end.x(), top), end)
            else:
                lines.moveTo(start)
                lines.lineTo(end)
        scene.addPath(lines, QPen(QColor(120, 120, 120), 0))
        scene.addPath(arcs, QPen(QColor(40, 160, 90), 1.5))
        for block, row in zip(result.blocks, rows):
            item = scene.addRect(QRectF(block.x, block.y, block.w, block.h), QPen(QColor(60, 60, 60), 0),
                                 QBrush(OP_COLOURS.get(row.op, OTHER_COLOUR)))
            item.setData(INDEX_KEY, block.index)
            item.setToolTip(f"{block.index}: {row.name} ({row.op}) {'×'.join(str(d) for d in row.shape[1:])}")
            self._blocks.append(item)
        pen = QPen(style.HIGHLIGHT, 3)
        pen.setCosmetic(True)  # stays visible at any zoom
        self._highlight = scene.addRect(QRectF(), pen)
        self._highlight.setZValue(10)
        margin = ARC_RISE * 0.75 + 2  # a cubic curve peaks at 3/4 of its control points' rise
        scene.setSceneRect(QRectF(-8, -result.height / 2 - margin, result.width + 16, result.height + margin + 8))
        self.fit_height()

    def fit_height(self) -> None:
        """Scale so the strip's height fills the view; wide networks scroll (and follow the current layer)."""
        rect = self.scene().sceneRect()
        if rect.height() <= 0:
            return
        scale = min((self.viewport().height() - 4) / rect.height(), 4.0)
        self.resetTransform()
        self.scale(scale, scale)
        self._follow()

    def fit_all(self) -> None:
        self.fitInView(self.scene().sceneRect(), Qt.AspectRatioMode.IgnoreAspectRatio)

    def set_current(self, index: int) -> None:
        if not (0 <= index < len(self._blocks)) or self._highlight is None:
            return
        if 0 <= self._current < len(self._blocks):
            self._blocks[self._current].setPen(QPen(QColor(60, 60, 60), 0))
        self._current = index
        self._highlight.setRect(self._blocks[index].rect().adjusted(-2, -2, 2, 2))
        self._follow()

    def current(self) -> int:
        return self._current

    def block_rect(self, index: int) -> QRectF:
        return self._blocks[index].rect()

    def _follow(self) -> None:
        if 0 <= self._current < len(self._blocks):
            self.ensureVisible(self._blocks[self._current], 60, 0)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self.fit_height()

    def wheelEvent(self, event) -> None:
        factor = 1.25 if event.angleDelta().y() > 0 else 0.8
        self.scale(factor, factor)

    def mouseDoubleClickEvent(self, event) -> None:
        self.fit_all()

    def mousePressEvent(self, event) -> None:
        for item in self.items(event.position().toPoint()):
            index = item.data(INDEX_KEY)
            if index is not None:
                self.layer_clicked.emit(int(index))
                return
        super().mousePressEvent(event)
