"""Channel mosaic placement, ordering, normalisation, and layer statistics."""
import numpy as np
import pytest

from explorer.core.mosaic import channel_mosaic, grid_for, layer_stats


def test_tiles_placement_and_channel_at():
    act = np.arange(5 * 3 * 4, dtype=np.float32).reshape(5, 3, 4)
    m = channel_mosaic(act, gap=1)
    rows, cols = m.grid
    assert rows * cols >= 5 and (rows - 1) * cols < 5
    assert m.image.shape == (rows * 4 - 1, cols * 5 - 1) and m.image.dtype == np.float32
    for c in range(5):
        y, x = m.tile_origin(c)
        assert m.channel_at(y, x) == c and m.channel_at(y + 2, x + 3) == c
        assert m.channel_at(y + 3, x) is None  # gap row below the tile (or outside)
        assert m.channel_at(y, x + 4) is None  # gap column right of the tile (or outside)
    assert m.channel_at(-1, 0) is None and m.channel_at(0, 10_000) is None
    # mask agrees with channel_at everywhere
    hits = np.array([[m.channel_at(y, x) is not None for x in range(m.image.shape[1])]
                     for y in range(m.image.shape[0])])
    np.testing.assert_array_equal(hits, m.mask)
    assert (m.image[~m.mask] == 1.0).all()


def test_sort_by_mean_puts_strongest_first():
    means = [0.5, 3.0, -1.0, 2.0]
    act = np.stack([np.full((2, 2), v, np.float32) + np.eye(2, dtype=np.float32) for v in means])
    m = channel_mosaic(act, sort_by_mean=True)
    assert m.order == [1, 3, 0, 2]
    assert m.channel_at(*m.tile_origin(3)) == 3
    assert m.tile_origin(1) == (0, 0)


def test_channel_and_layer_normalisation_exact():
    act = np.array([[[0, 1], [2, 4]], [[10, 10], [10, 10]], [[-2, 0], [0, 2]]], np.float32)
    per_channel = channel_mosaic(act, normalize="channel", gap=0)
    tiles = {c: per_channel.image[y:y + 2, x:x + 2] for c in range(3) for y, x in [per_channel.tile_origin(c)]}
    np.testing.assert_allclose(tiles[0], [[0, 0.25], [0.5, 1]])
    np.testing.assert_array_equal(tiles[1], 0)  # constant tile -> 0
    np.testing.assert_allclose(tiles[2], [[0, 0.5], [0.5, 1]])
    layer = channel_mosaic(act, normalize="layer", gap=0)
    y, x = layer.tile_origin(1)
    np.testing.assert_allclose(layer.image[y:y + 2, x:x + 2], 1.0)  # 10 is the layer max
    y, x = layer.tile_origin(0)
    np.testing.assert_allclose(layer.image[y:y + 2, x:x + 2], (act[0] + 2) / 12)


def test_grid_is_near_square():
    assert grid_for(64, 10, 10) == (8, 8)
    assert grid_for(512, 14, 14) == (23, 23)
    rows, cols = grid_for(16, 2, 30)  # wide tiles stack in fewer columns
    assert cols < rows


def test_grid_fills_a_wide_box():
    """AlexNet's conv1 (96 maps of 55×55, 1 px gaps) in a box 2.6 times as wide as tall (a wide frame's mosaic on a
    720 px projector). By hand, per box height: 10×10 tiles are 559 px square, so 1/559; 16 columns × 6 rows are
    895 × 335 px, min(2.6/895, 1/335) = 1/344.2; 15 × 7 give 1/391, 17 × 6 give 1/365.8."""
    assert grid_for(96, 55, 55, aspect=2.6) == (6, 16)
    assert grid_for(96, 55, 55) == (10, 10)
    assert grid_for(96, 55, 55, aspect=1 / 2.6) == (16, 6)     # a tall box: the same grid on its side


def test_of_equally_large_tiles_the_grid_with_no_empty_row_wins():
    """VGG-16's conv1_1 (64 maps of 224×224) in a box 1.22 times as wide as tall: 8 × 8 tiles are 1799 px square,
    9 columns × 8 rows are 2024 × 1799; the height decides both (1/1799), and 9 columns leave 8 empty tiles."""
    assert grid_for(64, 224, 224, aspect=1.22) == (8, 8)


