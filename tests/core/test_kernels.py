"""Kernel presets at every size and the centre-preserving resize."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from explorer.core.conv import conv2d
from explorer.core.errors import UserError
from explorer.core.kernels import PRESET_NAMES, make_kernel, resize_kernel

SIZES = range(1, 16)
SUMS = {"vertical edge": 0, "horizontal edge": 0, "sobel x": 0, "sobel y": 0, "laplacian": 0, "box blur": 1,
        "gaussian": 1, "sharpen": 1, "emboss": 1, "identity": 1}


def test_preset_names_cover_the_issue():
    assert set(PRESET_NAMES) == set(SUMS) | {"random 0/1"}


@pytest.mark.parametrize("name", PRESET_NAMES)
def test_every_preset_at_every_size(name):
    for f in SIZES:
        k = make_kernel(name, f)
        assert k.shape == (f, f) and k.dtype == np.float32 and np.isfinite(k).all()
        if name in SUMS:
            assert k.sum() == pytest.approx(SUMS[name], abs=1e-5)
        if f >= 2 and name not in ("identity", "random 0/1"):
            assert np.abs(k).sum() > 0, "only a 1×1 may be all zeros (it cannot hold a difference)"


def test_lecture_vertical_edge_and_its_growth():
    np.testing.assert_array_equal(make_kernel("vertical edge", 3), [[1, 0, -1]] * 3)
    np.testing.assert_array_equal(make_kernel("vertical edge", 5), [[1, 1, 0, -1, -1]] * 5)
    np.testing.assert_array_equal(make_kernel("vertical edge", 4), [[1, 1, -1, -1]] * 4)
    np.testing.assert_array_equal(make_kernel("horizontal edge", 3), np.array([[1, 0, -1]] * 3).T)


def test_classic_three_by_three_kernels():
    np.testing.assert_array_equal(make_kernel("sobel x", 3), [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]])
    np.testing.assert_array_equal(make_kernel("sobel y", 3), [[-1, -2, -1], [0, 0, 0], [1, 2, 1]])
    np.testing.assert_array_equal(make_kernel("sobel x", 5)[2], [-6, -12, 0, 12, 6])  # OpenCV's 5×5 Sobel row
    np.testing.assert_array_equal(make_kernel("laplacian", 3), [[0, 1, 0], [1, -4, 1], [0, 1, 0]])
    np.testing.assert_array_equal(make_kernel("emboss", 3), [[-2, -1, 0], [-1, 1, 1], [0, 1, 2]])
    np.testing.assert_allclose(make_kernel("box blur", 3), np.full((3, 3), 1 / 9))


def test_gaussian_is_symmetric_peaked_and_widens_with_size():
    spreads = []
    for f in range(3, 16, 2):
        k = make_kernel("gaussian", f).astype(np.float64)
        np.testing.assert_allclose(k, k.T)
        np.testing.assert_allclose(k, k[::-1])
        assert k.argmax() == (f // 2) * f + f // 2
        x = np.arange(f) - f // 2
        spreads.append(float(np.sqrt((k.sum(axis=0) * x**2).sum())))
    assert spreads == sorted(spreads)


@pytest.mark.parametrize("f", range(1, 8))
def test_identity_with_same_padding_returns_the_image(f):
    # The centre convention (index (f-1)//2) must match where "same" padding puts the output pixel.
    image = np.random.default_rng(f).integers(0, 256, (9, 11)).astype(np.float32)
    np.testing.assert_array_equal(conv2d(image, make_kernel("identity", f), padding="same"), image)


def test_random_kernel_is_seeded_zeros_and_ones():
    a, b = make_kernel("random 0/1", 7, seed=4), make_kernel("random 0/1", 7, seed=4)
    np.testing.assert_array_equal(a, b)
    assert set(np.unique(a)) <= {0.0, 1.0}
    assert not np.array_equal(a, make_kernel("random 0/1", 7, seed=5))


def test_bad_names_and_sizes_are_user_errors():
    with pytest.raises(UserError, match="preset"):
        make_kernel("blurry", 3)
    for size in (0, -1, 2.5, True):
        with pytest.raises(UserError, match="filter size"):
            make_kernel("identity", size)
        with pytest.raises(UserError, match="filter size"):
            resize_kernel(np.ones((3, 3)), size)


def test_resize_keeps_the_centre():
    k = np.arange(9, dtype=np.float32).reshape(3, 3)
    grown = resize_kernel(k, 5)
    np.testing.assert_array_equal(grown[1:4, 1:4], k)
    assert grown.sum() == k.sum()
    np.testing.assert_array_equal(resize_kernel(k, 1), [[4]])
    np.testing.assert_array_equal(resize_kernel(k, 4)[:3, :3], k)  # even: centre is the upper-left middle cell
    np.testing.assert_array_equal(resize_kernel(make_kernel("identity", 3), 6), make_kernel("identity", 6))


@settings(max_examples=60, deadline=None)
@given(f=st.integers(1, 15), g=st.integers(1, 15), seed=st.integers(0, 1000))
def test_resize_grow_then_shrink_round_trips(f, g, seed):
    k = np.random.default_rng(seed).normal(size=(f, f)).astype(np.float32)
    big = max(f, g)
    np.testing.assert_array_equal(resize_kernel(resize_kernel(k, big), f), k)
    small = resize_kernel(k, g)
    assert small.shape == (g, g)
    c_old, c_new = (f - 1) // 2, (g - 1) // 2
    assert small[c_new, c_new] == k[c_old, c_old]
