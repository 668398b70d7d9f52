"""The hovered unit's window blown up, as an inset over the input canvas.

On a 512×512 photo an output unit's f×f window is a few screen pixels wide; the inset shows the same rendering of
the input zoomed to that window (the unit's box from core), the kernel taps and, up to 16×16, each pixel's value.
It sits in the corner of the input's plot area farthest from the window, so it never covers what it magnifies.
"""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import QEvent, QObject, QRectF

from explorer.core.conv import UnitReceptiveField, resolve_padding
from explorer.state.playground import Outcome
from explorer.ui.playground.canvases import SMALL_IMAGE, ImageCanvas, input_cells
from explorer.ui.playground.tap_overlay import TapOverlay

SHARE = 0.6      # of the shorter side of the input's plot area
MIN_SIDE = 150   # px: below this the printed values are too small to read


class Magnifier(ImageCanvas):
    def __init__(self, over: ImageCanvas) -> None:
        super().__init__("Window", over)
        self.taps = TapOverlay(self.plot)
        self.plot.setMouseEnabled(False, False)   # for looking at, not for navigating
        self.values.setZValue(8)                  # the numbers over the tap marks: reading them is the point here
        for name in ("left", "bottom"):
            self.plot.hideAxis(name)              # the inset is small; the input canvas beside it has the axes
        self.setStyleSheet("border: 2px solid black;")
        self._box: tuple[int, int, int, int] | None = None
        over.installEventFilter(self)
        self.hide()

    def show_field(self, outcome: Outcome, unit: tuple[int, int], field: UnitReceptiveField) -> None:
        """Zoom to ``field.box`` of the input ``outcome`` was computed from, marking ``field``'s taps."""
        plane, params = outcome.result.plane, outcome.settings.params
        h, w = outcome.image.pixels.shape[:2]
        self._set_shape((h, w))
        top, left, bottom, right = self._box = field.box
        clipped = field.clipped_box
        if clipped is None:   # the window lies wholly in the padding
            self.image.clear()
        else:                 # only the window's pixels: a whole 12-megapixel frame would be uploaded per hover
            ct, cl, cb, cr = clipped
            self.image.setImage(outcome.input_rgb[ct:cb + 1, cl:cr + 1], levels=(0, 255))
            self.image.setRect(QRectF(cl, ct, cr - cl + 1, cb - ct + 1))
        self.taps.set_padding((h, w), resolve_padding(h, params), resolve_padding(w, params))
        self.taps.show_taps(field.taps, field.in_padding, field.box)
        self.set_title(f"{bottom - top + 1}×{right - left + 1} window")
        self.setToolTip(f"Output unit [{unit[0]}, {unit[1]}] reads input rows {top}–{bottom}, columns {left}–{right} "
                        "(key Z switches the magnifier off and on).")
        self._place()     # before the range: a resize after it would shift the aspect-locked view
        self.plot.setRange(QRectF(left, top, right - left + 1, bottom - top + 1), padding=0.04)
        if clipped is None or max(bottom - top, right - left) >= SMALL_IMAGE:
            self._print_values(None)
        else:   # padding cells print nothing: their taps are marked as reading the zero padding
            self._print_values(*input_cells(outcome.input_rgb, plane, clipped))
            self.values.setPos(clipped[1], clipped[0])
        self.show()
        self.raise_()

    def shown_box(self) -> tuple[int, int, int, int] | None:
        """(top, left, bottom, right) of the window on show, for tests; None when hidden."""
        return self._box if self.isVisible() else None

    def hide_field(self) -> None:
        self._box = None
        self.taps.clear()
        self.hide()

    def _place(self) -> None:
        """In the corner of the input's plot area (below its title, beside its axes) opposite the window."""
        over = self.parentWidget()
        area = over.mapFromScene(over.plot.vb.sceneBoundingRect()).boundingRect()
        side = max(MIN_SIDE, int(SHARE * min(area.width(), area.height())))
        self.resize(side, side)
        if self._box is None or self._shape == (0, 0):
            return
        top, left, bottom, right = self._box
        h, w = self._shape
        x = area.left() if (left + right) / 2 > w / 2 else area.right() + 1 - side
        y = area.top() if (top + bottom) / 2 > h / 2 else area.bottom() + 1 - side
        self.move(max(0, min(x, over.width() - side)), max(0, min(y, over.height() - side)))

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt naming)
        if event.type() == QEvent.Type.Resize and self.isVisible():
            self._place()
        return False


def should_magnify(outcome: Outcome | None, magnify: bool) -> bool:
    """Only large images need it: up to 16×16 the input canvas itself prints every value."""
    return magnify and outcome is not None and max(np.shape(outcome.image.pixels)[:2]) > SMALL_IMAGE
