"""A layer made ready to paint: the window's mosaic pixels are the CLI's PNG colours, packed as screen pixels."""
from __future__ import annotations

import numpy as np
import pytest

from explorer.core import render
from explorer.core.layer_picture import is_map, layer_picture, without_batch
from explorer.core.mosaic import channel_mosaic, layer_stats


def unpack(pixels: np.ndarray) -> np.ndarray:
    return np.stack([(pixels >> shift) & 0xFF for shift in (16, 8, 0)], axis=-1).astype(np.uint8)


def test_pack_rgb32_by_hand():
    rgb = np.array([[[1, 2, 3], [255, 128, 0]]], np.uint8)
    assert render.pack_rgb32(rgb).tolist() == [[0xFF010203, 0xFFFF8000]]


@pytest.mark.parametrize("normalize, sort", [("channel", False), ("layer", True)])
def test_picture_pixels_are_the_cli_mosaic_colours(normalize, sort):
    values = np.random.default_rng(3).normal(size=(10, 6, 5)).astype(np.float32)
    picture = layer_picture("conv", values, normalize, sort)
    tiles = channel_mosaic(values, normalize=normalize, sort_by_mean=sort)
    np.testing.assert_array_equal(unpack(picture.pixels), render.unit_to_rgb(tiles.image, tiles.mask))
    assert (picture.pixels >> 24 == 0xFF).all()  # opaque
    assert unpack(picture.pixels)[~tiles.mask].tolist() == [list(render.GAP_RGB)] * int((~tiles.mask).sum())
    assert picture.mosaic.order == tiles.order
    assert picture.stats == layer_stats(values)
    assert picture.fits("conv", normalize, sort, 1.0) and not picture.fits("conv", normalize, not sort, 1.0)


def test_a_picture_is_laid_out_for_its_box_and_fits_any_box_that_keeps_its_grid():
    values = np.random.default_rng(4).normal(size=(96, 55, 55)).astype(np.float32)
    wide = layer_picture("conv1", values, "channel", False, aspect=2.6)
    assert wide.mosaic.grid == (6, 16)                         # tests/core/test_mosaic.py: by hand
    assert wide.fits("conv1", "channel", False, 2.5)           # the same grid: no new mosaic on a small resize
    assert not wide.fits("conv1", "channel", False, 1.0)       # a square box: 10 × 10
    assert layer_picture("conv1", values, "channel", False).mosaic.grid == (10, 10)


def test_batch_axis_and_what_is_a_map():
    assert without_batch(np.zeros((1, 4, 3, 3))).shape == (4, 3, 3)
    assert without_batch(np.zeros((2, 4))).shape == (2, 4)   # a batch of two is not one picture's
    assert is_map(np.zeros((4, 3, 3))) and is_map(np.zeros((4, 1, 2)))
    assert not is_map(np.zeros((4, 1, 1))) and not is_map(np.zeros((4,)))
