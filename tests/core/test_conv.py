"""conv.py against an independent naive loop, the lecture's worked examples and brute-force receptive fields."""
import math

import cv2
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from explorer.core.conv import (
    ConvParams,
    LayerCost,
    PoolParams,
    conv2d,
    formula_terms,
    layer_cost,
    output_shape,
    output_size_lines,
    output_size,
    playground_forward,
    pool2d,
    pooled_unit_receptive_field,
    resolve_padding,
    unit_receptive_field,
)
from explorer.core.errors import UserError

FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# ---------------------------------------------------------------------------------------------- references


def naive_pads(n: int, f: int, s: int, padding, d: int) -> tuple[int, int]:
    """Padding from first principles: "same" pads just enough for ceil(n/s) outputs, extra pixel after."""
    if padding != "same":
        return padding, padding
    out = math.ceil(n / s)
    total = max(0, (out - 1) * s + d * (f - 1) + 1 - n)
    return total // 2, total - total // 2


def naive_conv(image, kernel, s=1, padding=0, d=1) -> np.ndarray:
    """Textbook cross-correlation in float64: explicit zero padding, explicit loops over outputs and taps."""
    x = np.asarray(image, np.float64)
    k = np.asarray(kernel, np.float64)
    if x.ndim == 2:
        x, k = x[..., None], k[..., None]
    f = k.shape[0]
    (pt, pb), (pl, pr) = naive_pads(x.shape[0], f, s, padding, d), naive_pads(x.shape[1], f, s, padding, d)
    padded = np.zeros((x.shape[0] + pt + pb, x.shape[1] + pl + pr, x.shape[2]))
    padded[pt:pt + x.shape[0], pl:pl + x.shape[1]] = x
    span = d * (f - 1) + 1
    ho, wo = (padded.shape[0] - span) // s + 1, (padded.shape[1] - span) // s + 1
    out = np.zeros((ho, wo))
    for y in range(ho):
        for xo in range(wo):
            acc = 0.0
            for i in range(f):
                for j in range(f):
                    acc += float(np.dot(padded[y * s + i * d, xo * s + j * d], k[i, j]))
            out[y, xo] = acc
    return out


def naive_pool(x, kind, k, s, p) -> np.ndarray:
    x = np.asarray(x, np.float64)
    h, w = x.shape
    ho, wo = (h + 2 * p - k) // s + 1, (w + 2 * p - k) // s + 1
    out = np.zeros((ho, wo))
    for y in range(ho):
        for xo in range(wo):
            r0, c0 = y * s - p, xo * s - p
            window = x[max(r0, 0):min(r0 + k, h), max(c0, 0):min(c0 + k, w)]
            out[y, xo] = window.max() if kind == "max" else window.mean()
    return out


def assert_close(actual, expected, kernel, image) -> None:
    """float32 tolerance relative to the largest value a tap sum could reach."""
    scale = max(1.0, float(np.abs(kernel).sum()) * float(np.abs(image).max(initial=0)))
    assert actual.dtype == np.float32
    assert actual.shape == expected.shape
    np.testing.assert_allclose(actual, expected, rtol=0, atol=1e-4 * scale)


# ---------------------------------------------------------------------------------------------- lecture facts


def test_lecture_vertical_edge_example():
    image = np.array([[255, 255, 255, 0, 0, 0]] * 6, np.uint8)
    kernel = np.array([[1, 0, -1]] * 3)
    expected = np.array([[0, 765, 765, 0]] * 4, np.float32)
    np.testing.assert_array_equal(conv2d(image, kernel), expected)


def test_lecture_binary_image_example():
    image = np.array([[1, 1, 1, 0, 0], [0, 1, 1, 1, 0], [0, 0, 1, 1, 1], [0, 0, 1, 1, 0], [0, 1, 1, 0, 0]])
    kernel = np.array([[1, 0, 1], [0, 1, 0], [1, 0, 1]])
    np.testing.assert_array_equal(conv2d(image, kernel), [[4, 3, 4], [2, 4, 3], [2, 3, 4]])


