"""The whole network as a strip of blocks (layout from strip_layout); click a block to select that layer.

Hundreds of blocks (DenseNet-121) stay readable two ways: zooming (the strip fits its height, scrolls
horizontally, follows the current layer, the mouse wheel zooms and a double-click shows everything) and
grouping ("Group blocks" collapses each denseblock / transition / layerN / inception module into one labelled
block). Grouping starts on for models with more than GROUP_AUTO_ROWS rows, i.e. DenseNet-121 among the built-ins.

Dense connectivity (strip_layout.dense_links) is always drawn: magenta arcs from each layer to every later layer
that reads its maps, above the blocks, or inside a collapsed dense block in its own miniature. ``shortcuts=True``
(the Compare tab's ResNet-34 / plain-34 pair) draws residual shortcuts and their Adds in red and fades the rest;
``set_rows(rows, align_with=other)`` places namesake layers under the other strip's. A legend beside the strip
names the colours of what is drawn.
"""
from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import (
    QBrush,
    QColor,
    QFont,
    QFontMetrics,
    QFontMetricsF,
    QPainter,
    QPainterPath,
    QPen,
    QTransform,
)
from PySide6.QtWidgets import (
    QGraphicsRectItem,
    QGridLayout,
    QLabel,
    QGraphicsScene,
    QGraphicsSimpleTextItem,
    QGraphicsView,
    QSizePolicy,
    QToolButton,
    QWidget,
)

from explorer.ui import style
from explorer.ui.model_explorer.rows import Row
from explorer.ui.model_explorer.strip_layout import (
    Block,
    Shortcuts,
    StripLayout,
    StripNode,
    aligned,
    dense_links,
    group_nodes,
    has_groups,
    layout,
    shortcuts,
)

# (legend text, colour, ops drawn in it): the one place a block's colour is decided.
LEGEND: tuple[tuple[str, QColor, tuple[str, ...]], ...] = (
    ("input", QColor(90, 90, 90), ("Input",)),
    ("convolution", QColor(52, 120, 200), ("Conv",)),
    ("pooling", QColor(230, 140, 40), ("MaxPool", "AveragePool", "GlobalAveragePool")),
    ("fully connected", QColor(150, 80, 180), ("Gemm", "MatMul")),
    ("concat / add", QColor(40, 160, 90), ("Concat", "Add", "Sum")),
    ("ReLU", QColor(185, 195, 210), ("Relu",)),
    ("batch norm / LRN", QColor(160, 205, 225), ("BatchNormalization", "LRN")),
    ("softmax", QColor(200, 60, 90), ("Softmax",)),
)
OP_COLOURS = {op: colour for _, colour, ops in LEGEND for op in ops}
OTHER_COLOUR = QColor(200, 200, 200)
GROUP_COLOUR = QColor(175, 200, 235)  # light, so the dark group name on it reads on a projector
SHORTCUT_COLOUR = QColor(225, 20, 40)        # strong: the shortcuts are what the ResNet/plain pair is about
DENSE_COLOUR = QColor(185, 30, 165, 150)     # see-through: hundreds of DenseNet arcs overlap into a fan
EDGE_COLOUR = QColor(120, 120, 120)
LABEL_COLOUR = QColor(20, 20, 20)
BORDER = QColor(60, 60, 60)
ARC_RISE = 30.0  # how far the longest skip arcs may rise above the blocks (scene units)
LABEL_MAX = 18.0  # group names' largest height (scene units); all names share one size, fitted to the narrowest
MINIATURE_TOP = 0.4  # a collapsed dense block: its name in the top 40 %, its links' miniature below
INDEX_KEY = 0  # QGraphicsItem.data key holding the first row index the block stands for
SWATCH_PX = 14
PREFERRED_HEIGHT = 130  # px, when the window has the room; a short one gets less (set_height_budget)
LEAST_LEGEND_ROWS = 2   # below this many rows the legend would be too wide to leave the blocks any room
GROUP_AUTO_ROWS = 150  # more rows than this (DenseNet-121: 429) start grouped; ResNet-34 (127) and smaller don't


