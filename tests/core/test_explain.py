"""Explanations: known answers on generated models, oracles for the cut graph, determinism, LeNet-5 on digits."""
from __future__ import annotations

import threading

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper, numpy_helper

from explorer.core import explain, mnist, zoo
from explorer.core import preprocess as pp
from explorer.core.errors import UserError
from explorer.core.explain.methods import positions, to_image
from explorer.core.runtime import RunCancelled

SIDE = 32           # model input
SQUARE = (8, 16, 19, 27)  # (top, left, bottom, right) inclusive on the model input: 12 x 12, 14 % of it
METHODS = explain.METHODS


def _init(name: str, array) -> onnx.TensorProto:
    return numpy_helper.from_array(np.asarray(array, np.float32), name)


def square_model(weights: str = "trained for a test") -> onnx.ModelProto:
    """conv 3x3 (positive weights) -> relu -> maxpool 2 -> times a 0/1 mask that is 1 only over SQUARE's 6x6
    cells -> global average -> fc (3 classes) -> softmax. The class scores depend on SQUARE's pixels alone."""
    rng = np.random.default_rng(0)
    mask = np.zeros((1, 1, SIDE // 2, SIDE // 2), np.float32)
    top, left, bottom, right = SQUARE
    mask[..., top // 2:bottom // 2 + 1, left // 2:right // 2 + 1] = 1
    nodes = [
        helper.make_node("Conv", ["x", "w1", "b1"], ["conv1"], name="conv1", pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["conv1"], ["relu1"], name="relu1"),
        helper.make_node("MaxPool", ["relu1"], ["pool1"], name="pool1", kernel_shape=[2, 2], strides=[2, 2]),
        helper.make_node("Mul", ["pool1", "mask"], ["masked"], name="masked"),
        helper.make_node("GlobalAveragePool", ["masked"], ["gap"], name="gap"),
        helper.make_node("Flatten", ["gap"], ["flat"], name="flat"),
        helper.make_node("Gemm", ["flat", "fc_w", "fc_b"], ["logits"], name="fc", transB=1),
        helper.make_node("Softmax", ["logits"], ["prob"], name="prob"),
    ]
    inits = [_init("w1", rng.uniform(0.1, 1.0, (4, 3, 3, 3))), _init("b1", np.zeros(4)), _init("mask", mask),
             _init("fc_w", [[1, 1, 1, 1], [-1, -1, -1, -1], [0.5, -0.5, 0.5, -0.5]]), _init("fc_b", np.zeros(3))]
    graph = helper.make_graph(nodes, "square", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, SIDE, SIDE])],
                              [helper.make_tensor_value_info("prob", TensorProto.FLOAT, [1, 3])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8)
    helper.set_model_props(model, {pp.METADATA_KEY: pp.Preprocess(size=(SIDE, SIDE)).to_json(),
                                   "cnn_explorer.weights": weights,
                                   "cnn_explorer.labels": '["bright", "dark", "mixed"]'})
    return model


def logits_of(model: onnx.ModelProto, x: np.ndarray) -> np.ndarray:
    """The oracle: a plain onnxruntime run of the whole model with 'logits' added to its outputs."""
    copy = onnx.ModelProto()
    copy.CopyFrom(model)
    copy.graph.output.append(helper.make_tensor_value_info("logits", TensorProto.FLOAT, None))
    session = ort.InferenceSession(copy.SerializeToString(), providers=["CPUExecutionProvider"])
    return session.run(["logits"], {"x": x})[0][0]


def textured_image(side: int = 2 * SIDE) -> np.ndarray:
    """Noise everywhere (so every layer is busy everywhere), brighter inside the square (scaled to the image)."""
    rng = np.random.default_rng(1)
    image = rng.integers(0, 120, (side, side, 3)).astype(np.uint8)
    f = side // SIDE
    top, left, bottom, right = SQUARE
    image[top * f:(bottom + 1) * f, left * f:(right + 1) * f] += 120
    return image


def _inside(heat: np.ndarray, box: tuple[int, int, int, int], grow: int = 0) -> float:
    top, left, bottom, right = box
    positive = np.maximum(heat, 0)
    inner = positive[max(top - grow, 0):bottom + grow + 1, max(left - grow, 0):right + grow + 1].sum()
    return float(inner / positive.sum())


@pytest.fixture(scope="module")
def square() -> explain.ExplainModel:
    return explain.ExplainModel(square_model())


@pytest.mark.parametrize("method", METHODS)
def test_every_method_puts_the_heat_in_the_square_the_score_depends_on(square, method):
    """The image is 64x64, the model input 32x32: the square is SQUARE scaled by 2 on the image.

    Thresholds: each method can only blur its answer by a known amount. CAMs are upsampled bilinearly from the
    16x16 layer, which reaches 1 model pixel past the square; occlusion credits a pixel with the drop of every
    patch covering it, which reaches patch-1 model pixels past it; the bilinear step onto the 64x64 image adds
    1 image pixel. Inside the square grown by that blur lies all the heat (>= 0.999: float rounding only). Inside
    the square proper: if heat were spread evenly over the grown square, CAMs would put (24/30)^2 = 0.64 of it
    there and occlusion (24/54)^2 = 0.20; we require clearly more (0.85 and 0.5)."""
    result = explain.explain(square, textured_image(), method)
    assert result.heat.shape == (2 * SIDE, 2 * SIDE) and result.heat.dtype == np.float32
    assert result.class_index == 0 and result.class_name == "bright"  # the bright square drives class 0
    reach = explain.default_patch((SIDE, SIDE))[0] - 1 if method == "occlusion" else 1
    box = tuple(2 * v + (1 if i >= 2 else 0) for i, v in enumerate(SQUARE))  # inclusive box on the image
    assert _inside(result.heat, box, 2 * reach + 1) >= 0.999
    assert _inside(result.heat, box) >= (0.5 if method == "occlusion" else 0.85)


@pytest.mark.parametrize("fill", explain.FILLS)
def test_occlusion_outside_the_square_changes_nothing_for_every_fill(square, fill):
    result = explain.occlusion(square, textured_image(SIDE), patch=4, stride=2, fill=fill)
    top, left, bottom, right = SQUARE
    outside = np.ones((SIDE, SIDE), bool)
    outside[top - 3:bottom + 4, left - 3:right + 4] = False  # 3 = patch - 1: patches touching the square
    assert np.all(result.input_heat[outside] == 0)
    assert result.input_heat[top:bottom + 1, left:right + 1].mean() > 0  # covering the bright square hurts
    assert result.passes == len(positions(SIDE, 4, 2)) ** 2 + 1


def test_occlusion_drop_equals_a_direct_run_of_the_occluded_image(square):
    """One patch covering the whole input: the map is the drop from the unaltered to the filled image."""
    image = textured_image(SIDE)
    result = explain.occlusion(square, image, patch=SIDE, stride=SIDE, fill="zero")
    x = pp.prepare(image, square.preprocess).tensor
    black = np.zeros_like(x)  # mean 0, std 1: black pixels are 0 in this model's units
    expected = logits_of(square_model(), x)[0] - logits_of(square_model(), black)[0]
    np.testing.assert_allclose(result.input_heat, expected, rtol=1e-5)
    assert result.passes == 2


def test_class_is_the_top_one_unless_chosen_and_bad_classes_are_refused(square):
    image = textured_image()
    chosen = explain.explain(square, image, "score-cam", class_index=2)
    assert (chosen.class_index, chosen.class_name, chosen.top_class) == (2, "mixed", 0)
    logits = logits_of(square_model(), pp.prepare(image, square.preprocess).tensor)
    assert chosen.score == pytest.approx(float(logits[2]), rel=1e-5)
    with pytest.raises(UserError, match="classes 0 to 2"):
        explain.explain(square, image, "eigen-cam", class_index=3)
    with pytest.raises(UserError, match="occlusion, score-cam"):
        explain.explain(square, image, "grad-cam")
    with pytest.raises(UserError, match="No layer named"):
        explain.explain(square, image, "ablation-cam", layer="nope")
    with pytest.raises(UserError, match="not a \\(N, C, H, W\\) map"):
        explain.explain(square, image, "score-cam", layer="fc")


def test_default_layer_is_the_last_spatial_map_and_random_weights_are_noted(square):
    assert square.default_layer() == "masked"
    assert square.spatial_layers() == ("conv1", "relu1", "pool1", "masked")
    assert not square.random and explain.RANDOM_NOTE not in square.notes
    random = explain.ExplainModel(square_model(weights=zoo.random_weights_label()))
    assert random.random and explain.RANDOM_NOTE in explain.explain(random, textured_image(), "eigen-cam").notes


@pytest.mark.parametrize("method", METHODS)
def test_same_inputs_give_identical_maps(square, method):
    image = textured_image()
    first = explain.explain(square, image, method)
    again = explain.explain(explain.ExplainModel(square_model()), image, method)  # fresh sessions too
    np.testing.assert_array_equal(first.heat, again.heat)


def residual_model() -> onnx.ModelProto:
    """x -> conv a -> relu -> conv b -> add(b, a) -> relu -> gap -> fc: the part after 'b' also needs 'ra'."""
    rng = np.random.default_rng(3)
    nodes = [
        helper.make_node("Conv", ["x", "wa"], ["a"], name="a", pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["a"], ["ra"], name="ra"),
        helper.make_node("Conv", ["ra", "wb"], ["b"], name="b", pads=[1, 1, 1, 1]),
        helper.make_node("Add", ["b", "ra"], ["sum"], name="sum"),
        helper.make_node("Relu", ["sum"], ["out"], name="out"),
        helper.make_node("GlobalAveragePool", ["out"], ["gap"], name="gap"),
        helper.make_node("Flatten", ["gap"], ["flat"], name="flat"),
        helper.make_node("Gemm", ["flat", "fc_w"], ["logits"], name="fc", transB=1),
    ]
    inits = [_init("wa", rng.normal(0, 0.5, (5, 1, 3, 3))), _init("wb", rng.normal(0, 0.5, (5, 5, 3, 3))),
             _init("fc_w", rng.normal(0, 1, (4, 5)))]
    graph = helper.make_graph(nodes, "res", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 1, 12, 12])],
                              [helper.make_tensor_value_info("logits", TensorProto.FLOAT, [1, 4])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8)
    helper.set_model_props(model, {pp.METADATA_KEY: pp.Preprocess(size=(12, 12), mean=(0.5,), std=(0.25,),
                                                                  grayscale=True).to_json()})
    return model


