"""Input and output rasters: pyqtgraph ImageItems in aspect-locked plots with the y axis pointing down.

Canvases only paint arrays they are given and report which pixel the pointer is over.
"""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QPainterPath
from PySide6.QtWidgets import QGraphicsItemGroup, QGraphicsPathItem, QGraphicsRectItem, QGraphicsSimpleTextItem

from explorer.core.render import value_text
from explorer.state.image import size_text
from explorer.ui import style
from explorer.ui.raster import RasterItem

# Short: two canvases share a 1024 px window with the controls, and a plot title cannot wrap.
_PLANE_TITLE = {"gray": "gray", "r": "R plane", "g": "G plane", "b": "B plane", "volume": "R+G+B"}


SMALL_IMAGE = 16  # sides up to this get one tick per pixel, grid lines and each cell's value printed
_TEXT_PT = 40     # cell text is laid out at this size, then scaled down into its 1×1 cell (crisp at any zoom)
GRID = QColor(128, 128, 128)


class CellValues(QGraphicsItemGroup):
    """Grid lines and one number per cell, in data coordinates: they scale with the map when it is zoomed."""

    def __init__(self) -> None:
        super().__init__()
        self.setZValue(5)   # above the image, below the unit marker
        self.lines = QGraphicsPathItem(self)
        pen = pg.mkPen(GRID, width=1)
        pen.setCosmetic(True)   # one screen pixel wide however far the map is zoomed
        self.lines.setPen(pen)
        self.texts: list[QGraphicsSimpleTextItem] = []   # the cells shown now
        self._pool: list[QGraphicsSimpleTextItem] = []   # reused: the magnifier repaints its cells on every hover
        self._font = QFont()
        self._font.setPointSize(_TEXT_PT)

    def show_values(self, texts: list[list[str]], dark: np.ndarray) -> None:
        """``texts`` row by row (one string per cell, "" for none); ``dark`` marks cells needing white text."""
        h, w = len(texts), len(texts[0]) if texts else 0
        path = QPainterPath()
        for r in range(h + 1):
            path.moveTo(0, r)
            path.lineTo(w, r)
        for c in range(w + 1):
            path.moveTo(c, 0)
            path.lineTo(c, h)
        self.lines.setPath(path)
        cells = [(r, c, t) for r, row in enumerate(texts) for c, t in enumerate(row) if t]
        while len(self._pool) < len(cells):
            item = QGraphicsSimpleTextItem(self)
            item.setFont(self._font)
            self._pool.append(item)
        self.texts = self._pool[:len(cells)]
        for item in self._pool[len(cells):]:
            item.hide()
        for item, (_, _, text) in zip(self.texts, cells):
            item.setText(text)
            item.show()
        widest = max((i.boundingRect().width() for i in self.texts), default=1.0) or 1.0
        tallest = max((i.boundingRect().height() for i in self.texts), default=1.0) or 1.0
        scale = min(0.86 / widest, 0.86 / tallest)   # one size for every cell: the longest number fits its cell
        for item, (r, c, _) in zip(self.texts, cells):
            item.setBrush(QColor(Qt.GlobalColor.white if dark[r, c] else Qt.GlobalColor.black))
            item.setScale(scale)
            rect = item.boundingRect()
            item.setPos(c + 0.5 - rect.width() * scale / 2, r + 0.5 - rect.height() * scale / 2)

    def cell_texts(self) -> list[str]:
        """What the cells say, row by row (for tests)."""
        return [item.text() for item in self.texts]