def test_a_mosaic_made_for_a_wide_box_keeps_every_channel_where_it_says():
    act = np.arange(96 * 3 * 4, dtype=np.float32).reshape(96, 3, 4)
    m = channel_mosaic(act, aspect=2.6)
    assert m.grid == grid_for(96, 3, 4, aspect=2.6) and m.grid[1] > m.grid[0]
    assert m.image.shape == (m.grid[0] * 4 - 1, m.grid[1] * 5 - 1)
    for channel in (0, 17, 95):
        y, x = m.tile_origin(channel)
        assert m.channel_at(y + 2, x + 3) == channel
        np.testing.assert_allclose(m.image[y:y + 3, x:x + 4], (act[channel] - act[channel].min()) / 11)
    assert m.mask.sum() == 96 * 3 * 4


def test_grid_equals_trying_every_column_count():
    """grid_for tries only the column counts near where the mosaic has the box's shape: the answer must be the one
    an exhaustive search gives (largest tiles, then fewest empty tiles, then more columns)."""
    def exhaustive(channels: int, h: int, w: int, aspect: float) -> tuple[int, int]:
        best = None
        for cols in range(1, channels + 1):
            rows = -(-channels // cols)
            key = (min(aspect / (cols * (w + 1) - 1), 1 / (rows * (h + 1) - 1)), channels - rows * cols, cols)
            best = max(best or key, key)
        return -(-channels // best[2]), best[2]

    for channels in (*range(1, 40), 64, 96, 384, 1000):
        for h, w in ((55, 55), (13, 13), (2, 30), (30, 2), (1, 5)):
            for aspect in (0.05, 0.5, 1.0, 1.22, 2.6, 8.0, 30.0):
                assert grid_for(channels, h, w, 1, aspect) == exhaustive(channels, h, w, aspect), (channels, h, w,
                                                                                                  aspect)


def test_rejects_non_3d():
    for bad in (np.zeros(10), np.zeros((1, 10)), np.zeros((1, 2, 3, 4)), np.zeros((0, 3, 3))):
        with pytest.raises(ValueError, match="C, H, W"):
            channel_mosaic(bad)


def test_layer_stats():
    s = layer_stats(np.array([[0.0, 1.0], [0.0, 3.0]], np.float32))
    assert (s.min, s.max, s.mean, s.zero_fraction) == (0.0, 3.0, 1.0, 0.5)
    assert s.std == pytest.approx(np.sqrt(1.5))


def test_layer_stats_match_float64_numpy_on_a_relu_layer():
    values = np.maximum(np.random.default_rng(3).standard_normal((64, 56, 56)), 0).astype(np.float32)
    reference = values.astype(np.float64)
    s = layer_stats(values)
    assert (s.min, s.max) == (reference.min(), reference.max())
    assert s.mean == pytest.approx(reference.mean(), rel=1e-9)
    assert s.std == pytest.approx(reference.std(), rel=1e-6)
    assert s.zero_fraction == np.count_nonzero(reference == 0) / reference.size


@pytest.mark.parametrize("c, h, w, gap", [(1, 3, 3, 1), (7, 2, 5, 1), (16, 4, 4, 0), (23, 3, 2, 2), (384, 13, 13, 1)])
def test_every_tile_holds_its_normalised_channel_brute_force(c, h, w, gap):
    """A loop over tiles, pixel by pixel, against the vectorised placement (full and partly filled rows)."""
    act = np.random.default_rng(c).normal(size=(c, h, w)).astype(np.float32)
    m = channel_mosaic(act, gap=gap, fill=0.25)
    rows, cols = m.grid
    expected = np.full(((h + gap) * rows - gap, (w + gap) * cols - gap), 0.25, np.float32)
    mask = np.zeros(expected.shape, bool)
    for tile in range(c):
        plane = act[tile]
        span = plane.max() - plane.min()
        y, x = (tile // cols) * (h + gap), (tile % cols) * (w + gap)
        for dy in range(h):
            for dx in range(w):
                expected[y + dy, x + dx] = (plane[dy, dx] - plane.min()) / span if span > 0 else 0.0
                mask[y + dy, x + dx] = True
    np.testing.assert_allclose(m.image, expected, rtol=1e-6, atol=1e-6)
    np.testing.assert_array_equal(m.mask, mask)