@pytest.mark.parametrize(
    "n, f, s, p, d, expected",
    [(4, 3, 1, 0, 1, 2), (5, 3, 1, 1, 1, 5), (5, 3, 2, 0, 1, 2), (7, 3, 1, 0, 2, 3), (6, 3, 1, 0, 1, 4)],
)
def test_lecture_output_sizes(n, f, s, p, d, expected):
    assert output_size(n, f, s, p, d) == expected
    image = np.ones((n, n), np.float32)
    assert conv2d(image, np.ones((f, f)), s, p, d).shape == (expected, expected)


def test_lecture_inception_cost():
    # 5×5 conv from 192 to 32 channels on a 28×28 map: about 120 million multiplications.
    assert layer_cost(5, 192, 32, (28, 28)) == LayerCost(weights=153_600, biases=32, macs=120_422_400)


# ---------------------------------------------------------------------------------------------- arithmetic


@FAST
@given(n=st.integers(1, 300), f=st.integers(1, 15), s=st.integers(1, 5), d=st.integers(1, 4))
def test_same_padding_gives_ceil_n_over_s(n, f, s, d):
    params = ConvParams(size=f, stride=s, padding="same", dilation=d)
    before, after = resolve_padding(n, params)
    assert after - before in (0, 1)
    assert output_shape(n, n, params) == (math.ceil(n / s),) * 2


@FAST
@given(n=st.integers(1, 60), f=st.integers(1, 9), s=st.integers(1, 4), p=st.integers(0, 5), d=st.integers(1, 4))
def test_output_size_formula_or_user_error(n, f, s, p, d):
    raw = math.floor((n + 2 * p - d * (f - 1) - 1) / s) + 1
    if n + 2 * p >= d * (f - 1) + 1:
        assert output_size(n, f, s, p, d) == raw
    else:
        with pytest.raises(UserError):
            output_size(n, f, s, p, d)


def test_error_messages_name_the_parameter_to_change():
    with pytest.raises(UserError, match=r"^Filter 7 with dilation 3 spans 19 pixels but the padded input is only 12: "
                                        r"lower the filter size or dilation, or add padding\.$"):
        output_size(10, 7, 1, 1, 3)
    cases = [((5, 0), "filter size"), ((5, 3, 0), "stride"), ((5, 3, 1, 0, 0), "dilation"), ((5, 3, 1, -1), "padding")]
    for args, word in cases:
        with pytest.raises(UserError, match=word) as caught:
            output_size(*args)
        assert "\n" not in str(caught.value)
    with pytest.raises(UserError, match="along the width"):
        output_shape(20, 4, ConvParams(size=5))
    with pytest.raises(UserError, match="'same'"):
        output_shape(20, 4, ConvParams(padding="valid"))


def test_the_formula_uses_the_users_numbers():
    assert output_size_lines(256, 256, ConvParams(size=3, stride=2)) == [
        "height = width: out = ⌊(n + 2p − d(f−1) − 1)/s⌋ + 1 = ⌊(256 + 2·0 − 1·(3−1) − 1)/2⌋ + 1 = 127"]
    assert formula_terms(224, ConvParams(size=3, stride=2, padding=1)) == (
        "⌊(n + 2p − d(f−1) − 1)/s⌋ + 1", "⌊(224 + 2·1 − 1·(3−1) − 1)/2⌋ + 1", 112)
    assert formula_terms(10, ConvParams(size=4, padding="same")) == (  # TF pads 1 above, 2 below
        "⌊(n + p₁ + p₂ − d(f−1) − 1)/s⌋ + 1", "⌊(10 + 1 + 2 − 1·(4−1) − 1)/1⌋ + 1", 10)
    with pytest.raises(UserError, match="along the width"):
        formula_terms(3, ConvParams(size=5), axis="width")


def test_a_wide_image_shows_the_formula_once_and_each_axis_its_result():
    """A camera's 640×480: the same f, s, p, d along both axes, only n differs (hand: (480 − 2 − 1)/1 + 1 = 478)."""
    assert output_size_lines(480, 640, ConvParams(size=3)) == [
        "out = ⌊(n + 2p − d(f−1) − 1)/s⌋ + 1",
        "      = ⌊(n + 2·0 − 1·(3−1) − 1)/1⌋ + 1",
        "height 480 → 478 · width 640 → 638"]
    # "Same" padding with a stride depends on n: 1 + 1 rows but 1 + 2 columns, so each axis has its own formula.
    # Hand: (10 + 2 − 3 − 1)/2 + 1 = 5 = ⌈10/2⌉ and (11 + 3 − 3 − 1)/2 + 1 = 6 = ⌈11/2⌉.
    assert output_size_lines(10, 11, ConvParams(size=4, stride=2, padding="same")) == [
        "height: out = ⌊(n + 2p − d(f−1) − 1)/s⌋ + 1 = ⌊(10 + 2·1 − 1·(4−1) − 1)/2⌋ + 1 = 5",
        "width:  out = ⌊(n + p₁ + p₂ − d(f−1) − 1)/s⌋ + 1 = ⌊(11 + 1 + 2 − 1·(4−1) − 1)/2⌋ + 1 = 6"]
    assert output_shape(10, 11, ConvParams(size=4, stride=2, padding="same")) == (5, 6)