def test_ablation_cam_equals_ablating_each_channel_in_the_whole_model():
    """Oracle: the whole model with a 0/1 channel mask multiplied in after 'b', one onnxruntime run per channel.
    Ablation-CAM itself runs only the part after 'b', fed the skip tensor 'ra' from the unaltered run."""
    model = residual_model()
    image = np.random.default_rng(4).integers(0, 256, (12, 12)).astype(np.uint8)
    result = explain.ablation_cam(model, image, layer="b", class_index=1)
    assert (result.passes, result.head_passes) == (1, 5)

    masked = onnx.ModelProto()
    masked.CopyFrom(model)
    for node in masked.graph.node:
        if node.name == "sum":
            node.input[0] = "b_masked"
    masked.graph.node.insert(3, helper.make_node("Mul", ["b", "keep"], ["b_masked"]))
    masked.graph.input.append(helper.make_tensor_value_info("keep", TensorProto.FLOAT, [1, 5, 1, 1]))
    masked.graph.output.append(helper.make_tensor_value_info("b", TensorProto.FLOAT, None))
    session = ort.InferenceSession(masked.SerializeToString(), providers=["CPUExecutionProvider"])
    x = ((image / 255.0 - 0.5) / 0.25).astype(np.float32)[None, None]
    score, acts = session.run(["logits", "b"], {"x": x, "keep": np.ones((1, 5, 1, 1), np.float32)})
    drops = []
    for k in range(5):
        keep = np.ones((1, 5, 1, 1), np.float32)
        keep[0, k] = 0
        drops.append(score[0, 1] - session.run(["logits"], {"x": x, "keep": keep})[0][0, 1])
    cam = np.maximum(np.tensordot(np.array(drops), acts[0], axes=1), 0)
    np.testing.assert_allclose(result.input_heat, cam / cam.max(), atol=1e-5)  # same size: no resampling


