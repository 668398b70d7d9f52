"""Exported maps: real images one pixel per unit; the lecture's small maps slide-ready with values."""
import numpy as np

from explorer.core import lessons, render
from explorer.core.conv import playground_forward


def lecture_map() -> np.ndarray:
    item = lessons.lesson("step-by-step")
    return playground_forward(item.image().pixels, item.kernel_array(), item.params, item.mode, item.pool).output


def test_small_map_gets_big_units_grid_lines_and_values():
    values = lecture_map()                                   # 4 3 4 / 2 4 3 / 2 3 4
    plain = render.export_rgb(values, show_values=False)
    unit = render.SLIDE_UNIT
    assert unit >= 32 and plain.shape == (3 * unit + 1, 3 * unit + 1, 3)
    assert tuple(plain[0, 5]) == render.GRID_RGB and tuple(plain[unit, 5]) == render.GRID_RGB
    colours = render.signed_to_rgb(values)
    np.testing.assert_array_equal(plain[unit // 2, unit // 2], colours[0, 0])   # each square in the map's colour
    inner = plain[1:unit, 1:unit]
    assert (inner == colours[0, 0]).all()                                      # without values: flat squares
    with_values = render.export_rgb(values)
    assert (with_values[1:unit, 1:unit] != colours[0, 0]).any(axis=-1).sum() > 30   # a digit is drawn


def test_large_maps_stay_one_pixel_per_unit():
    values = np.random.default_rng(0).normal(size=(40, 30)).astype(np.float32)
    np.testing.assert_array_equal(render.export_rgb(values), render.signed_to_rgb(values))
