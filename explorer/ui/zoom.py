"""Presentation zoom and the projector theme, applied to a whole window at once.

Every widget that sets its own font (``style.font``) is rescaled from the size it was created with; widgets that
inherit their font follow their parent. pyqtgraph draws its axes and titles itself, so their tick fonts, titles
and legends are rescaled item by item. The projector theme paints text and chart axes black (white on a dark
canvas) and thick.
"""
from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QGraphicsTextItem,
    QScrollArea,
    QTableView,
    QWidget,
)

from explorer.ui import style

_BASE = "cnnx_base_pt"   # Qt property / attribute holding a font's size at zoom 1


def apply(root: QWidget, zoom: float, theme: str) -> None:
    """Scale ``root`` and its children to ``zoom`` and paint them in ``theme`` ("normal" or "projector")."""
    previous = style.zoom()
    style.set_zoom(zoom)            # widgets created from now on start at this zoom
    widgets = [w for w in [root, *root.findChildren(QWidget)] if w is root or w.testAttribute(Qt.WidgetAttribute.WA_SetFont)]
    for w in widgets:               # record every base size before any parent's change reaches a child
        if w.property(_BASE) is None:
            size = (QApplication.font().pointSizeF() if w is root else w.font().pointSizeF() / previous)
            w.setProperty(_BASE, size)
    for w in widgets:
        font = w.font()
        font.setPointSizeF(max(1.0, float(w.property(_BASE)) * zoom))
        w.setFont(font)
    for kind in (QAbstractButton, QComboBox, QAbstractSpinBox):
        for control in root.findChildren(kind):
            _scale_min_height(control, zoom, previous)
    for area in root.findChildren(QScrollArea):
        _fit_scroll_width(area)
    for table in root.findChildren(QTableView):
        _scale_rows(table, zoom, previous)
    projector = theme == "projector"
    for view in root.findChildren(pg.GraphicsView):
        for item in view.scene().items():
            _scale_item(item, zoom, projector)
        view.updateGeometry()       # views that size themselves to their plot ask their layout again


def _scale_min_height(widget: QWidget, zoom: float, previous: float) -> None:
    """Buttons and boxes given a minimum height in pixels (34: a finger-sized target) keep it in proportion: in a
    column squeezed to its minimum, a zoomed combo box otherwise cut its text's lower edge off."""
    if widget.property(_BASE + "_h") is None:
        widget.setProperty(_BASE + "_h", widget.minimumHeight() / previous)
    base = float(widget.property(_BASE + "_h"))
    if base > 0 and widget.minimumHeight() != widget.maximumHeight():
        widget.setMinimumHeight(round(base * zoom))


def _scale_rows(table: QTableView, zoom: float, previous: float) -> None:
    """Row heights are fixed when a table is made (from its font then): at zoom 2 the layer table's rows overlapped.
    A table of fixed height (the kernel editor) lays its rows out itself and is left alone."""
    if table.minimumHeight() == table.maximumHeight():
        return
    header = table.verticalHeader()
    if header.property(_BASE) is None:
        header.setProperty(_BASE, header.defaultSectionSize() / previous)
    header.setDefaultSectionSize(round(float(header.property(_BASE)) * zoom))


class _KeepWidth(QObject):
    """Re-fits a column whenever its content re-lays itself out (new fonts apply a moment after they are set)."""

    def __init__(self, area: QScrollArea) -> None:
        super().__init__(area)
        self.area = area

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt naming)
        if event.type() == QEvent.Type.LayoutRequest:
            _fit_scroll_width(self.area)
        return False


def _fit_scroll_width(area: QScrollArea) -> None:
    """A column that never scrolls sideways must widen with its zoomed content, or its right edge is cut off."""
    if area.horizontalScrollBarPolicy() != Qt.ScrollBarPolicy.ScrollBarAlwaysOff or area.widget() is None:
        return
    if area.property(_BASE + "_width") is None:
        area.setProperty(_BASE + "_width", area.minimumWidth())
        area.widget().installEventFilter(_KeepWidth(area))
    needed = area.widget().minimumSizeHint().width() + area.verticalScrollBar().sizeHint().width() + 2 * area.frameWidth()
    area.setMinimumWidth(max(int(area.property(_BASE + "_width")), needed))