def test_score_cam_gives_flat_channels_weight_zero_not_nan():
    """Channel 1 of conv1 has zero weights: a constant map that pytorch-grad-cam turns into 0/0 = NaN."""
    b = square_model()
    w = numpy_helper.to_array(next(t for t in b.graph.initializer if t.name == "w1")).copy()
    w[1] = 0
    b.graph.initializer.remove(next(t for t in b.graph.initializer if t.name == "w1"))
    b.graph.initializer.append(_init("w1", w))
    result = explain.score_cam(b, textured_image(), layer="conv1")
    assert np.isfinite(result.heat).all() and result.input_heat.max() == pytest.approx(1.0)
    assert result.passes == 4  # three live channels + the unaltered image


def test_eigen_cam_sign_puts_the_outlying_positions_up():
    """Activations that are the same everywhere but in one position: that position is the far end of the
    first principal component whatever sign the SVD returns, so it is the one that lights up."""
    model = residual_model()
    image = np.full((12, 12), 128, np.uint8)
    image[5:7, 5:7] = 255
    for flipped in (False, True):
        img = 255 - image if flipped else image
        result = explain.eigen_cam(model, img, layer="ra")
        peak = np.unravel_index(np.argmax(result.input_heat), result.input_heat.shape)
        assert 4 <= peak[0] <= 7 and 4 <= peak[1] <= 7
        assert result.input_heat[0, 0] == 0