class ImageCanvas(pg.GraphicsLayoutWidget):
    """One image in a zoomable plot; emits the (row, col) under the pointer, or (-1, -1) outside."""

    hovered = Signal(int, int)
    clicked = Signal(int, int)

    def __init__(self, title: str, parent=None) -> None:
        super().__init__(parent)
        self.setBackground("w")
        self.plot: pg.PlotItem = self.addPlot()
        self.plot.setTitle(title, size=f"{style.TITLE_PT}pt", color="k")
        # Over the axes and the colour bar too, not the plot column alone: a long zoomed title then widens the
        # canvas only when it is wider than all of them (at 1024 px and zoom 1.15 it pushed the window to 1087).
        self.plot.layout.removeItem(self.plot.titleLabel)
        self.plot.layout.addItem(self.plot.titleLabel, 0, 0, 1, 6)
        self.plot.invertY(True)            # row 0 at the top, like every image viewer
        self.plot.setAspectLocked(True)
        self.plot.hideButtons()
        for name in ("left", "bottom"):
            axis = self.plot.getAxis(name)
            axis.setTickFont(style.font(11))
            axis.setTextPen("k")
        self.image = RasterItem(axisOrder="row-major")
        self.plot.addItem(self.image)
        self.values = CellValues()
        self.plot.addItem(self.values)
        self._shape: tuple[int, int] = (0, 0)
        self._title = (title, style.TITLE_PT)  # the title's text and point size now
        self.scene().sigMouseMoved.connect(self._mouse_moved)
        self.scene().sigMouseClicked.connect(self._mouse_clicked)

    def minimumSizeHint(self) -> QSize:  # noqa: N802 (Qt naming)
        """As wide as the plot's axes, title and colour bar need: a narrower view cuts the right side off (the
        colour bar's labels at 1024 px and zoom 1.15). The view does not tell its splitter this by itself."""
        hint = super().minimumSizeHint()
        plot = self.ci.effectiveSizeHint(Qt.SizeHint.MinimumSize)
        return QSize(max(hint.width(), int(plot.width()) + 2 * self.frameWidth() + 1), hint.height())

    def set_title(self, title: str) -> None:
        """A new title only: pyqtgraph lays it out again on every call and the view's width follows it, which on
        every live frame cost a layout pass of the window."""
        shown = (title, style.TITLE_PT * style.zoom())
        if shown != self._title:
            self._title = shown
            self.plot.setTitle(title, size=f"{shown[1]:.1f}pt", color="k")
            self.updateGeometry()   # a longer title may need a wider view

    def _set_shape(self, shape: tuple[int, int]) -> None:
        if shape != self._shape:  # keep the user's zoom while the size stays the same
            self._shape = shape
            self._integer_ticks(max(shape) <= SMALL_IMAGE)
            self.fit()

    def _integer_ticks(self, small: bool) -> None:
        """Tiny maps (the lecture's 3×3 output) get a tick per pixel edge, not pyqtgraph's 0.5 steps."""
        for name in ("left", "bottom"):
            axis = self.plot.getAxis(name)
            axis.setTickSpacing(1, 1) if small else axis.setTickSpacing()

    def _print_values(self, texts: list[list[str]] | None, dark: np.ndarray | None = None) -> None:
        """Each cell's value on small maps; nothing on large ones (the numbers would be unreadable)."""
        self.values.setVisible(texts is not None)
        if texts is not None:
            self.values.show_values(texts, dark)

    def fit(self, margins: tuple[int, int, int, int] = (0, 0, 0, 0)) -> None:
        """Show the whole image plus (top, bottom, left, right) pixels around it, e.g. the padding band."""
        top, bottom, left, right = margins
        h, w = self._shape
        self.plot.setRange(QRectF(-left, -top, w + left + right, h + top + bottom), padding=0.02)
        self._fit_axes()

    def _fit_axes(self) -> None:
        """New ranges bring new tick labels ("600" where "1" was): make room for them before the next paint."""
        for name in ("left", "bottom"):
            style.measure_axis_text(self.plot.getAxis(name))
        self.updateGeometry()

    def pixel_at(self, scene_pos: QPointF) -> tuple[int, int] | None:
        p = self.plot.vb.mapSceneToView(scene_pos)
        row, col = int(np.floor(p.y())), int(np.floor(p.x()))
        h, w = self._shape
        return (row, col) if 0 <= row < h and 0 <= col < w else None

    def scene_pos_of(self, row: int, col: int) -> QPointF:
        """Scene position of a pixel's centre (lets tests drive the real mouse path)."""
        return self.plot.vb.mapViewToScene(QPointF(col + 0.5, row + 0.5))

    def _mouse_moved(self, scene_pos: QPointF) -> None:
        hit = self.pixel_at(scene_pos)
        self.hovered.emit(*(hit if hit else (-1, -1)))

    def _mouse_clicked(self, event) -> None:
        hit = self.pixel_at(event.scenePos())
        if hit:
            self.clicked.emit(*hit)


class InputCanvas(ImageCanvas):
    def set_input(self, shown: np.ndarray, pixels: np.ndarray, plane: np.ndarray, mode: str) -> None:
        """Show what the kernel reads (``shown``: core's uint8 rendering, a tinted plane, the RGB image or the gray
        plane); small grids also print each pixel's value from ``plane``."""
        self.image.setImage(shown, levels=(0, 255))
        h, w = pixels.shape[:2]
        self.set_title(f"Input {size_text((h, w))} · {_PLANE_TITLE[mode]}")
        self._set_shape((h, w))
        small = max(h, w) <= SMALL_IMAGE
        self._print_values(*(input_cells(shown, plane, (0, 0, h - 1, w - 1)) if small else (None,)))


