"""The whole network as a strip of blocks (layout from strip_layout); click a block to select that layer.

Hundreds of blocks (DenseNet-121) stay readable two ways: zooming (the strip fits its height, scrolls
horizontally, follows the current layer, the mouse wheel zooms and a double-click shows everything) and
grouping ("Group blocks" collapses each denseblock / transition / layerN / inception module into one labelled
block). Grouping starts on for models with more than GROUP_AUTO_ROWS rows, i.e. DenseNet-121 among the built-ins.
"""
from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import (
    QBrush,
    QColor,
    QFont,
    QFontMetricsF,
    QPainter,
    QPainterPath,
    QPen,
)
from PySide6.QtWidgets import (
    QGraphicsRectItem,
    QGraphicsScene,
    QGraphicsSimpleTextItem,
    QGraphicsView,
    QToolButton,
    QWidget,
)

from explorer.ui import style
from explorer.ui.model_explorer.rows import Row
from explorer.ui.model_explorer.strip_layout import (
    StripLayout,
    StripNode,
    group_nodes,
    has_groups,
    layout,
)

OP_COLOURS = {
    "Input": QColor(90, 90, 90), "Conv": QColor(52, 120, 200), "MaxPool": QColor(230, 140, 40),
    "AveragePool": QColor(230, 140, 40), "GlobalAveragePool": QColor(230, 140, 40), "Gemm": QColor(150, 80, 180),
    "MatMul": QColor(150, 80, 180), "Concat": QColor(40, 160, 90), "Add": QColor(40, 160, 90),
    "Sum": QColor(40, 160, 90), "Relu": QColor(185, 195, 210), "BatchNormalization": QColor(160, 205, 225),
    "LRN": QColor(160, 205, 225), "Softmax": QColor(200, 60, 90),
}
OTHER_COLOUR = QColor(200, 200, 200)
GROUP_COLOUR = QColor(175, 200, 235)  # light, so the dark group name on it reads on a projector
LABEL_COLOUR = QColor(20, 20, 20)
BORDER = QColor(60, 60, 60)
ARC_RISE = 30.0  # how far the longest skip arcs may rise above the blocks (scene units)
LABEL_MAX = 18.0  # group names' largest height (scene units); all names share one size, fitted to the narrowest
INDEX_KEY = 0  # QGraphicsItem.data key holding the first row index the block stands for
GROUP_AUTO_ROWS = 150  # more rows than this (DenseNet-121: 429) start grouped; ResNet-34 (127) and smaller don't


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
        # The toggle lives in a left margin of the view itself, so the view stays the one widget others embed.
        self.group_button = QToolButton(self)
        self.group_button.setText("Group\nblocks")
        self.group_button.setFont(style.font(style.LABEL_PT))
        self.group_button.setCheckable(True)
        self.group_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.group_button.toggled.connect(self._regroup)
        self.setViewportMargins(self.group_button.sizeHint().width() + 6, 0, 0, 0)
        self.layout_result: StripLayout | None = None
        self._rows: list[Row] = []
        self._blocks: list[QGraphicsRectItem] = []
        self._spans: list[range] = []     # per block: the rows it stands for
        self._block_of: list[int] = []    # per row: the block showing it
        self._highlight: QGraphicsRectItem | None = None
        self._current = -1                # a row index, also in grouped mode
        self.placeholder = ""             # shown instead of blocks while there is no model to draw

    def show_placeholder(self, text: str) -> None:
        """No blocks, just ``text`` (e.g. "Loading VGG-16…"): never the previous model's blocks."""
        self.set_rows([])
        self.placeholder = text
        label = self.scene().addSimpleText(text, style.font(style.LABEL_PT))
        label.setBrush(LABEL_COLOUR)
        self.resetTransform()
        self.scene().setSceneRect(label.boundingRect().adjusted(-8, -8, 8, 8))

    def set_rows(self, rows: list[Row]) -> None:
        self._rows, self._current, self.placeholder = rows, -1, ""
        groupable = has_groups([_node(r) for r in rows])
        self.group_button.setEnabled(groupable)
        self.group_button.setToolTip("Collapse each block of layers (denseblock, layerN, inception module) into one"
                                     if groupable else "This model has no named blocks to group")
        self.group_button.blockSignals(True)  # _build below draws once, in the chosen mode
        self.group_button.setChecked(groupable and len(rows) > GROUP_AUTO_ROWS)
        self.group_button.blockSignals(False)
        self._build()

    def is_grouped(self) -> bool:
        return self.group_button.isChecked()

    def block_count(self) -> int:
        return len(self._blocks)

    def block_rows(self, block: int) -> range:
        return self._spans[block]

    def _regroup(self) -> None:
        current = self._current
        self._build()
        self.set_current(current)

    def _build(self) -> None:
        scene = self.scene()
        scene.clear()
        self._blocks, self._highlight = [], None
        nodes = [_node(r) for r in self._rows]
        if self.is_grouped():
            nodes, self._spans = group_nodes(nodes)
        else:
            self._spans = [range(i, i + 1) for i in range(len(nodes))]
        self._block_of = [b for b, span in enumerate(self._spans) for _ in span]
        result = layout(nodes)
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
        labels: list[tuple[QGraphicsSimpleTextItem, QRectF]] = []
        for block, node, span in zip(result.blocks, nodes, self._spans):
            rect = QRectF(block.x, block.y, block.w, block.h)
            shape = "×".join(str(d) for d in node.shape[1:])
            grouped = node.layers > 1
            item = scene.addRect(rect, QPen(BORDER, 0), QBrush(GROUP_COLOUR if grouped
                                                                else OP_COLOURS.get(node.op, OTHER_COLOUR)))
            item.setData(INDEX_KEY, span.start)
            if grouped:
                item.setToolTip(f"{node.name}: {node.layers} layers ({span.start}–{span.stop - 1}), output {shape}\n"
                                "Click: its first layer. ← / → step through its layers one by one.")
                labels.append((QGraphicsSimpleTextItem(node.name, item), rect))
            else:
                item.setToolTip(f"{span.start}: {node.name} ({node.op}) {shape}")
            self._blocks.append(item)
        _fit_labels(labels)
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
        if rect.height() <= 0 or self.placeholder:
            return
        scale = min((self.viewport().height() - 4) / rect.height(), 4.0)
        self.resetTransform()
        self.scale(scale, scale)
        self._follow()

    def fit_all(self) -> None:
        self.fitInView(self.scene().sceneRect(), Qt.AspectRatioMode.IgnoreAspectRatio)

    def set_current(self, index: int) -> None:
        """Highlight the block showing row index: in grouped mode the whole group it lies in."""
        if not (0 <= index < len(self._block_of)) or self._highlight is None:
            return
        self._current = index
        self._highlight.setRect(self._blocks[self._block_of[index]].rect().adjusted(-2, -2, 2, 2))
        self._follow()

    def current(self) -> int:
        return self._current

    def block_of(self, index: int) -> int:
        """The block showing row index (its group's block when grouped)."""
        return self._block_of[index]

    def block_item(self, block: int) -> QGraphicsRectItem:
        return self._blocks[block]

    def highlighted_block(self) -> int:
        return self._block_of[self._current] if 0 <= self._current < len(self._block_of) else -1

    def highlight_rect(self) -> QRectF:
        return self._highlight.rect() if self._highlight is not None else QRectF()

    def block_rect(self, index: int) -> QRectF:
        """The scene rectangle of the block showing row index."""
        return self._blocks[self._block_of[index]].rect()

    def _follow(self) -> None:
        if 0 <= self._current < len(self._block_of):
            self.ensureVisible(self._blocks[self._block_of[self._current]], 60, 0)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        frame = self.frameWidth()
        hint = self.group_button.sizeHint()
        self.group_button.setGeometry(frame + 2, (self.height() - hint.height()) // 2, hint.width(), hint.height())
        self.fit_height()

    def wheelEvent(self, event) -> None:
        factor = 1.25 if event.angleDelta().y() > 0 else 0.8
        self.scale(factor, factor)

    def mouseDoubleClickEvent(self, event) -> None:
        self.fit_all()

    def mousePressEvent(self, event) -> None:
        for item in self.items(event.position().toPoint()):  # a group's label lies over its block: look beneath
            index = item.data(INDEX_KEY)
            if index is not None:
                self.layer_clicked.emit(int(index))
                return
        super().mousePressEvent(event)


def _node(row: Row) -> StripNode:
    return StripNode(row.name, row.op, row.inputs, row.outputs, row.shape)


def _fit_labels(labels: list[tuple[QGraphicsSimpleTextItem, QRectF]]) -> None:
    """Centre each group name in its block, all at one size: the largest that fits every block (≤ LABEL_MAX)."""
    if not labels:
        return
    font = QFont(style.font())
    font.setPixelSize(100)  # measured large, then scaled down into scene units: crisp at any zoom
    metrics = QFontMetricsF(font)
    scale = LABEL_MAX / metrics.height()
    for label, rect in labels:
        scale = min(scale, (rect.width() - 6) / metrics.horizontalAdvance(label.text()),
                    0.6 * rect.height() / metrics.height())
    for label, rect in labels:
        label.setFont(font)
        label.setBrush(LABEL_COLOUR)
        label.setScale(scale)
        size = label.boundingRect().size() * scale
        label.setPos(rect.center().x() - size.width() / 2, rect.center().y() - size.height() / 2)
