"""The MNIST case study: trained LeNet-5 against a fully connected 784-500-10 network.

Everything the MNIST tab shows is computed here, through the app's own runtime and preprocessing, so the
numbers in the GUI, the tests and onnx_models/README.md come from one code path:

* the held-out digits (assets/digits/mnist_heldout.npz, never seen in training by tools/train_mnist.py),
* ``DigitClassifier``: one network = one ActivationSession + the model's stored preprocessing recipe,
* ``normalize_drawing``: a hand-drawn digit made to look like MNIST (20x20 box, centred by mass in 28x28),
* ``shift_digits`` / ``shift_robustness``: accuracy as every digit is moved by 0..6 pixels,
* ``fc_weights`` / ``conv_weights``: the lecture's weight-explosion arithmetic.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import onnx

from explorer.core import metadata, paths, zoo
from explorer.core import preprocess as pp
from explorer.core.errors import UserError
from explorer.core.onnx_load import load_model
from explorer.core.runtime import ActivationSession, RunCancelled

HELDOUT_FILE = Path("digits") / "mnist_heldout.npz"   # inside assets/
MLP_FILE = "mlp500_mnist.onnx"                        # inside onnx_models/
ACCURACY_KEY = metadata.HELDOUT_ACCURACY
WEIGHTS_KEY = metadata.WEIGHTS
LABELS = tuple(str(d) for d in range(10))
SIZE = 28          # MNIST digits are 28x28 ...
BOX = 20           # ... with the digit size-normalised into a 20x20 box and centred by its centre of mass
SHIFTS = tuple(range(7))
DIRECTIONS: dict[str, tuple[int, int]] = {"right": (1, 0), "down": (0, 1), "diagonal": (1, 1)}

Progress = Callable[[float], None]
Cancelled = Callable[[], bool]


@dataclass(frozen=True)
class Digits:
    images: np.ndarray  # uint8 (N, 28, 28), white digit on black, 0..255
    labels: np.ndarray  # uint8 (N,)

    def __len__(self) -> int:
        return len(self.labels)


def heldout_digits() -> Digits:
    """The bundled held-out MNIST digits."""
    path = paths.assets_dir() / HELDOUT_FILE
    try:
        with np.load(path, allow_pickle=False) as npz:
            return Digits(npz["images"].astype(np.uint8), npz["labels"].astype(np.uint8))
    except (OSError, KeyError, ValueError) as exc:
        raise UserError(f"Cannot read the held-out digits {path}: {exc}. Reinstall CNN Explorer.") from None


class DigitClassifier:
    """A digit network run by the app's runtime with the preprocessing stored in its metadata."""

    def __init__(self, name: str, model: onnx.ModelProto) -> None:
        self.name = name
        self.params = sum(int(np.prod(t.dims)) for t in model.graph.initializer)
        self.metadata = {p.key: p.value for p in model.metadata_props}
        self.session = ActivationSession(model)
        if self.session.preprocess is None:
            raise UserError(f"The {name} model has no preprocessing metadata; re-export it with tools/train_mnist.py.")
        self.preprocess: pp.Preprocess = self.session.preprocess

    def probabilities(self, image: np.ndarray) -> np.ndarray:
        """uint8 digit (any size, white on black) -> float32 (10,) class probabilities (the graph ends in Softmax)."""
        return self.session.run(pp.prepare(image, self.preprocess).tensor).output.reshape(-1).astype(np.float32)

    def probabilities_many(self, images: np.ndarray, progress: Progress | None = None,
                           cancelled: Cancelled | None = None) -> np.ndarray:
        """(N, H, W) digits -> (N, 10); progress(fraction) now and then; raises RunCancelled when asked to stop."""
        out = np.empty((len(images), len(LABELS)), np.float32)
        for i, image in enumerate(images):
            if cancelled is not None and cancelled():
                raise RunCancelled("The run was cancelled.")
            out[i] = self.probabilities(image)
            if progress is not None and (i % 50 == 49 or i == len(images) - 1):
                progress((i + 1) / len(images))
        return out

    def cancel(self) -> None:
        self.session.cancel()


def lenet_classifier() -> DigitClassifier:
    """The zoo's LeNet-5 (the one architecture definition) with the bundled trained weights."""
    return DigitClassifier("LeNet-5", zoo.build("lenet5"))


def mlp_path() -> Path:
    return paths.onnx_models_dir() / MLP_FILE


def mlp_model() -> onnx.ModelProto:
    return load_model(mlp_path())  # the app's safe loader: clear UserError for a missing or damaged file


def mlp_classifier() -> DigitClassifier:
    """The fully connected 784-500-10 network trained alongside LeNet-5."""
    return DigitClassifier("Fully connected", mlp_model())


def recorded_accuracy(classifier: DigitClassifier) -> float | None:
    """The held-out accuracy tools/train_mnist.py recorded: the FC model's own metadata key, or for LeNet-5
    (whose npz may hold nothing but weights and one description) the "held-out accuracy 96.2%" in that text."""
    value = classifier.metadata.get(ACCURACY_KEY)
    if value:
        return float(value)
    found = re.search(r"held-out accuracy (\d+(?:\.\d+)?)%", classifier.metadata.get(WEIGHTS_KEY, ""))
    return float(found.group(1)) / 100 if found else None


