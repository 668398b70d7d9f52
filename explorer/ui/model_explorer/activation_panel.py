"""One layer's activations: all channels as ONE mosaic image (core.mosaic), or bars for a vector; a clicked
channel shown large beside the input image, where a hovered/clicked unit's receptive field is drawn.

The receptive field comes from core.receptive_field.back_project on the model-input grid; the input is shown
as the model sees it (Prepared.resized_rgb), so one model-input pixel is one displayed pixel.

The panel only paints what it is given and reports clicks, hovers, the colour scale and the sort as intent
signals; the view writes them into the ExplorerState and calls back here, so the panel never keeps a choice.
"""
from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QGraphicsRectItem,
    QHBoxLayout,
    QLabel,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from explorer.core import mosaic as core_mosaic
from explorer.core import render
from explorer.core.erf import EffectiveField
from explorer.core.explain import unit_heat
from explorer.core.layer_picture import LayerPicture
from explorer.core.preprocess import Prepared
from explorer.core.receptive_field import Region, back_project
from explorer.ui import style
from explorer.ui.readout_line import ReadoutLine
from explorer.ui.raster import RasterItem
from explorer.ui.model_explorer.rows import Row

RF_COLOUR = QColor(0, 230, 120)
UNIT_COLOUR = QColor(0, 230, 120)
MOSAIC_TITLE = "All channels (click one)"
HINT = "Hover over or click a unit of the channel to see its receptive field."
# The input and channel plots keep their titles while each has at least this many lines of text of height: on a
# 720 px projector at zoom 1.5 the view is ~115 px, and the two titles took half of it.
TITLE_LINES_PER_PICTURE = 5
TITLE_MARGIN_PX = 20  # a plot's own margins around its title
ASPECT_STEP = 1.05    # the mosaic's box shape is told in steps of 5 %
STATS_AT_ONCE = 250_000  # a vector's statistics (~5 ms) come with its bars up to this size, a longer one's just after


def range_still_fits(values: tuple[float, float], shown: tuple[float, float]) -> bool:
    """The shown value axis still suits these values: it holds them all and they fill at least half of it."""
    (low, high), (shown_low, shown_high) = values, shown
    return shown_low <= low and high <= shown_high and (high - low) >= 0.5 * (shown_high - shown_low)


def stats_text(s: core_mosaic.LayerStats) -> str:
    return f"min {s.min:.3g}   max {s.max:.3g}   mean {s.mean:.3g}   zeros {s.zero_fraction:.0%}"


def box_rect(box: tuple[int, int, int, int]) -> QRectF:
    """Inclusive (top, left, bottom, right) pixel box -> scene rect (pixel (r, c) covers [c, c+1) × [r, r+1))."""
    top, left, bottom, right = box
    return QRectF(left, top, right - left + 1, bottom - top + 1)


def set_title(plot: pg.PlotItem, text: str) -> None:
    """A new title only: pyqtgraph lays the text out again on every call (~3 ms), and live video repaints the panel
    on every frame. A hidden title (a short view) keeps its new text for when it is shown again."""
    if plot.titleLabel.text != text:
        if plot.titleLabel.isVisible():
            plot.setTitle(text)
        else:
            plot.titleLabel.setText(text)


def _image_box(title: str) -> tuple[pg.PlotItem, RasterItem]:
    plot = pg.PlotItem(title=title)
    plot.hideAxis("left")
    plot.hideAxis("bottom")
    plot.setMenuEnabled(False)
    plot.hideButtons()
    plot.getViewBox().invertY(True)
    plot.getViewBox().setAspectLocked(True)
    plot.titleLabel.item.setFont(style.font(style.LABEL_PT, bold=True))
    item = RasterItem()
    plot.addItem(item)
    return plot, item