# ---------------------------------------------------------------------------------------------- conv2d


conv_params = st.fixed_dictionaries({
    "f": st.integers(1, 7), "s": st.integers(1, 3), "d": st.integers(1, 3),
    "padding": st.one_of(st.integers(0, 4), st.just("same")),
})


@FAST
@given(data=st.data(), params=conv_params, channels=st.sampled_from([0, 1, 3]), filters=st.sampled_from([0, 1, 2]))
def test_conv2d_matches_naive_loop(data, params, channels, filters):
    h, w = data.draw(st.integers(1, 18)), data.draw(st.integers(1, 18))
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    image = rng.uniform(-3, 255, (h, w, channels) if channels else (h, w)).astype(np.float32)
    f, s, d, padding = params["f"], params["s"], params["d"], params["padding"]
    kshape = (f, f, channels) if channels else (f, f)
    kernels = rng.normal(0, 2, ((filters,) if filters else ()) + kshape).astype(np.float32)
    try:
        output_shape(h, w, ConvParams(f, s, padding, d))
    except UserError:
        with pytest.raises(UserError):
            conv2d(image, kernels, s, padding, d)
        return
    got = conv2d(image, kernels, s, padding, d)
    if filters:
        assert got.shape[0] == filters
        for k in range(filters):
            assert_close(got[k], naive_conv(image, kernels[k], s, padding, d), kernels[k], image)
    else:
        assert_close(got, naive_conv(image, kernels, s, padding, d), kernels, image)


@pytest.mark.parametrize("f, d", [(11, 1), (5, 3), (7, 3), (15, 1)])
def test_conv2d_big_dilated_kernels_use_dft_and_stay_exact(f, d):
    # cv2 switches float32 filter2D to a DFT for large kernels: check that path too.
    rng = np.random.default_rng(f * 10 + d)
    image = rng.integers(0, 256, (45, 52)).astype(np.float32)
    kernel = rng.normal(0, 1, (f, f)).astype(np.float32)
    for s, padding in [(1, 0), (2, "same"), (3, 4)]:
        assert_close(conv2d(image, kernel, s, padding, d), naive_conv(image, kernel, s, padding, d), kernel, image)


def test_volume_kernel_equal_on_every_channel_equals_per_channel_sum():
    rng = np.random.default_rng(1)
    image = rng.integers(0, 256, (20, 17, 3)).astype(np.uint8)
    k2 = rng.normal(0, 1, (3, 3)).astype(np.float32)
    equal = np.repeat(k2[..., None], 3, axis=2)
    expected = naive_conv(image, equal, 2, 1, 2)
    assert_close(conv2d(image, equal, 2, 1, 2), expected, equal, image)
    several = np.stack([equal, rng.normal(0, 1, (3, 3, 3))]).astype(np.float32)
    assert_close(conv2d(image, several, 2, 1, 2)[0], expected, equal, image)


def test_conv2d_rejects_a_kernel_of_the_wrong_shape():
    with pytest.raises(UserError, match="kernel"):
        conv2d(np.zeros((8, 8, 3)), np.ones((3, 3)))
    with pytest.raises(UserError, match="kernel"):
        conv2d(np.zeros((8, 8)), np.ones((3, 2)))


# ---------------------------------------------------------------------------------------------- pooling


@FAST
@given(data=st.data(), kind=st.sampled_from(["max", "avg"]), k=st.integers(1, 4), s=st.integers(1, 3),
       stacked=st.booleans())
