"""An ImageItem that hands QPainter the one kind of image it scales without converting.

pyqtgraph builds an indexed QImage for a colormapped array and an RGB888 one for RGB, zero-copy. QPainter then
converts every pixel of those formats again on each paint: drawing a 300×300 mosaic scaled to 600 px costs ~1.9 ms
as Indexed8 against ~0.25 ms as RGB32 (`bench/raster.py`). During live video each image is drawn on every frame,
so converting once, when the array changes, is what keeps the window's painting cheap.
"""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtGui import QImage

Format = QImage.Format
DIRECT = (Format.Format_RGB32, Format.Format_ARGB32_Premultiplied)  # the raster engine's own formats


class RasterItem(pg.ImageItem):
    """pg.ImageItem whose rendered QImage is RGB32 (opaque) or premultiplied ARGB32 (with transparency): the same
    pixels as pyqtgraph's, in a format drawn without per-paint conversion. A (H, W) uint32 array is taken as
    packed 0xffRRGGBB pixels (core.render.pack_rgb32, made off the GUI thread) and wrapped as it is."""

    def render(self) -> None:
        direct = self._direct_qimage()
        if direct is not None:
            self.qimage = direct
            self._renderRequired = self._unrenderable = False
            return
        super().render()
        qimage = self.qimage
        if qimage is not None and not qimage.isNull() and qimage.format() not in DIRECT:
            self.qimage = qimage.convertToFormat(DIRECT[qimage.hasAlphaChannel()])

    def _direct_qimage(self) -> QImage | None:
        """Images that need neither levels nor a table: packed pixels as they are, and full-range 8-bit RGB (for
        which pyqtgraph would still rescale every value by (0, 255) first: ~0.6 ms for a 224×224 input)."""
        image = self.image
        if image is None or image.size == 0 or self.axisOrder != "row-major":
            return None
        if image.dtype == np.uint32 and image.ndim == 2 and self.lut is None:
            return pg.functions.ndarray_to_qimage(np.ascontiguousarray(image), Format.Format_RGB32)
        # pyqtgraph applies a colour table to one-channel images only: the Playground's output canvas keeps one
        # for its not-yet-computed units and is handed ready RGB colours on every frame.
        full_range = self.levels is None or np.array_equal(self.levels, (0, 255))
        if image.dtype == np.uint8 and image.ndim == 3 and image.shape[2] == 3 and full_range:
            rgb = pg.functions.ndarray_to_qimage(np.ascontiguousarray(image), Format.Format_RGB888)
            return rgb.convertToFormat(Format.Format_RGB32)
        return None