def accuracy(probabilities: np.ndarray, labels: np.ndarray) -> float:
    return float(np.mean(np.argmax(probabilities, axis=1) == labels))


def normalize_drawing(canvas: np.ndarray) -> np.ndarray:
    """A drawing (uint8 (H,W), white strokes on black, any size) -> a 28x28 MNIST-like digit.

    MNIST's recipe: the digit's bounding box is scaled (aspect kept, anti-aliased) to fit a 20x20 box, then
    placed in a 28x28 field so its centre of mass sits in the middle. Without this a digit drawn small or
    off-centre on the pad looks nothing like what the networks were trained on. An empty canvas stays black.
    """
    canvas = np.asarray(canvas)
    if canvas.ndim == 3:
        canvas = canvas.mean(axis=2)
    canvas = np.clip(canvas, 0, 255).astype(np.uint8)
    rows, cols = np.nonzero(canvas)
    out = np.zeros((SIZE, SIZE), np.uint8)
    if rows.size == 0:
        return out
    crop = canvas[rows.min():rows.max() + 1, cols.min():cols.max() + 1]
    h, w = crop.shape
    scale = BOX / max(h, w)
    nh, nw = max(1, round(h * scale)), max(1, round(w * scale))
    digit = cv2.resize(crop, (nw, nh), interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)
    mass = digit.astype(np.float64)
    total = mass.sum()
    if total == 0:
        return out
    cy = (mass.sum(axis=1) * np.arange(nh)).sum() / total
    cx = (mass.sum(axis=0) * np.arange(nw)).sum() / total
    top = int(np.clip(round((SIZE - 1) / 2 - cy), 0, SIZE - nh))
    left = int(np.clip(round((SIZE - 1) / 2 - cx), 0, SIZE - nw))
    out[top:top + nh, left:left + nw] = digit
    return out


def shift_digits(images: np.ndarray, dx: int, dy: int) -> np.ndarray:
    """Move every digit dx pixels right and dy pixels down (negative: left/up); vacated pixels become 0 (black).

    Works on one image (H,W) or a stack (N,H,W); pixels pushed past the edge are lost, as a camera would lose them.
    """
    images = np.asarray(images)
    h, w = images.shape[-2:]
    out = np.zeros_like(images)
    if abs(dx) >= w or abs(dy) >= h:
        return out
    src_y, dst_y = slice(max(0, -dy), h - max(0, dy)), slice(max(0, dy), h - max(0, -dy))
    src_x, dst_x = slice(max(0, -dx), w - max(0, dx)), slice(max(0, dx), w - max(0, -dx))
    out[..., dst_y, dst_x] = images[..., src_y, src_x]
    return out


@dataclass(frozen=True)
class ShiftCurve:
    shifts: tuple[int, ...]
    direction: str                           # a key of DIRECTIONS
    accuracy: dict[str, tuple[float, ...]]   # classifier name -> accuracy at each shift


def shift_robustness(classifiers: Iterable[DigitClassifier], digits: Digits, shifts: Iterable[int] = SHIFTS,
                     direction: str = "right", progress: Progress | None = None,
                     cancelled: Cancelled | None = None) -> ShiftCurve:
    """Accuracy of each classifier on the held-out digits shifted by each amount (pixels along ``direction``)."""
    if direction not in DIRECTIONS:
        raise UserError(f"Unknown shift direction {direction!r}: use one of {', '.join(DIRECTIONS)}.")
    ux, uy = DIRECTIONS[direction]
    classifiers, shifts = list(classifiers), tuple(int(s) for s in shifts)
    steps, done = len(classifiers) * len(shifts), 0
    result: dict[str, list[float]] = {c.name: [] for c in classifiers}
    for s in shifts:
        moved = shift_digits(digits.images, ux * s, uy * s)
        for c in classifiers:
            def part(f: float, base: int = done) -> None:
                if progress is not None:
                    progress((base + f) / steps)
            result[c.name].append(accuracy(c.probabilities_many(moved, part, cancelled), digits.labels))
            done += 1
    return ShiftCurve(shifts, direction, {k: tuple(v) for k, v in result.items()})


# --- the weight-explosion calculator --------------------------------------------------------------------------
@dataclass(frozen=True)
class WeightCount:
    weights: int
    biases: int

    @property
    def total(self) -> int:
        return self.weights + self.biases


def fc_weights(h: int, w: int, c: int, n: int) -> WeightCount:
    """A fully connected layer from an h×w×c image to n units: every pixel value meets every unit."""
    _positive(h=h, w=w, c=c, n=n)
    return WeightCount(h * w * c * n, n)


def conv_weights(f: int, c: int, k: int) -> WeightCount:
    """A convolution layer of k filters of f×f×c: shared across positions, so the image size does not appear."""
    _positive(f=f, c=c, k=k)
    return WeightCount(f * f * c * k, k)


def _positive(**values: int) -> None:
    for name, value in values.items():
        if int(value) < 1:
            raise UserError(f"{name} = {value} is not a positive whole number: use 1 or more.")