class StripLegend(QWidget):
    """Swatches and names for the colours the strip shows now (only those present), in as many columns as the
    rows it is given need."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.grid = QGridLayout(self)
        self.grid.setContentsMargins(4, 2, 4, 2)
        self.grid.setHorizontalSpacing(6)
        self.grid.setVerticalSpacing(1)
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        self._entries: list[tuple[str, QColor]] = []
        self._rows = 0

    def set_entries(self, entries: list[tuple[str, QColor]], most_rows: int | None = None) -> None:
        """Show ``entries``; in two columns unless ``most_rows`` asks for fewer rows (then more columns)."""
        self._entries = list(entries)
        self._arrange(self.balanced_rows(most_rows or 0))

    def fit_rows(self, most_rows: int) -> None:
        """At most ``most_rows`` rows (at least one), the columns balanced: a short strip gets a wide legend."""
        rows = self.balanced_rows(most_rows)
        if rows != self._rows:
            self._arrange(rows)

    def balanced_rows(self, most_rows: int) -> int:
        """Rows for two columns, or as few columns as ``most_rows`` allows with the rows as even as they go: nine
        entries in at most four rows make three columns of three, not 4 + 4 + 1."""
        count = len(self._entries)
        if count == 0:
            return 0
        two_columns = (count + 1) // 2
        if most_rows <= 0 or most_rows >= two_columns:
            return two_columns
        columns = -(-count // most_rows)
        return -(-count // columns)

    def row_height(self) -> int:
        return max(SWATCH_PX, QFontMetrics(style.font(style.LABEL_PT)).height())

    def height_for(self, rows: int) -> int:
        """The legend's height with ``rows`` rows (0: empty)."""
        margins = self.grid.contentsMargins()
        spacing = self.grid.verticalSpacing()
        return margins.top() + margins.bottom() + rows * (self.row_height() + spacing) - spacing if rows else 0

    def rows_in(self, height: int) -> int:
        margins = self.grid.contentsMargins()
        spacing = self.grid.verticalSpacing()
        return max(1, (height - margins.top() - margins.bottom() + spacing) // (self.row_height() + spacing))

    def _arrange(self, rows: int) -> None:
        while self.grid.count():
            old = self.grid.takeAt(0).widget()
            old.setParent(None)  # gone now, not at the next event loop turn (it would paint under the new ones)
            old.deleteLater()
        self._rows = rows
        for i, (text, colour) in enumerate(self._entries):
            swatch, label = QLabel(), QLabel(text)
            swatch.setFixedSize(SWATCH_PX, SWATCH_PX)
            swatch.setStyleSheet(f"background: {colour.name(QColor.NameFormat.HexArgb)}; border: 1px solid #3c3c3c;")
            label.setFont(style.font(style.LABEL_PT))
            row, column = i % rows, 2 * (i // rows)
            self.grid.addWidget(swatch, row, column)
            self.grid.addWidget(label, row, column + 1)
            swatch.show()  # now, not queued: the size hint below must count them
            label.show()
        self.adjustSize()

    def entries(self) -> list[str]:
        return [text for text, _ in self._entries]

    def rows(self) -> int:
        return self._rows


class ArchitectureStrip(QGraphicsView):
    layer_clicked = Signal(int)

    def __init__(self, parent: QWidget | None = None, *, shortcuts: bool = False, fit_whole: bool = False,
                 legend: bool = True) -> None:
        """``shortcuts``: draw residual shortcuts in a strong colour, the rest faded. ``fit_whole``: show the
        whole network at any size (stretched to the view, no grouping) instead of fitting the height and
        scrolling. ``legend=False``: no legend of its own (strips stacked together share one)."""
        super().__init__(parent)
        self.highlight_shortcuts, self.fit_whole, self.own_legend = shortcuts, fit_whole, legend
        self.setScene(QGraphicsScene(self))
        self.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.setBackgroundBrush(QColor(250, 250, 250))
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        self.setToolTip("The whole network: click a block to show that layer; wheel zooms, double-click fits.")
        # The toggle lives in a left margin of the view itself, so the view stays the one widget others embed.
        self.group_button = QToolButton(self)
        self.group_button.setText("Group\nblocks")
        self.group_button.setFont(style.font(style.LABEL_PT))
        self.group_button.setCheckable(True)
        self.group_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.group_button.toggled.connect(self._regroup)
        self.group_button.setVisible(not fit_whole)
        self.legend = StripLegend(self)
        self.layout_result: StripLayout | None = None
        self.nodes: list[StripNode] = []  # what the blocks stand for (grouped nodes when grouped)
        self.marked = Shortcuts(frozenset(), frozenset())  # shortcut blocks and edges, by block index
        self.dense: list[tuple[int, int]] = []  # dense links by row index (strip_layout.dense_links)
        self.miniatures: set[int] = set()       # collapsed blocks drawn with their dense links inside
        self._align: ArchitectureStrip | None = None
        self._rows: list[Row] = []
        self._blocks: list[QGraphicsRectItem] = []
        self._spans: list[range] = []     # per block: the rows it stands for
        self._block_of: list[int] = []    # per row: the block showing it
        self._highlight: QGraphicsRectItem | None = None
        self._current = -1                # a row index, also in grouped mode
        self.placeholder = ""             # shown instead of blocks while there is no model to draw
        # fit_whole: the user's wheel zoom stays (a scroll bar appearing resizes the viewport, which would fit the
        # whole network again) until a double-click or new rows
        self.zoomed = False
        self._budget: int | None = None  # the most height to ask for (set_height_budget)

    def show_placeholder(self, text: str) -> None:
        """No blocks, just ``text`` (e.g. "Loading VGG-16…"): never the previous model's blocks."""
        self.set_rows([])
        self.placeholder = text
        self.legend.hide()
        label = self.scene().addSimpleText(text, style.font(style.LABEL_PT))
        label.setBrush(LABEL_COLOUR)
        self.resetTransform()
        self.scene().setSceneRect(label.boundingRect().adjusted(-8, -8, 8, 8))

    def set_rows(self, rows: list[Row], align_with: ArchitectureStrip | None = None) -> None:
        """Draw ``rows``; with ``align_with``, each layer sits under the other strip's layer of the same name."""
        self._rows, self._current, self.placeholder, self._align = rows, -1, "", align_with
        self.zoomed = False
        groupable = has_groups([_node(r) for r in rows])
        self.group_button.setEnabled(groupable and not self.fit_whole)
        self.group_button.setToolTip("Collapse each block of layers (denseblock, layerN, inception module) into one"
                                     if groupable else "This model has no named blocks to group")
        self.group_button.blockSignals(True)  # _build below draws once, in the chosen mode
        self.group_button.setChecked(groupable and len(rows) > GROUP_AUTO_ROWS and not self.fit_whole)
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
        rows = [_node(r) for r in self._rows]
        self.dense = dense_links(rows)
        nodes = rows
        if self.is_grouped():
            nodes, self._spans = group_nodes(rows)
        else:
            self._spans = [range(i, i + 1) for i in range(len(nodes))]
        self._block_of = [b for b, span in enumerate(self._spans) for _ in span]
        result = layout(nodes)
        reference = self._align
        if reference is not None and reference.layout_result is not None and not self.is_grouped():
            result = aligned(result, nodes, reference.layout_result, reference.nodes)
        self.layout_result, self.nodes = result, nodes
        self.marked = shortcuts(nodes) if self.highlight_shortcuts else Shortcuts(frozenset(), frozenset())
        self._draw_edges(result)
        self.miniatures = self._draw_dense(result)
        labels: list[tuple[QGraphicsSimpleTextItem, QRectF, bool]] = []
        for b, (block, node, span) in enumerate(zip(result.blocks, nodes, self._spans)):
            rect = QRectF(block.x, block.y, block.w, block.h)
            shape = "×".join(str(d) for d in node.shape[1:])
            grouped = node.layers > 1
            item = scene.addRect(rect, QPen(BORDER, 0), QBrush(self._colour(b, node)))
            item.setData(INDEX_KEY, span.start)
            if grouped:
                item.setToolTip(f"{node.name}: {node.layers} layers ({span.start}–{span.stop - 1}), output {shape}\n"
                                "Click: its first layer. ← / → step through its layers one by one.")
                labels.append((QGraphicsSimpleTextItem(node.name, item), rect, b in self.miniatures))
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
        self._show_legend()
        self.fit_height()

    def _colour(self, block: int, node: StripNode) -> QColor:
        if block in self.marked.nodes:
            return SHORTCUT_COLOUR
        return self._shown(GROUP_COLOUR if node.layers > 1 else OP_COLOURS.get(node.op, OTHER_COLOUR))

    def _shown(self, colour: QColor) -> QColor:
        """Faded two thirds towards white beside highlighted shortcuts, so they stand out."""
        if not self.highlight_shortcuts:
            return colour
        return QColor(*((2 * 255 + c) // 3 for c in (colour.red(), colour.green(), colour.blue())))

    def _draw_edges(self, result: StripLayout) -> None:
        lines, arcs, marked = QPainterPath(), QPainterPath(), QPainterPath()
        for edge in result.edges:
            a, b = result.blocks[edge.source], result.blocks[edge.target]
            path = marked if (edge.source, edge.target) in self.marked.edges else arcs if edge.arc else lines
            if edge.arc:  # skip connection: a bow above the blocks it jumps over
                x0, x1 = a.x + a.w / 2, b.x + b.w / 2
                _bow(path, x0, x1, a.y, b.y, _arc_top(result, x0, x1))
            else:
                path.moveTo(QPointF(a.x + a.w, a.y + a.h / 2))
                path.lineTo(QPointF(b.x, b.y + b.h / 2))
        self.scene().addPath(lines, QPen(EDGE_COLOUR, 0))
        self.scene().addPath(arcs, QPen(OP_COLOURS["Add"], 1.5))
        strong = QPen(SHORTCUT_COLOUR, 3.5)
        strong.setCosmetic(True)
        self.scene().addPath(marked, strong).setZValue(5)

    def _draw_dense(self, result: StripLayout) -> set[int]:
        """Dense links: bows above the blocks, or, for a link whose reader lies in a collapsed block, a bow
        inside that block from where the source's layer sits in it (its left edge if the source is outside).
        Returns the blocks that hold a miniature (their label moves up)."""
        path, inside = QPainterPath(), set()
        miniature: dict[int, QPainterPath] = {}
        # Only blocks whose own layers are read again get a miniature (a transition just reads a whole block).
        reused = {self._block_of[s] for s, r in self.dense if self._block_of[s] == self._block_of[r]}
        for source, reader in self.dense:
            a, b = self._block_of[source], self._block_of[reader]
            target = result.blocks[b]
            if len(self._spans[b]) == 1:
                if len(self._spans[a]) == 1 and a != b:
                    block = result.blocks[a]
                    x0, x1 = block.x + block.w / 2, target.x + target.w / 2
                    _bow(path, x0, x1, block.y, target.y, _arc_top(result, x0, x1))
                continue
            if b not in reused:
                continue
            inside.add(b)
            x0 = self._x_in(target, b, source) if a == b else target.x
            x1, base = self._x_in(target, b, reader), target.y + target.h - 2
            rise = (1 - MINIATURE_TOP - 0.08) * target.h * (x1 - x0) / target.w   # the whole block: the highest
            _bow(miniature.setdefault(b, QPainterPath()), x0, x1, base, base, base - rise / 0.75)
        for b, links in [(None, path)] + list(miniature.items()):
            colour = QColor(DENSE_COLOUR)
            if b is not None:  # hundreds of bows in one small block: fainter each, so the fan keeps its lines
                count = sum(self._block_of[r] == b for _, r in self.dense)
                colour.setAlpha(max(45, min(DENSE_COLOUR.alpha(), DENSE_COLOUR.alpha() * 25 // count)))
            pen = QPen(colour, 1)
            pen.setCosmetic(True)
            self.scene().addPath(links, pen).setZValue(4)
        return inside

    def _x_in(self, block: Block, index: int, row: int) -> float:
        """Where row ``row`` sits along the collapsed block ``index``."""
        span = self._spans[index]
        return block.x + block.w * (row - span.start + 0.5) / len(span)

    def legend_entries(self) -> list[tuple[str, QColor]]:
        """(name, colour) of every colour the strip shows now, in LEGEND's order, then the drawn extras."""
        ops = {n.op for n in self.nodes}
        entries = [(text, self._shown(colour)) for text, colour, members in LEGEND if ops & set(members)]
        if ops - set(OP_COLOURS) - {"Group"}:
            entries.append(("other", self._shown(OTHER_COLOUR)))
        if "Group" in ops:
            entries.append(("layer block", self._shown(GROUP_COLOUR)))
        if self.marked.edges:
            entries.append(("shortcut", SHORTCUT_COLOUR))
        if self.dense:
            entries.append(("dense link", DENSE_COLOUR))
        return entries

    def _show_legend(self) -> None:
        entries = self.legend_entries() if self.own_legend else []
        self.legend.set_entries(entries)
        self.legend.setVisible(bool(entries))
        self._place_controls()

    def fit_height(self) -> None:
        """Scale so the strip's height fills the view; wide networks scroll (and follow the current layer)."""
        rect = self.scene().sceneRect()
        if rect.height() <= 0 or self.placeholder:
            return
        if self.fit_whole:
            if self.zoomed:   # a zoom across stays, the height is fitted again (its scroll bar took some)
                self._stretch(self.transform().m11())
            else:
                self.fit_all()
            return
        # From the size without scroll bars, never the viewport's: a scale from the viewport's height brought the
        # scroll bar in, whose height made the next fit narrow enough to drop it again, and so on for ever (the
        # window froze on VGG-16 at 1459–1600 px wide and on AlexNet at 1081–1160).
        room = self.maximumViewportSize()
        scale = min((room.height() - 4) / rect.height(), 4.0)
        if rect.width() * scale > room.width() - 4:  # it scrolls: the scroll bar takes its height
            bar = self.horizontalScrollBar().sizeHint().height()
            scale = min((room.height() - bar - 4) / rect.height(), 4.0)
        self.resetTransform()
        self.scale(scale, scale)
        self._follow()

    def fit_all(self) -> None:
        """The whole scene, stretched to the view."""
        self.zoomed = False
        self._stretch((self.viewport().width() - 4) / max(self.scene().sceneRect().width(), 1.0))

    def _stretch(self, across: float) -> None:
        """``across`` pixels per scene unit sideways, the height fitted to the view (2 px margins). Qt centres a
        scene shorter than the view as if no horizontal scroll bar took any height: the scene keeps clear of it."""
        height = 2 * self.viewport().height() - self.maximumViewportSize().height() - 4
        self.setTransform(QTransform.fromScale(across, height / max(self.scene().sceneRect().height(), 1.0)))

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

    def set_height_budget(self, pixels: int | None) -> None:
        """The most height the strip should ask for (the Model Explorer gives it a share of its own), never less
        than its least: the legend then takes more columns and fewer rows. None: no limit."""
        if pixels != self._budget:
            self._budget = pixels
            self.updateGeometry()

    def _chrome(self) -> int:
        """Height the strip adds around the legend: its frame, and a scroll bar's height, which spans the whole
        width under the legend whenever the blocks scroll (kept free even when they do not, so that the legend's
        rows never depend on the scroll bar, whose presence depends on the legend's width)."""
        bar = 0 if self.fit_whole else self.horizontalScrollBar().sizeHint().height()
        return 2 * self.frameWidth() + bar

    def _place_controls(self) -> None:
        """The group toggle in a left margin, the legend in a right one: the view stays one embeddable widget."""
        frame = self.frameWidth()
        room = self.height() - self._chrome()
        hint = self.group_button.sizeHint()
        shown = self.legend.isVisibleTo(self)
        if shown:
            self.legend.fit_rows(self.legend.rows_in(room))
        legend = self.legend.sizeHint() if shown else None
        left = hint.width() + 6 if self.group_button.isVisibleTo(self) else 0
        self.setViewportMargins(left, 0, legend.width() + 4 if legend else 0, 0)
        self.group_button.setGeometry(frame + 2, (self.height() - hint.height()) // 2, hint.width(), hint.height())
        if legend:
            top = frame + max((room - legend.height()) // 2, 0)
            self.legend.setGeometry(self.width() - frame - legend.width() - 2, top, legend.width(), legend.height())

    def minimumSizeHint(self) -> QSize:  # noqa: N802 (Qt naming): room for the legend's least rows
        hint = super().minimumSizeHint()
        least = self.legend.height_for(self.legend.balanced_rows(LEAST_LEGEND_ROWS)) + self._chrome()
        return QSize(hint.width(), max(hint.height(), least))

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt naming)
        """The legend's height in two columns (at least PREFERRED_HEIGHT), within the budget, whatever the zoom.
        Never QGraphicsView's own hint, the scene's size at the current scale: fit_height scales the scene to the
        view's height, so each fit asked for more height, up to all the window could spare (a video's first frame
        left LeNet-5 a 340 px strip above four rows of the table)."""
        full = max(PREFERRED_HEIGHT, self.legend.height_for(self.legend.balanced_rows(0)) + self._chrome())
        wanted = full if self._budget is None else min(full, self._budget)
        return QSize(super().sizeHint().width(), max(wanted, self.minimumSizeHint().height()))

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._place_controls()
        self.fit_height()

    def wheelEvent(self, event) -> None:
        factor = 1.25 if event.angleDelta().y() > 0 else 0.8
        self.zoomed = True
        self.scale(factor, 1.0 if self.fit_whole else factor)   # fit_whole: across only, the height stays whole

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


def _bow(path: QPainterPath, x0: float, x1: float, y0: float, y1: float, top: float) -> None:
    """A cubic bow from (x0, y0) to (x1, y1) with both control points at height ``top`` (peaks 3/4 of the way)."""
    path.moveTo(QPointF(x0, y0))
    path.cubicTo(QPointF(x0, top), QPointF(x1, top), QPointF(x1, y1))


def _arc_top(result: StripLayout, x0: float, x1: float) -> float:
    """Control height of a bow above the blocks: longer jumps rise higher, up to ARC_RISE."""
    return -result.height / 2 - min(6 + 0.1 * (x1 - x0), ARC_RISE)


def _fit_labels(labels: list[tuple[QGraphicsSimpleTextItem, QRectF, bool]]) -> None:
    """Each group name in its block, all at one size: the largest that fits every block (≤ LABEL_MAX); centred,
    or at the top (raised) where a miniature of the block's dense links fills the lower part."""
    if not labels:
        return
    font = QFont(style.font())
    font.setPixelSize(100)  # measured large, then scaled down into scene units: crisp at any zoom
    metrics = QFontMetricsF(font)
    scale = LABEL_MAX / metrics.height()
    for label, rect, raised in labels:
        scale = min(scale, (rect.width() - 6) / metrics.horizontalAdvance(label.text()),
                    (MINIATURE_TOP if raised else 0.6) * rect.height() / metrics.height())
    for label, rect, raised in labels:
        label.setFont(font)
        label.setBrush(LABEL_COLOUR)
        label.setScale(scale)
        size = label.boundingRect().size() * scale
        top = rect.top() + 1 if raised else rect.center().y() - size.height() / 2
        label.setPos(rect.center().x() - size.width() / 2, top)
