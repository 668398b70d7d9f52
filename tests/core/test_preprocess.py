"""Preprocessing recipes, exact tensor values, and model-input -> image coordinate maps."""
import json

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper

from explorer.core.errors import UserError
from explorer.core.preprocess import (
    IMAGENET_MEAN,
    IMAGENET_STD,
    METADATA_KEY,
    Preprocess,
    default_for_input,
    for_model,
    from_model,
    prepare,
)

# 2x2 RGB: red, green / blue, white
RGB = np.array([[[255, 0, 0], [0, 255, 0]], [[0, 0, 255], [255, 255, 255]]], np.uint8)


def test_scale_mean_std_exact_nchw():
    pre = Preprocess(size=(2, 2), mean=(0.5, 0.25, 0.0), std=(0.5, 0.25, 2.0))
    out = prepare(RGB, pre)
    assert out.tensor.dtype == np.float32 and out.tensor.shape == (1, 3, 2, 2)
    r, g, b = out.tensor[0]
    np.testing.assert_allclose(r, [[1.0, -1.0], [-1.0, 1.0]], atol=1e-6)      # (v - 0.5) / 0.5
    np.testing.assert_allclose(g, [[-1.0, 3.0], [-1.0, 3.0]], atol=1e-6)      # (v - 0.25) / 0.25
    np.testing.assert_allclose(b, [[0.0, 0.0], [0.5, 0.5]], atol=1e-6)        # v / 2
    np.testing.assert_array_equal(out.resized_rgb, RGB)


def test_bgr_swaps_channels_before_mean():
    pre = Preprocess(size=(2, 2), scale=1.0, mean=(10, 20, 30), channel_order="BGR")
    t = prepare(RGB, pre).tensor[0]
    np.testing.assert_array_equal(t[0], RGB[:, :, 2] - 10.0)  # first plane is blue
    np.testing.assert_array_equal(t[2], RGB[:, :, 0] - 30.0)


def test_grayscale_and_nhwc():
    pre = Preprocess(size=(2, 2), mean=(0.0,), std=(1.0,), grayscale=True, layout="NHWC")
    out = prepare(RGB, pre)
    assert out.tensor.shape == (1, 2, 2, 1)
    # cv2's BT.601 weights: 0.299 R + 0.587 G + 0.114 B, rounded to uint8
    expected = np.array([[76, 150], [29, 255]], np.float32) / 255
    np.testing.assert_allclose(out.tensor[0, :, :, 0], expected, atol=1e-6)
    assert out.resized_rgb.shape == (2, 2, 3)


def test_nhwc_is_nchw_transposed_and_gray_image_feeds_rgb_model():
    gray = np.array([[0, 100], [200, 255]], np.uint8)
    nchw = prepare(gray, Preprocess(size=(2, 2))).tensor
    nhwc = prepare(gray, Preprocess(size=(2, 2), layout="NHWC")).tensor
    np.testing.assert_array_equal(nchw.transpose(0, 2, 3, 1), nhwc)
    for c in range(3):
        np.testing.assert_allclose(nchw[0, c], gray / 255, atol=1e-6)


def test_loaded_image_like_object_and_resize_sizes():
    class Loaded:
        pixels = np.zeros((40, 60, 3), np.uint8)

    assert prepare(Loaded(), Preprocess(size=(20, 30))).tensor.shape == (1, 3, 20, 30)
    assert prepare(Loaded(), Preprocess(size=(80, 90))).resized_rgb.shape == (80, 90, 3)


def test_coord_map_resize_by_hand():
    image = np.zeros((100, 200, 3), np.uint8)
    cmap = prepare(image, Preprocess(size=(50, 50))).to_image
    assert cmap.box_to_image((0, 0, 49, 49)) == (0, 0, 99, 199)          # whole input -> whole image
    assert cmap.box_to_image((10, 10, 19, 19)) == (20, 40, 39, 79)       # scale 0.5 vertically, 0.25 horizontally
    assert cmap.point_to_image(0, 0) == (0.5, 1.5)                       # pixel centre 0.5 -> 1.0 / 2.0


def test_coord_map_center_crop_by_hand():
    image = np.zeros((100, 200), np.uint8)
    image[:, 100:] = 255  # right half white
    out = prepare(image, Preprocess(size=(50, 50), resize="center_crop", scale=1.0))
    # Shorter side 100 -> 50 (scale 0.5): resized 50x100, centre crop starts at column 25.
    assert out.to_image.box_to_image((0, 0, 49, 49)) == (0, 50, 99, 149)
    assert out.to_image.box_to_image((0, 25, 0, 25)) == (0, 100, 1, 101)
    plane = out.tensor[0, 0]
    assert (plane[:, :25] == 0).all() and (plane[:, 25:] == 255).all()


def test_center_crop_portrait():
    image = np.zeros((300, 100, 3), np.uint8)
    out = prepare(image, Preprocess(size=(224, 224), resize="center_crop"))
    assert out.tensor.shape == (1, 3, 224, 224)
    top, left, bottom, right = out.to_image.box_to_image((0, 0, 223, 223))
    assert (left, right) == pytest.approx((0, 99))
    assert (top, bottom) == pytest.approx((100, 199), abs=0.5)


def test_json_round_trip_and_metadata():
    pre = Preprocess(size=(28, 28), mean=(0.1307,), std=(0.3081,), grayscale=True)
    text = pre.to_json()
    assert set(json.loads(text)) == {"size", "resize", "scale", "mean", "std", "channel_order", "grayscale", "layout"}
    assert Preprocess.from_json(text) == pre
    graph = helper.make_graph([helper.make_node("Relu", ["x"], ["y"])], "g",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 1, 28, 28])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 1, 28, 28])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8)
    assert from_model(model) is None
    assert for_model(model, (1, 1, 28, 28))[1] is not None  # guessed: a note to show
    onnx.helper.set_model_props(model, {METADATA_KEY: text})
    assert from_model(model) == pre
    assert for_model(model, (1, 1, 28, 28)) == (pre, None)
    with pytest.raises(UserError):
        Preprocess.from_json('{"size": [2, 2], "colour": "blue"}')


def test_default_for_input():
    pre, note = default_for_input((1, 3, 227, 227))
    assert pre == Preprocess(size=(227, 227), mean=IMAGENET_MEAN, std=IMAGENET_STD) and "guessed" in note
    gray, _ = default_for_input((1, 1, 32, 32))
    assert gray.grayscale and gray.size == (32, 32) and gray.mean == (0.0,)
    dynamic, _ = default_for_input(("N", 3, "H", "W"))
    assert dynamic.size == (224, 224)
    nhwc, _ = default_for_input((1, 64, 48, 3))
    assert nhwc.layout == "NHWC" and nhwc.size == (64, 48)


def test_bad_recipes_are_user_errors():
    with pytest.raises(UserError):
        prepare(RGB, Preprocess(size=(2, 2), mean=(0.1, 0.2)))
    with pytest.raises(UserError):
        Preprocess(size=(2, 2), std=(1, 0, 1))
    with pytest.raises(UserError):
        prepare(np.zeros((2, 2, 5), np.uint8), Preprocess(size=(2, 2)))