def input_cells(shown: np.ndarray, plane: np.ndarray,
                box: tuple[int, int, int, int]) -> tuple[list[list[str]], np.ndarray]:
    """The text of each input pixel in ``box`` (top, left, bottom, right, inclusive): what the kernel reads from
    ``plane`` (volume: R, G and B on three lines), and which of those cells are dark in ``shown`` (core's uint8
    rendering on screen), so they get white text."""
    top, left, bottom, right = box
    values = plane if plane.ndim == 3 else plane[..., None]
    texts = [["\n".join(value_text(v) for v in values[r, c]) for c in range(left, right + 1)]
             for r in range(top, bottom + 1)]
    cells = shown[top:bottom + 1, left:right + 1]
    return texts, (cells.mean(axis=2) if cells.ndim == 3 else cells) < 128


class OutputCanvas(ImageCanvas):
    """Signed values on a diverging colormap centred on 0, with a colour bar and a marker for one unit."""

    def __init__(self, title: str, parent=None) -> None:
        super().__init__(title, parent)
        self.colorbar = pg.ColorBarItem(colorMap=style.DIVERGING, interactive=False, width=18)
        # Beside the plot but not linked to the image: a linked bar pushes its ±limit levels onto the image, which
        # turned core's ready 0–255 colours grey. The image gets the same map and levels itself.
        self.plot.layout.addItem(self.colorbar, 2, 5)
        self.plot.layout.setColumnFixedWidth(4, 5)
        self.image.setColorMap(style.DIVERGING)
        axis = self.colorbar.getAxis("right")
        axis.setTickFont(style.font(11))
        axis.setTextPen("k")
        axis.setStyle(autoExpandTextSpace=True)  # room for 6-digit values of big kernels
        axis.setWidth(None)
        # Grey only under the map (unrevealed units are NaN and let it show), not as a frame around it.
        self.not_yet = QGraphicsRectItem()
        self.not_yet.setBrush(pg.mkBrush(style.NOT_YET))
        self.not_yet.setPen(pg.mkPen(None))
        self.not_yet.setZValue(-10)
        self.plot.addItem(self.not_yet)
        self.marker = QGraphicsRectItem()
        self.marker.setPen(pg.mkPen(style.HIGHLIGHT, width=3))
        self.marker.setZValue(10)
        self.marker.hide()
        self.plot.addItem(self.marker)
        self._bar_ticks: tuple[str, ...] = ()  # the colour bar's labels when its text was last measured

    def set_map(self, values: np.ndarray, revealed: int | None = None, rgb: np.ndarray | None = None,
                limit: float | None = None) -> None:
        """Paint ``values`` (core's ready ``rgb`` colouring on the ±``limit`` scale when given); with ``revealed`` only
        the first n units in row-major order, the rest blank. The scale is the whole map's, so colours don't shift
        while revealing."""
        levels = style.symmetric_levels(values) if limit is None else (-limit, limit)
        shown = values
        if revealed is not None:
            shown = np.full(values.shape, np.nan, np.float32)
            shown.flat[:revealed] = values.flat[:revealed]
        self.colorbar.setLevels(levels)
        axis = self.colorbar.getAxis("right")
        ticks = style.tick_texts(axis)
        if ticks != self._bar_ticks:  # new labels may need room; a video's next frame mostly keeps the same ones
            self._bar_ticks = ticks
            style.measure_axis_text(axis)
            self.updateGeometry()
        if revealed is None and rgb is not None:
            self.image.setImage(rgb, levels=(0, 255))
        else:
            self.image.setImage(shown, levels=levels)
        self.not_yet.setRect(QRectF(0, 0, values.shape[1], values.shape[0]))
        self._set_shape(values.shape)
        if max(values.shape) > SMALL_IMAGE:
            self._print_values(None)
            return
        texts = [["" if np.isnan(v) else value_text(float(v)) for v in row] for row in shown]
        # Saturated ends of the diverging map are dark: white text there, black near 0 (white cells).
        self._print_values(texts, np.abs(np.nan_to_num(shown)) > 0.55 * levels[1])

    def mark(self, row: int, col: int) -> None:
        if row < 0:
            self.marker.hide()
            return
        self.marker.setRect(QRectF(col, row, 1, 1))
        self.marker.show()