def test_maps_come_back_on_the_image_through_the_crop():
    """A ramp over the model input (value = model column) read back on the image at the point where
    CoordMap.point_to_image puts model column c gives c (bilinear is exact on a ramp); the 20x40 image is cropped
    to its middle 20x20 (columns 10..29), so every other column is 0."""
    pre = pp.Preprocess(size=(16, 16), resize="center_crop", grayscale=True, mean=(0,), std=(1,))
    prepared = pp.prepare(np.zeros((20, 40), np.uint8), pre)
    ramp = np.tile(np.arange(16, dtype=np.float32), (16, 1))
    on_image = to_image(ramp, prepared.to_image)
    assert on_image.shape == (20, 40)
    for col in range(1, 15):
        row, j = prepared.to_image.point_to_image(8, col)
        assert np.interp(j, np.arange(40), on_image[int(row)]) == pytest.approx(col, abs=1e-4)
    assert on_image[:, :10].max() == 0 and on_image[:, 30:].max() == 0
    assert on_image[:, 10:30].min() >= 0 and on_image[:, 29].min() > 14


def test_a_cancel_check_that_fires_stops_between_batches_and_in_a_run(square):
    stop = threading.Event()
    calls = []

    def progress(fraction: float, text: str) -> None:
        calls.append(fraction)
        stop.set()

    lenet = explain.ExplainModel(zoo.build("lenet5"))
    with pytest.raises(RunCancelled):  # 50 images in batches of 8: the second batch never starts
        explain.occlusion(lenet, mnist.heldout_digits().images[0], progress=progress, cancelled=stop.is_set)
    assert len(calls) == 1
    with pytest.raises(RunCancelled):
        explain.explain(square, textured_image(), "score-cam", cancelled=lambda: True)


def _stroke_ratio(em: explain.ExplainModel, method: str, layer: str | None, per_class: int) -> float:
    """Mean heat on stroke pixels (> 127) over mean heat on background pixels, pooled over the first ``per_class``
    held-out digits of every class (the file is sorted by class; each map is scaled to max 1 first, so no single
    digit dominates). 1 = no preference."""
    digits = mnist.heldout_digits()
    chosen = np.concatenate([np.flatnonzero(digits.labels == k)[:per_class] for k in range(10)])
    on, off = [], []
    for image in digits.images[chosen]:
        heat = explain.unit_heat(explain.explain(em, image, method, layer=layer).heat)
        on.append(heat[image > 127])
        off.append(heat[image <= 127])
    return float(np.concatenate(on).mean() / np.concatenate(off).mean())


# Measured on 10 held-out digits of each class: occlusion 2.88, Score-CAM at s4 (default) 1.76, Eigen-CAM at s2
# 6.37. Eigen-CAM at the default s4 (5x5) gives 0.77: its first component follows where the digit sits, not its
# strokes, hence s2 here. Ablation-CAM is not asserted because it fails here: 0.75 at s4, 0.62-0.80 at every
# other layer. LeNet-5's maps are tanh: on the black background every channel sits at tanh(bias), far from 0, so
# "set the channel to 0" is no absence and the weighted sum of those constant maps lights the background (the
# oracle test above shows the computation itself is right). The bounds are just under the measured values: the
# computation is deterministic, a different answer is a regression.
@pytest.mark.parametrize("method, layer, bound", [("occlusion", None, 2.7), ("score-cam", None, 1.7),
                                                  ("eigen-cam", "s2", 6.0)])
def test_lenet5_maps_fall_on_the_strokes(method, layer, bound):
    em = explain.ExplainModel(zoo.build("lenet5"))
    assert not em.random and em.default_layer() == "s4"
    assert _stroke_ratio(em, method, layer, 10) > bound


@pytest.mark.parametrize("shape", [(6, 20), (20, 6), (130, 140), (150, 129)])  # both Gram sides, both solvers
def test_first_component_matches_numpy_svd_up_to_sign(shape):
    from explorer.core.explain.methods import _first_component

    rows = np.random.default_rng(5).normal(size=shape)
    centred = rows - rows.mean(axis=0)
    _, _, vt = np.linalg.svd(centred, full_matrices=False)
    ours, reference = _first_component(centred), centred @ vt[0]
    np.testing.assert_allclose(ours * np.sign(ours @ reference), reference, atol=1e-8)


def test_a_model_that_hard_codes_batch_1_is_run_one_image_at_a_time(square):
    """Exporters often write Reshape(x, [1, -1]) instead of Flatten: batches of several fail inside the graph."""
    model = square_model()
    flatten = next(n for n in model.graph.node if n.op_type == "Flatten")
    flatten.CopyFrom(helper.make_node("Reshape", ["gap", "one_row"], ["flat"], name="flat"))
    model.graph.initializer.append(numpy_helper.from_array(np.array([1, -1], np.int64), "one_row"))
    image = textured_image()
    fixed = explain.ExplainModel(model)
    for method in METHODS:
        np.testing.assert_allclose(explain.explain(fixed, image, method).heat,
                                   explain.explain(square, image, method).heat, rtol=1e-5, atol=1e-6)
    assert fixed.net([fixed.input_name], [fixed.score_tensor]).batch == 1
