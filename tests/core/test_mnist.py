"""The MNIST case study: trained weights fit the zoo's LeNet-5, and the recorded numbers are what the app measures."""
from __future__ import annotations

import numpy as np
import pytest

from explorer.core import mnist, paths, zoo
from explorer.core.errors import UserError
from explorer.core.runtime import compute_activations
from explorer.core.zoo import lenet5

# Measured with the app's runtime on the bundled held-out digits (also in onnx_models/README.md).
LENET_ACCURACY = 0.962
SHIFT_RIGHT_4 = {"LeNet-5": 0.409, "Fully connected": 0.220}


@pytest.fixture(scope="module")
def digits() -> mnist.Digits:
    return mnist.heldout_digits()


@pytest.fixture(scope="module")
def lenet() -> mnist.DigitClassifier:
    return mnist.lenet_classifier()


@pytest.fixture(scope="module")
def mlp() -> mnist.DigitClassifier:
    return mnist.mlp_classifier()


def test_heldout_digits_are_uint8_mnist_with_every_class(digits):
    assert digits.images.dtype == np.uint8 and digits.images.shape == (1000, 28, 28)
    assert np.bincount(digits.labels, minlength=10).tolist() == [100] * 10
    # MNIST convention: white digit on black, so the border is dark.
    assert digits.images[:, 0, :].mean() < 5 and digits.images.max() == 255


def test_trained_weights_match_the_zoo_layer_by_layer():
    with np.load(paths.onnx_models_dir() / zoo.LENET_WEIGHTS_FILE) as npz:
        shapes = {k: npz[k].shape for k in npz.files if k != zoo.WEIGHTS_SOURCE_KEY}
        source = str(npz[zoo.WEIGHTS_SOURCE_KEY])
    assert shapes == lenet5.WEIGHT_SHAPES
    model = zoo.build("lenet5")
    initializers = {t.name: tuple(t.dims) for t in model.graph.initializer}
    assert {k: initializers[k] for k in shapes} == shapes
    assert sum(int(np.prod(s)) for s in shapes.values()) == lenet5.PARAMS == 61_706
    meta = {p.key: p.value for p in model.metadata_props}
    assert meta["cnn_explorer.weights"] == source and f"{LENET_ACCURACY:.1%}" in source


def test_lenet_reaches_95_percent_through_the_apps_runtime(lenet, digits):
    acc = mnist.accuracy(lenet.probabilities_many(digits.images), digits.labels)
    assert acc >= 0.95
    assert acc == pytest.approx(LENET_ACCURACY, abs=0.0015)
    assert mnist.recorded_accuracy(lenet) == pytest.approx(LENET_ACCURACY)


def test_compute_activations_runs_the_trained_lenet_on_a_raw_digit(digits):
    acts = compute_activations(zoo.build("lenet5"), digits.images[0])
    assert int(np.argmax(acts.output)) == digits.labels[0]
    assert acts.tensors[acts.layer_tensor["c1"]].shape == (1, 6, 28, 28)


def test_fc_accuracy_is_the_recorded_one(mlp, digits):
    assert mlp.params == 28 * 28 * 500 + 500 + 500 * 10 + 10 == 397_510
    recorded = mnist.recorded_accuracy(mlp)
    assert recorded is not None
    assert mnist.accuracy(mlp.probabilities_many(digits.images), digits.labels) == pytest.approx(recorded, abs=0.0015)


def test_shift_curves_lenet_falls_more_slowly(lenet, mlp, digits):
    seen: list[float] = []
    curve = mnist.shift_robustness([lenet, mlp], digits, shifts=(0, 4), direction="right", progress=seen.append)
    assert curve.shifts == (0, 4) and seen[-1] == pytest.approx(1.0)
    for name, expected in SHIFT_RIGHT_4.items():
        assert curve.accuracy[name][1] == pytest.approx(expected, abs=0.006)
    lenet_drop = curve.accuracy["LeNet-5"][0] - curve.accuracy["LeNet-5"][1]
    fc_drop = curve.accuracy["Fully connected"][0] - curve.accuracy["Fully connected"][1]
    assert lenet_drop < fc_drop


def test_shift_robustness_can_be_cancelled(lenet, digits):
    from explorer.core.runtime import RunCancelled
    with pytest.raises(RunCancelled):
        mnist.shift_robustness([lenet], digits, cancelled=lambda: True)
    with pytest.raises(UserError):
        mnist.shift_robustness([lenet], digits, direction="sideways")


def test_shift_digits_moves_with_zero_fill():
    img = np.arange(16, dtype=np.uint8).reshape(4, 4) + 1
    right = mnist.shift_digits(img, 1, 0)
    assert (right[:, 0] == 0).all() and (right[:, 1:] == img[:, :3]).all()
    diag = mnist.shift_digits(np.stack([img, img]), -1, 2)
    assert diag.shape == (2, 4, 4) and (diag[:, :2] == 0).all() and (diag[:, 2:, :3] == img[:2, 1:]).all()
    assert not mnist.shift_digits(img, 4, 0).any()
    assert (mnist.shift_digits(img, 0, 0) == img).all()


def test_normalize_drawing_makes_an_mnist_like_digit(lenet):
    canvas = np.zeros((280, 280), np.uint8)
    canvas[30:110, 200:215] = 255  # a small "1" drawn in the top-right corner
    digit = mnist.normalize_drawing(canvas)
    assert digit.shape == (28, 28) and digit.dtype == np.uint8
    rows, _cols = np.nonzero(digit)
    assert rows.max() - rows.min() + 1 == 20  # the long side fills the 20-pixel box
    ys, xs = np.indices(digit.shape)
    mass = digit.astype(float)
    assert abs((ys * mass).sum() / mass.sum() - 13.5) <= 0.5
    assert abs((xs * mass).sum() / mass.sum() - 13.5) <= 0.5
    assert int(np.argmax(lenet.probabilities(digit))) == 1
    assert not mnist.normalize_drawing(np.zeros((50, 50), np.uint8)).any()


def test_weight_explosion_numbers_from_the_lecture():
    assert mnist.fc_weights(64, 64, 1, 500).weights == 2_048_000
    assert mnist.fc_weights(64, 64, 3, 500).weights == 6_144_000
    assert mnist.fc_weights(28, 28, 1, 500).total == 392_500
    conv = mnist.conv_weights(5, 3, 32)
    assert (conv.weights, conv.biases, conv.total) == (2_400, 32, 2_432)
    # Nothing about the image size enters the convolution's count.
    assert mnist.conv_weights(5, 1, 6).total == 156 == lenet5_c1_params()
    with pytest.raises(UserError):
        mnist.fc_weights(0, 64, 1, 500)


def lenet5_c1_params() -> int:
    return int(np.prod(lenet5.WEIGHT_SHAPES["c1.weight"])) + lenet5.WEIGHT_SHAPES["c1.bias"][0]