def _base(item: object, current: float) -> float:
    if not hasattr(item, "_" + _BASE):
        setattr(item, "_" + _BASE, current)
    return getattr(item, "_" + _BASE)


def _scale_item(item: object, zoom: float, projector: bool) -> None:
    if isinstance(item, pg.AxisItem):
        _scale_axis(item, zoom, projector)
    elif isinstance(item, pg.LabelItem) and item.text:
        size = str(item.opts.get("size") or f"{style.LABEL_PT}pt")
        base = _base(item, float(size.removesuffix("pt")) if size.endswith("pt") else style.LABEL_PT)
        if not hasattr(item, "_cnnx_color"):
            item._cnnx_color = item.opts.get("color")
        colour = _ink(item) if projector else item._cnnx_color
        # Black, but not bold: a plot title cannot wrap, and bold widened "Input 512×512 · gray" past its canvas.
        item.setText(item.text, size=f"{base * zoom:.1f}pt", **({"color": colour} if colour else {}))
    elif isinstance(item, QGraphicsTextItem) and not isinstance(item.parentItem(), (pg.LabelItem, pg.AxisItem)):
        font = item.font()
        font.setPointSizeF(_base(item, font.pointSizeF()) * zoom)
        item.setFont(font)


def _scale_axis(axis: pg.AxisItem, zoom: float, projector: bool) -> None:
    """Ticks from their own base size, the axis title from LABEL_PT (pyqtgraph's default is the 9 pt UI font);
    on the projector both are bold and black (white on a dark canvas) on a 2 px axis line."""
    tick = axis.style.get("tickFont") or QApplication.font()
    tick.setPointSizeF(_base(axis, tick.pointSizeF()) * zoom)
    tick.setBold(projector)
    axis.setTickFont(tick)
    title = axis.label.font()
    title.setPointSizeF(style.LABEL_PT * zoom)
    title.setBold(projector)
    axis.label.setFont(title)
    if not hasattr(axis, "_cnnx_pens"):
        axis._cnnx_pens = (axis.pen(), axis.textPen())
    ink = _ink(axis)
    pen, text_pen = (pg.mkPen(ink, width=2), pg.mkPen(ink)) if projector else axis._cnnx_pens
    axis.setPen(pen)
    axis.setTextPen(text_pen)      # also the title's colour (pyqtgraph copies it into the title's style)
    style.measure_axis_text(axis)
    axis._adjustSize()             # the room beside the axis follows the new title and tick text


def _ink(item: pg.GraphicsObject) -> str:
    """The projector's text colour on this item's canvas: black on the light charts, white on the black image
    views (black there made every picture's title invisible)."""
    views = item.scene().views() if item.scene() is not None else []
    dark = bool(views) and views[0].backgroundBrush().color().lightness() < 128
    return "w" if dark else "k"


DISABLED_GREY = "#8c8c8c"  # still readable on a washed-out projector, clearly not black


def palette(theme: str) -> QPalette:
    """The projector theme: pure black on white, a strong selection colour; "normal" is the platform's own."""
    if theme != "projector":
        return QApplication.style().standardPalette()
    p = QPalette()
    for role in (QPalette.ColorRole.Window, QPalette.ColorRole.Base, QPalette.ColorRole.Button):
        p.setColor(role, QColor("white"))
    for role in (QPalette.ColorRole.WindowText, QPalette.ColorRole.Text, QPalette.ColorRole.ButtonText):
        p.setColor(role, QColor("black"))
        # A control that does nothing now must look it: black in every state made them all look live.
        p.setColor(QPalette.ColorGroup.Disabled, role, QColor(DISABLED_GREY))
    p.setColor(QPalette.ColorRole.Highlight, QColor(0, 0, 160))
    p.setColor(QPalette.ColorRole.HighlightedText, QColor("white"))
    return p


# Only what a palette cannot say; no font or QWidget-wide rules (they would stop zoomed fonts being inherited).
PROJECTOR_SHEET = "QTabBar::tab:selected { background: black; color: white; }"
