"""Shared look for every view: projector-sized fonts, sign colours and the colormaps.

Kept small on purpose: views import constants and a few helpers from here so the whole app agrees.
"""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtGui import QColor, QFont, QImage, QPainter
from PySide6.QtWidgets import QWidget

from explorer.core import render

LABEL_PT = 12      # smallest text anywhere: readable from the back of a lecture room
FORMULA_PT = 17    # the formula is the thing the class reads aloud
TITLE_PT = 14

POSITIVE = QColor(192, 2, 6)     # same hues as the ends of DIVERGING, so cell tints match the maps
NEGATIVE = QColor(33, 81, 219)
ERROR = QColor(200, 0, 0)
TAP = QColor(255, 200, 0)          # taps inside the image (outline; the fill is translucent so the pixel shows)
TAP_FILL = QColor(255, 200, 0, 90)
TAP_PADDING = QColor(255, 0, 200)  # taps that read a zero from the padding band
PADDING_BAND = QColor(255, 0, 200, 55)
HIGHLIGHT = QColor(0, 230, 120)
NOT_YET = QColor(150, 150, 150)    # behind output units the animation has not reached: unlike 0 (white)

# Blue–white–red, perceptually uniform (CET-D1); white is exactly 0 when levels are symmetric.
# Built from core's tables so the window, its PNG export and the CLI's PNGs share one set of colours.
DIVERGING = pg.ColorMap(np.linspace(0.0, 1.0, 256), render.DIVERGING_LUT)
SEQUENTIAL = pg.ColorMap(np.linspace(0.0, 1.0, 256), render.SEQUENTIAL_LUT)


_zoom = 1.0   # presentation zoom (ui/zoom.py); fonts made from now on start at it


def zoom() -> float:
    return _zoom


def set_zoom(factor: float) -> None:
    global _zoom
    _zoom = factor


def font(pt: int = LABEL_PT, bold: bool = False, mono: bool = False) -> QFont:
    f = QFont()  # the platform's UI font; only the size (and monospace for number grids) is ours
    if mono:
        f.setFamilies(["DejaVu Sans Mono", "Consolas", "Menlo", "monospace"])
        f.setStyleHint(QFont.StyleHint.Monospace)
    f.setPointSizeF(pt * _zoom)
    f.setBold(bold)
    return f


def symmetric_levels(values: np.ndarray) -> tuple[float, float]:
    """±max|v| (core's limit) so that zero sits on the colormap's neutral centre."""
    limit = render.symmetric_limit(values)
    return -limit, limit


def sign_tint(value: float, scale: float) -> QColor:
    """Cell background for a signed number: pale for small |v|, saturated toward ±scale."""
    base = POSITIVE if value > 0 else NEGATIVE
    a = 0 if scale <= 0 else int(170 * min(abs(value) / scale, 1.0))
    return QColor(base.red(), base.green(), base.blue(), a)


def measure_axis_text(axis: pg.AxisItem) -> None:
    """Size an axis for its tick text in its font now (after a new font or range). pyqtgraph otherwise learns the
    size while painting, skips every label wider than the old room and keeps that picture (after a zoom the left
    axes showed only "0")."""
    image = QImage(1, 1, QImage.Format.Format_ARGB32)
    painter = QPainter(image)
    try:
        painter.setFont(axis.style["tickFont"] or painter.font())
        axis.generateDrawSpecs(painter)
    finally:
        painter.end()
    axis.picture = None


def tick_texts(axis: pg.AxisItem) -> tuple[str, ...]:
    """The labels the axis would draw for its range now, without laying any text out: what its width depends on."""
    low, high = sorted(axis.range)
    box = axis.geometry()
    length = box.height() if axis.orientation in ("left", "right") else box.width()
    scale = axis.autoSIPrefixScale * axis.scale
    return tuple(text for spacing, values in axis.tickValues(low, high, max(length, 1.0))
                 for text in axis.tickStrings(values, scale, spacing))


def restyle(widget: QWidget, sheet: str) -> None:
    """Set a style sheet unless it is already set: setting one re-polishes and lays out the widget even when it is
    the same, which on every live frame costs a layout pass of the window."""
    if widget.styleSheet() != sheet:
        widget.setStyleSheet(sheet)
