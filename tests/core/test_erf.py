"""Effective receptive field: exact on linear convolution stacks (against kernels convolved by hand), blocks,
the 90 % fraction, errors, determinism."""
from __future__ import annotations

import numpy as np
import pytest
from onnx import TensorProto, helper, numpy_helper

from explorer.core import zoo
from explorer.core import preprocess as pp
from explorer.core.erf import effective_receptive_field, fraction_holding
from explorer.core.errors import UserError


def full_convolution(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Plain 2-D full convolution, out[i+k, j+l] += a[i, j] * b[k, l] (the oracle; no library call)."""
    out = np.zeros((a.shape[0] + b.shape[0] - 1, a.shape[1] + b.shape[1] - 1))
    for i in range(a.shape[0]):
        for j in range(a.shape[1]):
            out[i:i + b.shape[0], j:j + b.shape[1]] += a[i, j] * b
    return out


def dilate(kernel: np.ndarray, step: int) -> np.ndarray:
    """Taps spread ``step`` apart with zeros between."""
    out = np.zeros(((kernel.shape[0] - 1) * step + 1, (kernel.shape[1] - 1) * step + 1))
    out[::step, ::step] = kernel
    return out


def linear_stack(channels: int, side: int, layers: list[tuple[int, int, int, int, int]], seed: int = 0):
    """Convolutions without activations; layers are (out_channels, k, stride, dilation, pad). Returns the model
    and the weight arrays (out, in, k, k)."""
    rng = np.random.default_rng(seed)
    nodes, inits, weights, x, cin = [], [], [], "x", channels
    for i, (cout, k, s, d, p) in enumerate(layers):
        w = rng.normal(0, 1, (cout, cin, k, k)).astype(np.float32)
        weights.append(w)
        inits += [numpy_helper.from_array(w, f"w{i}"), numpy_helper.from_array(rng.normal(0, 1, cout).astype(np.float32), f"b{i}")]
        nodes.append(helper.make_node("Conv", [x, f"w{i}", f"b{i}"], [f"conv{i}"], name=f"conv{i}",
                                      strides=[s, s], dilations=[d, d], pads=[p] * 4))
        x, cin = f"conv{i}", cout
    graph = helper.make_graph(nodes, "linear", [helper.make_tensor_value_info("x", TensorProto.FLOAT,
                                                                             [1, channels, side, side])],
                              [helper.make_tensor_value_info(x, TensorProto.FLOAT, None)], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8)
    pre = pp.Preprocess(size=(side, side), mean=(0.0,) * channels, std=(1.0,) * channels, grayscale=channels == 1)
    helper.set_model_props(model, {pp.METADATA_KEY: pre.to_json()})
    return model, weights


def test_single_channel_stack_with_stride_and_dilation_is_exact():
    """conv 3x3 -> conv 3x3 stride 2 -> conv 3x3 dilation 2 (no padding): unit (0, 2, 3) of the last layer sees
    input rows 4.. and cols 6.. (stride 2 before it) through the kernel k1 * up1(k2) * up4(k3) (13x13)."""
    model, (w1, w2, w3) = linear_stack(1, 24, [(1, 3, 1, 1, 0), (1, 3, 2, 1, 0), (1, 3, 1, 2, 0)])
    kernel = full_convolution(full_convolution(w1[0, 0], w2[0, 0]), dilate(w3[0, 0], 2 * 2))
    assert kernel.shape == (13, 13)
    expected = np.zeros((24, 24))
    expected[4:17, 6:19] = np.abs(kernel)
    field = effective_receptive_field(model, "conv2", (0, 2, 3))
    np.testing.assert_allclose(field.magnitude, expected, rtol=1e-3, atol=1e-4 * np.abs(kernel).max())
    assert field.box == (4, 6, 16, 18) and field.block == 1 and field.passes == 13 * 13 + 1


def test_three_channel_stack_with_padding_is_exact_per_channel():
    """3 -> 2 -> 1 channels, second conv padded by 1: the unit's sensitivity to input channel c is
    sum_j k1[j, c] * k2[0, j]; the map is its L2 norm over c."""
    model, (w1, w2) = linear_stack(3, 16, [(2, 3, 1, 1, 0), (1, 3, 1, 1, 1)], seed=1)
    per_channel = [sum(full_convolution(w1[j, c], w2[0, j]) for j in range(2)) for c in range(3)]
    kernel = np.sqrt(sum(k ** 2 for k in per_channel))
    expected = np.zeros((16, 16))
    expected[4:9, 5:10] = kernel  # unit (5, 6): layer-2 padding 1 shifts the box up/left by 1
    field = effective_receptive_field(model, "conv1", (0, 5, 6))
    np.testing.assert_allclose(field.magnitude, expected, rtol=1e-3, atol=1e-4 * kernel.max())
    assert field.passes == 5 * 5 * 3 + 1


def test_blocks_measure_each_block_sum_when_passes_are_capped():
    model, (w1, w2) = linear_stack(1, 12, [(1, 3, 1, 1, 0), (1, 3, 1, 1, 0)], seed=2)
    kernel = full_convolution(w1[0, 0], w2[0, 0])  # 5x5 at rows/cols 3..7 for unit (3, 3)
    field = effective_receptive_field(model, "conv1", (0, 3, 3), max_passes=9)  # 25 pixels > 9: blocks of 2
    assert field.block == 2 and field.passes == 9 + 1 and any("2x2" in n for n in field.notes)
    expected = np.zeros((12, 12))
    for r in range(0, 5, 2):
        for c in range(0, 5, 2):
            block = kernel[r:r + 2, c:c + 2]
            expected[3 + r:3 + r + block.shape[0], 3 + c:3 + c + block.shape[1]] = abs(block.sum()) / block.size
    np.testing.assert_allclose(field.magnitude, expected, rtol=1e-3, atol=1e-4 * np.abs(kernel).max())


def test_fraction_holding_ninety_percent():
    assert fraction_holding(np.array([4.0, 3, 2, 1])) == 0.75  # 4 + 3 + 2 = 9 of 10
    assert fraction_holding(np.ones(10)) == pytest.approx(0.9)
    assert fraction_holding(np.zeros(4)) == 0.0


def test_a_single_tap_kernel_holds_everything_in_one_pixel_of_nine():
    model, _ = linear_stack(1, 8, [(1, 3, 1, 1, 0)])
    w = np.zeros((1, 1, 3, 3), np.float32)
    w[0, 0, 2, 0] = 2.0
    model.graph.initializer[0].CopyFrom(numpy_helper.from_array(w, "w0"))
    field = effective_receptive_field(model, "conv0", (0, 1, 1))
    assert field.fraction90 == pytest.approx(1 / 9)
    assert field.magnitude[3, 1] == pytest.approx(2.0, rel=1e-3) and np.count_nonzero(field.magnitude) == 1


def test_bad_units_and_layers_are_one_line_user_errors():
    model, _ = linear_stack(1, 8, [(2, 3, 1, 1, 0)])
    with pytest.raises(UserError, match="0 <= C < 2, 0 <= Y < 6, 0 <= X < 6"):
        effective_receptive_field(model, "conv0", (0, 6, 0))
    with pytest.raises(UserError, match="No layer named"):
        effective_receptive_field(model, "conv9", (0, 0, 0))


def test_lenet5_fields_are_deterministic_and_depend_on_the_base_image():
    model = zoo.build("lenet5")
    first = effective_receptive_field(model, "c3", (3, 4, 5))
    again = effective_receptive_field(model, "c3", (3, 4, 5))
    np.testing.assert_array_equal(first.magnitude, again.magnitude)
    assert first.box == (8, 10, 21, 23) and first.base == "grey"  # c3 unit (4, 5): 14x14 from (4*2, 5*2)
    digit = np.zeros((28, 28), np.uint8)
    digit[6:22, 12:16] = 255
    around = effective_receptive_field(model, "c3", (3, 4, 5), digit)
    assert around.base == "image" and not np.allclose(around.magnitude, first.magnitude)
    top, left, bottom, right = first.box
    outside = np.ones((32, 32), bool)
    outside[top:bottom + 1, left:right + 1] = False
    assert not first.magnitude[outside].any() and 0 < first.fraction90 < 1
    vector = effective_receptive_field(model, "f6", (0, 0, 0))  # a fully connected unit sees the whole input
    assert vector.full_box is None and vector.box == (0, 0, 31, 31)