class ActivationPanel(QWidget):
    channel_clicked = Signal(int)
    unit_pointed = Signal(int, int)     # hovered or clicked unit (y, x) of the shown channel
    normalize_chosen = Signal(str)      # "channel" | "layer"
    sort_chosen = Signal(bool)
    effective_chosen = Signal(bool)     # draw the measured effective field of the clicked unit
    mosaic_aspect_changed = Signal(float)  # the mosaic's box, width / height, in steps of ASPECT_STEP

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        # What is on screen (painted from the state, used for hit-testing; never read back to compute).
        self.row: Row | None = None
        self.values: np.ndarray | None = None
        self.prepared: Prepared | None = None
        self.mosaic: core_mosaic.Mosaic | None = None
        self.channel: int | None = None
        self.unit: tuple[int, int] | None = None
        self.region: Region | None = None
        self.field: EffectiveField | None = None   # the measured field drawn (only when it is the shown unit's)
        self._field_note = ""                      # its progress, or why there is none
        self._rf_base = HINT                       # the theoretical field's sentence
        self._fitted: dict[pg.PlotItem, QRectF] = {}  # the area each plot was last fitted to

        self.normalize = QComboBox()
        self.normalize.addItem("each channel", "channel")
        self.normalize.addItem("whole layer", "layer")
        self.normalize.setToolTip("Colour scale per channel (shows patterns) or one for the layer (shows strength).")
        self.sort = QCheckBox("Sort by mean activation")
        self.effective = QCheckBox("effective field")
        self.effective.setToolTip("Measure which pixels really change the clicked unit (Luo et al. 2016) and draw "
                                  "it inside its theoretical receptive field.")
        self.stats = ReadoutLine()  # new numbers on every live frame: they must not lay the window out again
        for w in (self.normalize, self.sort, self.effective, self.stats):
            w.setFont(style.font(style.LABEL_PT))
        controls = QHBoxLayout()
        scale_label = QLabel("Colour scale:")
        scale_label.setFont(style.font(style.LABEL_PT))
        controls.addWidget(scale_label)
        controls.addWidget(self.normalize)
        controls.addWidget(self.sort)
        controls.addWidget(self.effective)
        controls.addStretch(1)

        self.mosaic_view = pg.GraphicsLayoutWidget()
        self.mosaic_plot, self.mosaic_item = _image_box(MOSAIC_TITLE)
        self._mosaic_titles = (MOSAIC_TITLE, MOSAIC_TITLE)  # (full, short): the short one when the full is too wide
        self.mosaic_view.addItem(self.mosaic_plot)
        self.mosaic_marker = QGraphicsRectItem()
        self.mosaic_marker.setPen(pg.mkPen(UNIT_COLOUR, width=3, cosmetic=True))
        self.mosaic_plot.addItem(self.mosaic_marker)
        self.bars_view = pg.PlotWidget()
        self.bars_view.setMenuEnabled(False)
        self.bars = pg.BarGraphItem(x=[0], height=[0], width=1.0, brush=pg.mkBrush(52, 120, 200), pen=None)
        self.bars_view.addItem(self.bars)
        for axis in ("left", "bottom"):
            self.bars_view.getAxis(axis).setTickFont(style.font(style.LABEL_PT))
            self.bars_view.getAxis(axis).label.setFont(style.font(style.LABEL_PT))
        self.bars_view.setLabel("bottom", "output index")
        self.stack = QStackedWidget()
        self.stack.addWidget(self.mosaic_view)
        self.stack.addWidget(self.bars_view)

        self.detail_view = pg.GraphicsLayoutWidget()
        self.input_plot, self.input_item = _image_box("Input as the model sees it")
        self.channel_plot, self.channel_item = _image_box("Channel")
        self.detail_view.addItem(self.input_plot, row=0, col=0)
        self.detail_view.addItem(self.channel_plot, row=1, col=0)
        self.side_by_side = False  # the channel beside the input (a wide view) or under it (a tall one)
        self.rf_clipped = QGraphicsRectItem()
        self.rf_clipped.setPen(pg.mkPen(RF_COLOUR, width=3, cosmetic=True))
        self.rf_full = QGraphicsRectItem()
        dashed = pg.mkPen(QColor(255, 0, 200), width=2, cosmetic=True)
        dashed.setStyle(Qt.PenStyle.DashLine)
        self.rf_full.setPen(dashed)
        self.unit_marker = QGraphicsRectItem()
        self.unit_marker.setPen(pg.mkPen(UNIT_COLOUR, width=2, cosmetic=True))
        self.field_item = RasterItem()  # the measured field, transparent where the unit does not care
        self.field_item.setZValue(8)
        self.field_item.hide()
        self.input_plot.addItem(self.field_item)
        for plot, item in ((self.input_plot, self.rf_full), (self.input_plot, self.rf_clipped),
                           (self.channel_plot, self.unit_marker)):
            item.setZValue(10)
            item.hide()
            plot.addItem(item)
        self.rf_text = QLabel(HINT)
        self.rf_text.setFont(style.font(style.LABEL_PT))
        self.rf_text.setWordWrap(True)
        self.rf_text.setMinimumHeight(3 * self.rf_text.fontMetrics().lineSpacing() + 6)
        self.rf_text.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)

        detail = QWidget()
        detail_box = QVBoxLayout(detail)
        detail_box.setContentsMargins(0, 0, 0, 0)
        detail_box.addWidget(self.detail_view, 1)
        detail_box.addWidget(self.rf_text)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(self.stack)
        split.addWidget(detail)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        box = QVBoxLayout(self)
        box.setContentsMargins(0, 0, 0, 0)
        box.addLayout(controls)
        box.addWidget(self.stats)   # a line of its own: beside the controls it was cut to "min … ma" at 1280×720
        box.addWidget(split, 1)

        self.normalize.activated.connect(lambda i: self.normalize_chosen.emit(self.normalize.itemData(i)))
        self.sort.clicked.connect(self.sort_chosen)
        self.effective.clicked.connect(self.effective_chosen)
        self.mosaic_view.scene().sigMouseClicked.connect(self._mosaic_clicked)
        self.mosaic_plot.vb.sigResized.connect(self._mosaic_resized)
        self.detail_view.scene().sigMouseClicked.connect(self._detail_clicked)
        self.detail_view.installEventFilter(self)  # its shape decides where its plots go and if they keep titles
        self.detail_view.scene().sigMouseMoved.connect(self._detail_hovered)

    # ----- painting what the view hands over -----------------------------------------------------------------
    def show_layer(self, row: Row, values: np.ndarray | None, prepared: Prepared, normalize: str, sort: bool,
                   channel: int | None, unit: tuple[int, int] | None, picture: LayerPicture | None = None) -> None:
        """One row's tensor (C,H,W) as its mosaic ``picture`` (core.layer_picture, made by the view), or a vector
        as bars (``picture`` None); the chosen channel and unit within it."""
        self.normalize.setCurrentIndex(self.normalize.findData(normalize))
        self.sort.setChecked(sort)
        if prepared is not self.prepared:
            self.prepared = prepared
            self.input_item.setImage(prepared.resized_rgb, autoLevels=False, levels=(0, 255))
        new_frame = row is self.row  # the same layer again: the next frame of a live video
        self.row, self.values = row, values
        if values is None:
            self._clear_maps()
            self.stats.setText("no values for this layer")
            return
        self._frame_input()
        if picture is not None:
            self._show_mosaic(picture, values.shape)
            self._show_stats(picture.stats, new_frame)
            self.show_channel(channel, unit)
        else:
            self._show_stats(None, new_frame)
            self._show_bars(values.reshape(-1), sort, keep_range=new_frame)

    def show_channel(self, channel: int | None, unit: tuple[int, int] | None) -> None:
        """Show ``channel`` large (the first in mosaic order when None or absent from this layer)."""
        if self.mosaic is None or self.values is None:
            return
        self.channel = channel if channel in self.mosaic.order else self.mosaic.order[0]
        plane = self.values[self.channel]
        lo, hi = float(plane.min()), float(plane.max())
        self.channel_item.setImage(render.unit_to_rgb32((plane - lo) / (hi - lo if hi > lo else 1.0)),
                                   autoLevels=False)
        self._set_detail_title(self.channel_plot, f"Channel {self.channel}  ({plane.shape[0]}×{plane.shape[1]})")
        self._fit(self.channel_plot, QRectF(0, 0, plane.shape[1], plane.shape[0]))
        y, x = self.mosaic.tile_origin(self.channel)
        th, tw = self.mosaic.tile
        self.mosaic_marker.setRect(QRectF(x - 0.5, y - 0.5, tw + 1, th + 1))
        self.mosaic_marker.show()
        self.show_unit(unit)

    def show_unit(self, unit: tuple[int, int] | None) -> None:
        """Mark the unit (the map's centre when None or outside it) and draw its receptive field on the input."""
        if self.row is None or self.prepared is None or self.channel is None or self.values is None:
            return
        h, w = self.values.shape[1:]
        y, x = unit if unit is not None and 0 <= unit[0] < h and 0 <= unit[1] < w else (h // 2, w // 2)
        self.unit = (y, x)
        self.unit_marker.setRect(QRectF(x, y, 1, 1))
        self.unit_marker.show()
        rf = self.row.rf
        if rf is None:
            self.region = None
            self.rf_clipped.hide()
            self.rf_full.hide()
            self._set_rf_text(f"Unit ({y}, {x}) sees the whole input (a global layer came before it).")
            return
        self.region = back_project(rf, y, x, self.prepared.resized_rgb.shape[:2])
        if self.region.clipped is not None:
            self.rf_clipped.setRect(box_rect(self.region.clipped))
            self.rf_clipped.show()
        else:
            self.rf_clipped.hide()
        # The dashed outline is the full theoretical field; the part outside the image reads zero padding.
        self.rf_full.setRect(box_rect(self.region.box))
        self.rf_full.setVisible(self.region.in_padding)
        (fh, fw), (sh, sw), (ph, pw) = rf.size, rf.stride, rf.padding
        pair = lambda a, b: f"{a}" if a == b else f"{a}×{b}"
        text = (f"Unit ({y}, {x}) of channel {self.channel} sees {fh}×{fw} input pixels: stride {pair(sh, sw)}, "
                f"padding {pair(ph, pw)}.")
        if self.region.in_padding:
            text += " Dashed: the part that falls in the zero padding."
        if rf.mixed_strides:
            text += " (Branches with different strides: the union is shown.)"
        self._set_rf_text(text)

    def show_field(self, field: EffectiveField | None, note: str) -> None:
        """The measured effective field (core.erf) of a unit, or a note (progress, why there is none)."""
        self.field, self._field_note = field, note
        self._paint_field()

    def _paint_field(self) -> None:
        field = self.field
        shown = (field is not None and self.row is not None and self.unit is not None
                 and field.layer == self.row.tensor and field.unit == (self.channel, *self.unit))
        self.field_item.setVisible(shown)
        if not shown:
            self.rf_text.setText(f"{self._rf_base} {self._field_note}".strip())
            return
        top, left, bottom, right = field.box
        heat = unit_heat(field.magnitude[top:bottom + 1, left:right + 1])
        rgba = np.dstack([render.unit_to_rgb(heat), (heat * 255).astype(np.uint8)])
        self.field_item.setImage(rgba, autoLevels=False, levels=(0, 255))
        self.field_item.setRect(box_rect(field.box))
        blocks = f", in {field.block}×{field.block} blocks" if field.block > 1 else ""
        self.rf_text.setText(f"{self._rf_base} Effective field (measured around this image{blocks}): 90 % of the "
                             f"unit's response comes from {field.fraction90 * 100:.0f} % of the theoretical "
                             "field's pixels.")

    def _set_rf_text(self, text: str) -> None:
        self._rf_base = text
        self._paint_field()

    def clear(self) -> None:
        """Nothing to show (another model or image is on its way)."""
        self.row = self.values = self.prepared = None
        self.input_item.clear()
        self._clear_maps()
        self.stack.setCurrentWidget(self.mosaic_view)
        self._set_mosaic_title(MOSAIC_TITLE, MOSAIC_TITLE)
        self.stats.clear()

    def _clear_maps(self, text: str = HINT) -> None:
        self.mosaic = self.channel = self.unit = self.region = None
        self.mosaic_item.clear()
        self.channel_item.clear()
        self._set_detail_title(self.channel_plot, "Channel")
        self._set_rf_text(text)
        for item in (self.rf_clipped, self.rf_full, self.unit_marker, self.mosaic_marker, self.field_item):
            item.hide()

    def _fit(self, plot: pg.PlotItem, area: QRectF) -> None:
        """Show ``area`` in the plot unless it was the last area fitted: a live video's frames of one layer keep
        their shapes, and a new range on every frame cost ~0.5 ms and undid any zoom the user made."""
        if self._fitted.get(plot) != area:
            self._fitted[plot] = area
            plot.getViewBox().setRange(area, padding=0.01)

    def _frame_input(self) -> None:
        """Show the input plus the zero-padding band the current layer's fields reach into (at most half the
        image on each side), so the dashed part of a field is visible; fixed per layer, not per hovered unit."""
        h, w = self.prepared.resized_rgb.shape[:2]
        top = left = 0
        bottom, right = h - 1, w - 1
        if self.row.rf is not None and self.values.ndim == 3:
            first = back_project(self.row.rf, 0, 0, (h, w)).box
            last = back_project(self.row.rf, self.values.shape[1] - 1, self.values.shape[2] - 1, (h, w)).box
            top, left = max(min(first[0], 0), -h // 2), max(min(first[1], 0), -w // 2)
            bottom, right = min(max(last[2], h - 1), h - 1 + h // 2), min(max(last[3], w - 1), w - 1 + w // 2)
        self._fit(self.input_plot, box_rect((top, left, bottom, right)))

    def _show_stats(self, stats: core_mosaic.LayerStats | None, new_frame: bool) -> None:
        if stats is None and self.values.size <= STATS_AT_ONCE:
            stats = core_mosaic.layer_stats(self.values)
        if stats is not None:
            self.stats.setText(stats_text(stats))
            return
        # Statistics of a 3-million-value layer take ~60 ms: paint the activations first, add the numbers next.
        # A new frame of the same layer keeps the last frame's numbers until then (no flicker).
        if not new_frame:
            self.stats.setText("min …   max …   mean …   zeros …")
        QTimer.singleShot(0, self, self._show_late_stats)

    def _show_late_stats(self) -> None:
        if self.values is not None:
            self.stats.setText(stats_text(core_mosaic.layer_stats(self.values)))

    def _show_mosaic(self, picture: LayerPicture, shape: tuple[int, ...]) -> None:
        self.stack.setCurrentWidget(self.mosaic_view)
        self.mosaic = picture.mosaic
        self.mosaic_item.setImage(picture.pixels, autoLevels=False)
        h, w = self.mosaic.image.shape
        self._set_mosaic_title(f"All {shape[0]} channels, {shape[1]}×{shape[2]} each (click one)",
                               f"{shape[0]} channels, {shape[1]}×{shape[2]}")
        self._fit(self.mosaic_plot, QRectF(0, 0, w, h))

    def _show_bars(self, vector: np.ndarray, sort: bool, keep_range: bool) -> None:
        """``keep_range``: a new frame of the layer shown, whose axis stays put while the values fit it well (a
        new range on every frame would redraw the ticks each time, and make the bars hard to compare)."""
        self.stack.setCurrentWidget(self.bars_view)
        self._clear_maps(f"{self.row.name}: {vector.size} values; every one sees the whole input.")
        heights = np.sort(vector)[::-1] if sort else vector
        # A line of touching bars for big vectors (4096 values); gaps between bars only when they are few.
        self.bars.setOpts(x=np.arange(heights.size), height=heights, width=1.0 if heights.size > 64 else 0.8)
        label = "rank (sorted)" if sort else "output index"
        if self.bars_view.getAxis("bottom").labelText != label:  # as for titles: a relayout each time
            self.bars_view.setLabel("bottom", label)
        low, high = min(float(heights.min()), 0.0), max(float(heights.max()), 0.0)
        _, (shown_low, shown_high) = self.bars_view.viewRange()
        if not (keep_range and range_still_fits((low, high), (shown_low, shown_high))):
            self.bars_view.autoRange()

    def _set_mosaic_title(self, full: str, short: str) -> None:
        if (full, short) != self._mosaic_titles:  # the same layer's next live frame: nothing to do
            self._mosaic_titles = (full, short)
            self._fit_mosaic_title()

    def _fit_mosaic_title(self) -> None:
        """The full title when it fits the view's width, else the short one: a wider title was cut off at the
        view's right edge ("…(click one" at 1280×720, zoom 1.5). The full title's width is scaled from the one
        shown, which pyqtgraph has laid out already (laying out the other to measure it would cost ~3 ms)."""
        full, short = self._mosaic_titles
        label = self.mosaic_plot.titleLabel
        width = label.item.boundingRect().width() * len(full) / max(len(label.text), 1)
        set_title(self.mosaic_plot, full if width <= self.mosaic_view.width() - TITLE_MARGIN_PX else short)

    def _mosaic_resized(self) -> None:
        """The box's shape, rounded to a step so a window being dragged does not lay the mosaic out at every pixel;
        the state keeps it (the live runs lay their mosaics out for it too) and the view shows the layer again."""
        self._fit_mosaic_title()
        box = self.mosaic_plot.vb.size()
        if box.width() > 0 and box.height() > 0:
            steps = round(math.log(box.width() / box.height()) / math.log(ASPECT_STEP))
            self.mosaic_aspect_changed.emit(ASPECT_STEP ** steps)

    def eventFilter(self, watched, event) -> bool:  # noqa: N802 (Qt naming)
        if watched is self.detail_view and event.type() == QEvent.Type.Resize:
            self._arrange_detail()
            self._fit_detail_titles()
        return super().eventFilter(watched, event)

    def _arrange_detail(self) -> None:
        """Two square-ish pictures: side by side in a wide view, one above the other in a tall one, whichever
        gives each the larger square (a wide video frame on a 720 px projector: twice the side)."""
        beside = self.detail_view.width() > self.detail_view.height()
        if beside == self.side_by_side:
            return
        self.side_by_side = beside
        grid = self.detail_view.ci
        grid.removeItem(self.channel_plot)
        grid.addItem(self.channel_plot, row=0 if beside else 1, col=1 if beside else 0)
        for index in (0, 1):  # the two share the room equally, and the emptied row or column takes none
            grid.layout.setColumnStretchFactor(index, 1 if beside or index == 0 else 0)
            grid.layout.setRowStretchFactor(index, 1 if not beside or index == 0 else 0)

    def _set_detail_title(self, plot: pg.PlotItem, text: str) -> None:
        if plot.titleLabel.text != text:
            set_title(plot, text)
            self._fit_detail_titles()  # a longer title may no longer fit beside the other picture

    def _fit_detail_titles(self) -> None:
        """Titles while each picture has the height of TITLE_LINES_PER_PICTURE lines and the width of its title;
        else hidden, their text in the view's tooltip. A title, shown or not, never widens its picture's column
        (pyqtgraph makes its text's width the plot's least): side by side, "Input as the model sees it" took two
        thirds of the width. A maximum bounds that least."""
        rows, columns = (1, 2) if self.side_by_side else (2, 1)
        line = self.fontMetrics().lineSpacing()
        tall = self.detail_view.height() / rows >= TITLE_LINES_PER_PICTURE * line
        column = self.detail_view.width() / columns - TITLE_MARGIN_PX
        plots = (self.input_plot, self.channel_plot)
        shown = tall and all(plot.titleLabel.item.boundingRect().width() <= column for plot in plots)
        for plot in plots:
            plot.titleLabel.setMaximumWidth(max(column, 0) if shown else 0)
            if plot.titleLabel.isVisible() != shown:
                plot.setTitle(plot.titleLabel.text if shown else None)
        self.detail_view.setToolTip("" if shown else "\n".join(plot.titleLabel.text for plot in plots))

    # ----- mouse: intent only ----------------------------------------------------------------------------------
    def _mosaic_clicked(self, event) -> None:
        if self.mosaic is None:
            return
        pos = self.mosaic_item.mapFromScene(event.scenePos())
        channel = self.mosaic.channel_at(int(np.floor(pos.y())), int(np.floor(pos.x())))
        if channel is not None:
            self.channel_clicked.emit(channel)

    def _unit_at(self, scene_pos) -> tuple[int, int] | None:
        if self.values is None or self.channel is None:
            return None
        pos = self.channel_item.mapFromScene(scene_pos)
        y, x = int(np.floor(pos.y())), int(np.floor(pos.x()))
        h, w = self.values.shape[1:]
        return (y, x) if 0 <= y < h and 0 <= x < w else None

    def _detail_hovered(self, scene_pos) -> None:
        unit = self._unit_at(scene_pos)
        if unit is not None and unit != self.unit:
            self.unit_pointed.emit(*unit)

    def _detail_clicked(self, event) -> None:
        unit = self._unit_at(event.scenePos())
        if unit is not None:  # a click chooses the unit and the channel it belongs to (shown by default till now)
            self.channel_clicked.emit(self.channel)
            self.unit_pointed.emit(*unit)