def test_pool2d_matches_naive_loop(data, kind, k, s, stacked):
    p = data.draw(st.integers(0, k // 2))
    h, w = data.draw(st.integers(max(1, k - 2 * p), 15)), data.draw(st.integers(max(1, k - 2 * p), 15))
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    x = rng.normal(0, 10, (2, h, w) if stacked else (h, w)).astype(np.float32)
    got = pool2d(x, PoolParams(kind, k, s, p))
    planes = x if stacked else x[None]
    expected = np.stack([naive_pool(plane, kind, k, s, p) for plane in planes])
    np.testing.assert_allclose(got if stacked else got[None], expected, rtol=1e-5, atol=1e-4)
    assert got.dtype == np.float32


def test_pool2d_rejects_impossible_settings():
    x = np.zeros((4, 4), np.float32)
    for params, word in [(PoolParams("max", 2, 2, 2), "pool padding"), (PoolParams("avg", 0, 1), "pool size"),
                         (PoolParams("max", 2, 0), "pool stride"), (PoolParams("max", 6, 1), "pool size")]:
        with pytest.raises(UserError, match=word):
            pool2d(x, params)
    assert pool2d(x, PoolParams("none")) is x


# ---------------------------------------------------------------------------------------------- receptive field


def influencing_pixels(image_hw, unit, conv, pooled=None) -> set[tuple[int, int]]:
    """Brute force: which input pixels change the output unit when perturbed (kernel weights all > 0)."""
    h, w = image_hw
    rng = np.random.default_rng(0)
    base = rng.integers(0, 50, image_hw).astype(np.float32)

    def forward(img):
        out = conv(img)
        return out if pooled is None else pooled(out)

    reference = forward(base)[unit]
    found = set()
    for r in range(h):
        for c in range(w):
            bumped = base.copy()
            bumped[r, c] += 100.0
            # A tolerance, not !=: cv2's DFT path for big kernels leaves ~1e-16 noise on untouched units.
            if abs(forward(bumped)[unit] - reference) > 1e-2:
                found.add((r, c))
    return found


@settings(max_examples=30, deadline=None)
@given(data=st.data(), params=conv_params)
def test_unit_receptive_field_matches_perturbation(data, params):
    h, w = data.draw(st.integers(1, 12)), data.draw(st.integers(1, 12))
    cp = ConvParams(params["f"], params["s"], params["padding"], params["d"])
    try:
        ho, wo = output_shape(h, w, cp)
    except UserError:
        return
    row, col = data.draw(st.integers(0, ho - 1)), data.draw(st.integers(0, wo - 1))
    kernel = np.linspace(1, 2, cp.size**2).reshape(cp.size, cp.size)
    field = unit_receptive_field(row, col, (h, w), cp)
    assert field.taps.shape == (cp.size**2, 2)
    inside = {tuple(t) for t, pad in zip(field.taps.tolist(), field.in_padding) if not pad}
    assert all(not (0 <= t[0] < h and 0 <= t[1] < w) for t in field.taps[field.in_padding].tolist())
    expected = influencing_pixels((h, w), (row, col), lambda img: conv2d(img, kernel, cp.stride, cp.padding,
                                                                         cp.dilation))
    assert inside == expected
    top, left, bottom, right = field.box
    assert (bottom - top, right - left) == (cp.dilation * (cp.size - 1),) * 2
    clipped = (max(top, 0), max(left, 0), min(bottom, h - 1), min(right, w - 1))
    overlaps = clipped[0] <= clipped[2] and clipped[1] <= clipped[3]
    assert field.clipped_box == (clipped if overlaps else None)
    if expected and cp.dilation == 1:
        rows, cols = zip(*expected)
        assert field.clipped_box == (min(rows), min(cols), max(rows), max(cols))


def test_unit_receptive_field_example_in_padding():
    field = unit_receptive_field(0, 0, (5, 5), ConvParams(size=3, padding=1))
    assert field.box == (-1, -1, 1, 1) and field.clipped_box == (0, 0, 1, 1)
    assert field.in_padding.tolist() == [True, True, True, True, False, False, True, False, False]
    with pytest.raises(UserError, match="outside"):
        unit_receptive_field(5, 0, (5, 5), ConvParams(size=3, padding=1))


@settings(max_examples=20, deadline=None)
@given(data=st.data(), params=conv_params, k=st.integers(1, 3), ps=st.integers(1, 3))
def test_pooled_unit_receptive_field_matches_perturbation(data, params, k, ps):
    h, w = data.draw(st.integers(2, 11)), data.draw(st.integers(2, 11))
    cp = ConvParams(params["f"], params["s"], params["padding"], params["d"])
    pool = PoolParams("avg", k, ps, data.draw(st.integers(0, k // 2)))
    try:
        ph, pw = pool2d(np.zeros(output_shape(h, w, cp), np.float32), pool).shape
    except UserError:
        return
    row, col = data.draw(st.integers(0, ph - 1)), data.draw(st.integers(0, pw - 1))
    kernel = np.linspace(1, 2, cp.size**2).reshape(cp.size, cp.size)
    field = pooled_unit_receptive_field(row, col, (h, w), cp, pool)
    inside = {tuple(t) for t, pad in zip(field.taps.tolist(), field.in_padding) if not pad}
    expected = influencing_pixels(
        (h, w), (row, col), lambda img: conv2d(img, kernel, cp.stride, cp.padding, cp.dilation),
        lambda m: pool2d(m, pool))
    assert inside == expected


# ---------------------------------------------------------------------------------------------- playground


@pytest.mark.parametrize("mode", ["gray", "r", "g", "b", "volume"])
def test_playground_forward_modes(mode):
    rng = np.random.default_rng(3)
    image = rng.integers(0, 256, (23, 19, 3)).astype(np.uint8)
    kernel = rng.normal(0, 1, (3, 3)).astype(np.float32)
    params, pool = ConvParams(3, 2, "same", 1), PoolParams("max", 2, 2, 0)
    result = playground_forward(image, kernel, params, mode, pool)
    if mode == "gray":
        plane = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY).astype(np.float64)
        expected = naive_conv(plane, kernel, 2, "same")
    elif mode == "volume":
        plane = image.astype(np.float64)
        expected = naive_conv(plane, np.repeat(kernel[..., None], 3, axis=2), 2, "same")
    else:
        plane = image[..., "rgb".index(mode)].astype(np.float64)
        expected = naive_conv(plane, kernel, 2, "same")
    np.testing.assert_array_equal(result.plane, plane.astype(np.float32))
    assert_close(result.conv, expected, kernel, plane * (3 if mode == "volume" else 1))
    np.testing.assert_allclose(result.pooled, naive_pool(result.conv, "max", 2, 2, 0))
    assert result.output is result.pooled


def test_playground_forward_grayscale_image_is_its_own_plane():
    image = np.arange(64, dtype=np.uint8).reshape(8, 8)
    kernel = np.ones((3, 3), np.float32)
    for mode in ["gray", "r", "volume"]:
        result = playground_forward(image, kernel, ConvParams(), mode, PoolParams())
        assert result.plane.shape == (8, 8) and result.pooled is None and result.output is result.conv
        assert_close(result.conv, naive_conv(image, kernel), kernel, image)


def test_playground_forward_user_errors():
    image = np.zeros((8, 8, 3), np.uint8)
    with pytest.raises(UserError, match="Mode"):
        playground_forward(image, np.ones((3, 3)), ConvParams(), "hsv", PoolParams())
    with pytest.raises(UserError, match="filter size"):
        playground_forward(image, np.ones((5, 5)), ConvParams(size=3), "gray", PoolParams())


@pytest.mark.parametrize("f, d, s, padding, channels", [
    (7, 3, 1, "same", 0), (7, 3, 2, 4, 3), (3, 6, 1, 0, 0), (9, 2, 3, "same", 3), (11, 3, 1, 2, 0), (5, 3, 2, 1, 3),
])
def test_large_dilated_kernels_match_the_reference(f, d, s, padding, channels):
    """Dilated kernels too big for filter2D's direct path go through d×d phase images: same numbers."""
    rng = np.random.default_rng(f * 100 + d)
    shape = (61, 74, channels) if channels else (61, 74)
    image = rng.integers(0, 256, shape).astype(np.float32)
    kernel = rng.standard_normal((f, f, channels) if channels else (f, f)).astype(np.float32)
    expected = naive_conv(image, kernel, s, padding, d)
    np.testing.assert_allclose(conv2d(image, kernel, s, padding, d), expected, rtol=1e-4,
                               atol=1e-4 * np.abs(expected).max())
