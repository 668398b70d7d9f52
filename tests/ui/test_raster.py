"""RasterItem paints exactly the pixels pyqtgraph's ImageItem paints, from an image QPainter draws directly."""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
import pytest
from PySide6.QtCore import QRectF
from PySide6.QtGui import QImage, QPainter
from PySide6.QtWidgets import QGraphicsScene

from explorer.core import render
from explorer.ui.raster import DIRECT, RasterItem

rng = np.random.default_rng(7)
CASES = {
    "colour indices": (rng.integers(0, 256, (37, 53), dtype=np.uint8), render.SEQUENTIAL_LUT, (0, 255)),
    "colour-mapped values": (rng.normal(size=(13, 13)).astype(np.float32), render.DIVERGING_LUT, (-1.5, 2.0)),
    "gray picture": (rng.integers(0, 256, (20, 30), dtype=np.uint8), None, (0, 255)),
    "rgb picture": (rng.integers(0, 256, (24, 32, 3), dtype=np.uint8), None, (0, 255)),
    # A colour table applies to one-channel images only (the Playground's output canvas keeps one for its animation)
    "rgb with a table": (rng.integers(0, 256, (24, 32, 3), dtype=np.uint8), render.DIVERGING_LUT, (0, 255)),
    "rgba heat": (rng.integers(0, 256, (16, 16, 4), dtype=np.uint8), None, (0, 255)),
}


def painted(item: pg.ImageItem, size: tuple[int, int]) -> np.ndarray:
    """The item drawn scaled ×3 onto white, as (H, W, 4) bytes."""
    scene = QGraphicsScene()
    scene.addItem(item)
    h, w = size
    target = QImage(3 * w, 3 * h, QImage.Format.Format_ARGB32_Premultiplied)
    target.fill(0xFFFFFFFF)
    painter = QPainter(target)
    scene.render(painter, QRectF(0, 0, 3 * w, 3 * h), QRectF(0, 0, w, h))
    painter.end()
    return np.frombuffer(target.constBits(), np.uint8).reshape(3 * h, 3 * w, 4).copy()


@pytest.mark.parametrize("case", CASES)
def test_same_pixels_as_pyqtgraph_in_a_directly_drawn_format(qtbot, case):
    image, lut, levels = CASES[case]
    items = []
    for cls in (pg.ImageItem, RasterItem):
        item = cls()
        if lut is not None:
            item.setLookupTable(lut)
        item.setImage(image, autoLevels=False, levels=levels)
        items.append(item)
    reference, raster = (painted(item, image.shape[:2]) for item in items)
    assert raster.std() > 10  # a real picture, not a blank canvas
    np.testing.assert_array_equal(raster, reference)
    assert items[1].qimage.format() == DIRECT[image.ndim == 3 and image.shape[2] == 4]
    assert items[0].qimage.format() not in DIRECT  # pyqtgraph alone would convert on every paint


def test_packed_pixels_are_wrapped_as_they_are(qtbot):
    """core.render.pack_rgb32 pixels (a live task's mosaic) paint as the RGB array they were packed from."""
    rgb = rng.integers(0, 256, (21, 34, 3), dtype=np.uint8)
    plain, packed = pg.ImageItem(), RasterItem()
    plain.setImage(rgb, autoLevels=False, levels=(0, 255))
    packed.setImage(render.pack_rgb32(rgb), autoLevels=False)
    np.testing.assert_array_equal(painted(packed, rgb.shape[:2]), painted(plain, rgb.shape[:2]))
    assert packed.qimage.format() == QImage.Format.Format_RGB32


def test_rgb_colours_are_wrapped_even_with_a_colour_table_set(qtbot, monkeypatch):
    """The Playground's output canvas keeps a table for its animation's values and is handed ready RGB colours on
    every frame: pyqtgraph's render rescaled each of them by (0, 255) first."""
    rendered = []
    monkeypatch.setattr(pg.ImageItem, "render", lambda self: rendered.append(self))
    image, lut, levels = CASES["rgb with a table"]
    item = RasterItem()
    item.setLookupTable(lut)
    item.setImage(image, autoLevels=False, levels=levels)
    item.render()
    assert not rendered and item.qimage.format() == QImage.Format.Format_RGB32
