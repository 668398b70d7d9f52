"""A convolution layer's filters: the first layer as small RGB images, deeper layers as gray tiles of each
filter's first input-channel slice (core.mosaic tiles them)."""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from explorer.core import mosaic as core_mosaic
from explorer.core.model_facts import Filters
from explorer.core.render import GAP_RGB
from explorer.ui import style
from explorer.ui.model_explorer.activation_panel import _image_box


def filters_rgb(filters: Filters) -> np.ndarray:
    """(H, W, 3) uint8 picture of all filters. RGB filters share one colour scale (so the colours mean something):
    each colour plane is tiled by core.mosaic and put back on the shared [min, max] range."""
    w = filters.weights
    if not filters.rgb:
        m = core_mosaic.channel_mosaic(w, normalize="channel")
        gray = (m.image * 255).astype(np.uint8)
        rgb = np.repeat(gray[:, :, None], 3, axis=2)
        rgb[~m.mask] = GAP_RGB
        return rgb
    lo, hi = float(w.min()), float(w.max())
    planes = []
    for c in range(3):
        plane = w[:, c]
        m = core_mosaic.channel_mosaic(plane, normalize="layer")
        # Undo mosaic's per-plane stretch, then apply the shared one.
        p_lo, p_hi = float(plane.min()), float(plane.max())
        values = m.image * (p_hi - p_lo) + p_lo
        planes.append((values - lo) / (hi - lo if hi > lo else 1.0))
    rgb = (np.clip(np.stack(planes, axis=2), 0, 1) * 255).astype(np.uint8)
    rgb[~m.mask] = GAP_RGB
    return rgb


class FiltersPanel(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.view = pg.GraphicsLayoutWidget()
        self.plot, self.item = _image_box("Filters")
        self.view.addItem(self.plot)
        self.note = QLabel()
        self.note.setFont(style.font(style.LABEL_PT))
        self.note.setWordWrap(True)
        box = QVBoxLayout(self)
        box.setContentsMargins(0, 0, 0, 0)
        box.addWidget(self.view, 1)
        box.addWidget(self.note)

    def show_filters(self, layer: str, filters: Filters | None) -> None:
        if filters is None:
            self.item.clear()
            self.plot.setTitle("Filters")
            self.note.setText(f"{layer} is not a convolution with stored weights: choose a Conv layer.")
            return
        rgb = filters_rgb(filters)
        self.item.setImage(rgb, autoLevels=False, levels=(0, 255))
        self.plot.getViewBox().setRange(QRectF(0, 0, rgb.shape[1], rgb.shape[0]), padding=0.01)
        k, f = filters.weights.shape[0], filters.weights.shape[-1]
        self.plot.setTitle(f"{layer}: {k} filters of {f}×{f}×{filters.in_channels}")
        self.note.setText("First layer: each filter as a colour image on one shared scale (dark = most negative weight)." if filters.rgb else
                          f"Each tile: the filter's slice on input channel 0 of {filters.in_channels} "
                          "(bright = large weight).")
