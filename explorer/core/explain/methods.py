"""What the network looks at, forward-only: occlusion, Score-CAM, Ablation-CAM and Eigen-CAM on onnxruntime.

Every method answers "which part of the image supports class c" for one image; maps come back at the image's own
height and width (higher = more important) and at the model input's size. Choices, and why:

* The class score is the logit (the input of a final Softmax; ``ExplainModel.score_tensor``). Occlusion and
  Ablation-CAM measure drops of it: logits are what the layers compute, and a probability near 1 barely moves.
  Score-CAM weighs channels by the class *probability* of the masked image, as its authors do.
* Occlusion (Zeiler & Fergus 2014): a patch slides over the model input in steps of ``stride``; each pixel gets the
  mean score drop over the patches that covered it. Fill "mean" (the image's mean colour), "blur" (a Gaussian blur
  of the image, sigma = patch/2) or "zero" (black pixels, 0 before normalisation: for an ImageNet-normalised model a
  tensor of 0 would be the dataset's mean colour, not black). The map keeps the drop's units (logits) and sign.
* Score-CAM (Wang et al. 2020): each channel, upsampled and min-max scaled to [0, 1], masks the input (the input
  tensor times the mask, so masked-out pixels become 0 after normalisation); its weight is the class probability
  of that masked image. A flat channel (max == min, e.g. a dead ReLU map) has no mask to scale: pytorch-grad-cam
  divides 0 by 0 there and gets NaN; here it gets weight 0 and costs no forward pass.
* Ablation-CAM (Desai & Ramaswamy 2020): weight_k = score - score with channel k set to 0, computed by the part of
  the graph after the layer only (``ExplainModel.net([layer], [score])``), batched. pytorch-grad-cam also divides
  by the score; that scale vanishes in the normalisation but flips every sign when the score is negative (an
  unlikely class), so it is left out.
* Eigen-CAM (Muhammad & Yeasin 2020): the activations (positions x channels), centred per channel, projected on
  their first principal component. An SVD component's sign is arbitrary; it is chosen so the projection's
  largest magnitude is positive: centred on the mean position, the typical (mostly background) positions sit near
  0 and the far end of the component is where the layer departs most from them. Orienting by activation strength
  instead fails on tanh layers (LeNet-5: the background's constant bias response is the strongest there).
  Class-agnostic: the class is reported, not used.

CAM maps are ReLU'd and divided by their maximum (all 0 when nothing is positive), then upsampled bilinearly.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import onnx

from explorer.core import preprocess as pp
from explorer.core.errors import UserError
from explorer.core.explain.model import Cancelled, ExplainModel, Progress

METHODS = ("occlusion", "score-cam", "ablation-cam", "eigen-cam")
FILLS = ("mean", "blur", "zero")
ModelLike = ExplainModel | onnx.ModelProto | str | Path


@dataclass(frozen=True)
class Explanation:
    heat: np.ndarray        # float32 (H, W) of the image; higher = more important; 0 where the model saw nothing
    input_heat: np.ndarray  # float32 (h, w) of the model input, before undoing the resize/crop
    method: str
    layer: str | None       # None for occlusion
    class_index: int
    class_name: str | None
    score: float            # the class's logit on the unaltered image
    top_class: int          # the model's own prediction on the unaltered image
    passes: int             # images run through the whole network, the unaltered one included
    head_passes: int        # Ablation-CAM: ablated activations run through the part after the layer
    notes: tuple[str, ...]
    seconds: float


def as_model(model: ModelLike) -> ExplainModel:
    return model if isinstance(model, ExplainModel) else ExplainModel(model)


def default_patch(size: tuple[int, int]) -> tuple[int, int]:
    """Patch and stride for an input of ``size``: a patch of 1/4 of the shorter side moved by half a patch
    (7 x 7 positions on a square input, 50 forward passes in all), overlapping so the map is not a blocky grid."""
    patch = max(1, round(min(size) / 4))
    return patch, max(1, patch // 2)


def positions(n: int, patch: int, stride: int) -> list[int]:
    """Patch starts along one axis: every stride, plus one flush with the far edge so every pixel is covered."""
    starts = list(range(0, max(n - patch, 0) + 1, stride))
    if starts[-1] + patch < n:
        starts.append(n - patch)
    return starts


def to_image(input_map: np.ndarray, coords: pp.CoordMap) -> np.ndarray:
    """A map over the model input -> the same map over the original image (bilinear), 0 where the crop cut."""
    ih, iw = coords.image_size
    h, w = input_map.shape
    (sy, sx), (oy, ox) = coords.scale, coords.offset
    ys = ((np.arange(ih, dtype=np.float32) + 0.5) * sy - oy - 0.5)
    xs = ((np.arange(iw, dtype=np.float32) + 0.5) * sx - ox - 0.5)
    map_y, map_x = np.meshgrid(ys, xs, indexing="ij")
    out = cv2.remap(np.ascontiguousarray(input_map, np.float32), map_x, map_y, cv2.INTER_LINEAR,
                    borderMode=cv2.BORDER_REPLICATE)
    # a pixel is seen when its centre falls inside the model input, [-0.5, n - 0.5) in pixel-index coordinates
    seen = ((ys[:, None] >= -0.5) & (ys[:, None] < h - 0.5)) & ((xs[None, :] >= -0.5) & (xs[None, :] < w - 0.5))
    return np.where(seen, out, 0).astype(np.float32)


def _upsample(cam: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    return cv2.resize(np.ascontiguousarray(cam, np.float32), (size[1], size[0]), interpolation=cv2.INTER_LINEAR)


def _relu_unit(cam: np.ndarray) -> np.ndarray:
    cam = np.maximum(cam, 0)
    peak = float(cam.max())
    return (cam / peak if peak > 0 else np.zeros_like(cam)).astype(np.float32)


def _softmax(logits: np.ndarray) -> np.ndarray:
    z = logits - logits.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


@dataclass
class _Base:
    """The unaltered image through the network: what every method starts from."""

    em: ExplainModel
    prepared: pp.Prepared
    scores: np.ndarray                 # (classes,)
    class_index: int
    layer: str | None = None
    acts: np.ndarray | None = None     # (C, h, w) at the layer
    extras: dict[str, np.ndarray] | None = None  # other tensors the part after the layer needs


def _start(model: ModelLike, image: Any, class_index: int | None, layer: str | None,
           cancelled: Cancelled | None) -> _Base:
    """One run of the unaltered image fetching the scores, the layer and what the part after the layer needs."""
    em = as_model(model)
    prepared = em.prepare(image)
    x = prepared.tensor
    layer = layer or em.default_layer()
    tensor = em.tensor_of(layer)
    shape = em.shapes.get(tensor)
    if shape is None or len(shape) != 4 or None in shape:
        raise UserError(f"Layer {layer!r} has shape {shape}, not a (N, C, H, W) map; pick a convolution or "
                        f"pooling layer, e.g. {em.default_layer()!r}.")
    needed = em.extras((tensor,), (em.score_tensor,))
    extras = [n for n in needed if n != em.input_name]
    values = em.net([em.input_name], [em.score_tensor, tensor, *extras]).run({em.input_name: em.feed(x)}, cancelled)
    scores = values[0].reshape(-1)
    feeds = dict(zip(extras, values[2:]))
    if em.input_name in needed:
        feeds[em.input_name] = em.feed(x)
    return _Base(em, prepared, scores, _class(em, scores, class_index), layer, values[1][0], feeds)


def _class(em: ExplainModel, scores: np.ndarray, class_index: int | None) -> int:
    return int(np.argmax(scores)) if class_index is None else em.check_class(int(class_index))


def _finish(base: _Base, method: str, input_heat: np.ndarray, passes: int, head_passes: int,
            started: float) -> Explanation:
    em = base.em
    return Explanation(
        heat=to_image(input_heat, base.prepared.to_image), input_heat=input_heat.astype(np.float32), method=method,
        layer=base.layer, class_index=base.class_index, class_name=em.class_name(base.class_index),
        score=float(base.scores[base.class_index]), top_class=int(np.argmax(base.scores)), passes=passes,
        head_passes=head_passes, notes=tuple(em.notes), seconds=time.perf_counter() - started)


def occlusion(model: ModelLike, image: Any, *, class_index: int | None = None, patch: int | None = None,
              stride: int | None = None, fill: str = "mean", progress: Progress | None = None,
              cancelled: Cancelled | None = None) -> Explanation:
    """Slide a ``patch`` (pixels of the model input) by ``stride``; heat = mean drop of the class logit."""
    started = time.perf_counter()
    em = as_model(model)
    if fill not in FILLS:
        raise UserError(f"Unknown occlusion fill {fill!r}: choose one of {', '.join(FILLS)}.")
    prepared = em.prepare(image)
    x = prepared.tensor  # (1, C, H, W)
    h, w = x.shape[2:]
    dp, ds = default_patch((h, w))
    patch, stride = patch or dp, stride or ds
    if not 1 <= patch <= min(h, w) or stride < 1:
        raise UserError(f"Occlusion patch {patch} and stride {stride} do not fit the {h}x{w} model input: use "
                        f"1 <= patch <= {min(h, w)} and stride >= 1.")
    filler = _fill(x, prepared, em, fill, patch)
    boxes = [(y, x0) for y in positions(h, patch, stride) for x0 in positions(w, patch, stride)]

    def make(start: int, stop: int) -> np.ndarray:
        batch = np.repeat(x, stop - start, axis=0)
        for i, k in enumerate(range(start, stop)):
            if k > 0:  # image 0 is the unaltered one
                y, x0 = boxes[k - 1]
                batch[i, :, y:y + patch, x0:x0 + patch] = filler[0, :, y:y + patch, x0:x0 + patch]
        return batch

    scores = em.scores(len(boxes) + 1, make, progress, cancelled, "occlusion")
    base = _Base(em, prepared, scores[0], _class(em, scores[0], class_index))
    drops = scores[0, base.class_index] - scores[1:, base.class_index]
    total = np.zeros((h, w), np.float64)
    count = np.zeros((h, w), np.float64)
    for (y, x0), drop in zip(boxes, drops):
        total[y:y + patch, x0:x0 + patch] += drop
        count[y:y + patch, x0:x0 + patch] += 1
    return _finish(base, "occlusion", (total / count).astype(np.float32), len(boxes) + 1, 0, started)


def _fill(x: np.ndarray, prepared: pp.Prepared, em: ExplainModel, fill: str, patch: int) -> np.ndarray:
    """The replacement image a patch copies its pixels from, in model-input units."""
    if fill == "mean":
        return np.broadcast_to(x.mean(axis=(2, 3), keepdims=True), x.shape)
    if fill == "blur":
        sigma = patch / 2
        return np.stack([cv2.GaussianBlur(c, (0, 0), sigma) for c in x[0]])[None]
    return em.prepare(np.zeros(em.preprocess.size, np.uint8)).tensor  # black, through the model's own recipe


def score_cam(model: ModelLike, image: Any, *, layer: str | None = None, class_index: int | None = None,
              progress: Progress | None = None, cancelled: Cancelled | None = None) -> Explanation:
    started = time.perf_counter()
    base = _start(model, image, class_index, layer, cancelled)
    em, x, acts = base.em, base.prepared.tensor, base.acts
    size = x.shape[2:]
    lo, hi = acts.min(axis=(1, 2)), acts.max(axis=(1, 2))
    live = np.flatnonzero(hi > lo)  # flat channels: no mask, weight 0 (see the module notes)

    def make(start: int, stop: int) -> np.ndarray:
        masks = [(_upsample(acts[k], size) - lo[k]) / (hi[k] - lo[k]) for k in live[start:stop]]
        return x * np.stack(masks)[:, None]

    weights = np.zeros(len(acts), np.float32)
    if live.size:
        logits = em.scores(live.size, make, progress, cancelled, "Score-CAM")
        weights[live] = _softmax(logits)[:, base.class_index]
    cam = _relu_unit(np.tensordot(weights, acts, axes=1))
    return _finish(base, "score-cam", _relu_unit(_upsample(cam, size)), live.size + 1, 0, started)


def ablation_cam(model: ModelLike, image: Any, *, layer: str | None = None, class_index: int | None = None,
                 progress: Progress | None = None, cancelled: Cancelled | None = None) -> Explanation:
    started = time.perf_counter()
    base = _start(model, image, class_index, layer, cancelled)
    em, acts = base.em, base.acts
    tensor = em.tensor_of(base.layer)
    head = em.net([tensor], [em.score_tensor])
    channels = len(acts)
    step = head.batch
    drops = np.empty(channels, np.float32)
    for start in range(0, channels, step):
        stop = min(start + step, channels)
        batch = np.repeat(acts[None], stop - start, axis=0)
        batch[np.arange(stop - start), np.arange(start, stop)] = 0
        feeds = {tensor: batch, **{n: np.repeat(v, stop - start, axis=0) for n, v in base.extras.items()}}
        ablated = head.run(feeds, cancelled)[0].reshape(stop - start, -1)[:, base.class_index]
        drops[start:stop] = base.scores[base.class_index] - ablated
        if progress is not None:
            progress(stop / channels, f"Ablation-CAM {stop}/{channels}")
    cam = _relu_unit(np.tensordot(drops, acts, axes=1))
    return _finish(base, "ablation-cam", _relu_unit(_upsample(cam, base.prepared.tensor.shape[2:])), 1, channels,
                   started)


def eigen_cam(model: ModelLike, image: Any, *, layer: str | None = None, class_index: int | None = None,
              progress: Progress | None = None, cancelled: Cancelled | None = None) -> Explanation:
    started = time.perf_counter()
    base = _start(model, image, class_index, layer, cancelled)
    acts = base.acts
    flat = acts.reshape(len(acts), -1).T.astype(np.float64)  # positions x channels
    projection = _first_component(flat - flat.mean(axis=0))
    if -projection.min() > projection.max():
        projection = -projection
    cam = _relu_unit(projection.reshape(acts.shape[1:]))
    if progress is not None:
        progress(1.0, "Eigen-CAM")
    return _finish(base, "eigen-cam", _relu_unit(_upsample(cam, base.prepared.tensor.shape[2:])), 1, 0, started)


JACOBI_MAX = 128  # Gram matrices up to this size go to OpenCV's Jacobi solver (see _first_component)


def _first_component(centred: np.ndarray) -> np.ndarray:
    """Projection of the rows on their first principal component (sign arbitrary), from the top eigenvector of the
    smaller Gram matrix, which is what an SVD would give. Small Gram matrices (every built-in's last spatial map
    has <= 49 positions) are solved by OpenCV's single-threaded Jacobi method: LAPACK through numpy's threaded
    OpenBLAS took 100-200 ms for a 36x36 matrix on a loaded 2-core machine (0.2 ms idle), SVD up to seconds."""
    positions, channels = centred.shape
    rows = positions <= channels
    size = min(positions, channels)
    if size <= JACOBI_MAX:
        gram = cv2.mulTransposed(np.ascontiguousarray(centred), not rows)
        _, values, vectors = cv2.eigen(gram)
        value, vector = float(values[0, 0]), vectors[0]
    else:
        values, vectors = np.linalg.eigh(centred @ centred.T if rows else centred.T @ centred)
        value, vector = float(values[-1]), vectors[:, -1]
    return vector * np.sqrt(max(value, 0.0)) if rows else centred @ vector


_BY_NAME: dict[str, Callable[..., Explanation]] = {
    "occlusion": occlusion, "score-cam": score_cam, "ablation-cam": ablation_cam, "eigen-cam": eigen_cam}


def explain(model: ModelLike, image: Any, method: str, *, layer: str | None = None, class_index: int | None = None,
            progress: Progress | None = None, cancelled: Cancelled | None = None, **options: Any) -> Explanation:
    """One entry point for the CLI and the GUI: ``method`` is one of METHODS; occlusion ignores ``layer`` (it
    works on the input) and takes ``patch``, ``stride`` and ``fill`` options."""
    if method not in _BY_NAME:
        raise UserError(f"Unknown method {method!r}: choose one of {', '.join(METHODS)}.")
    if method == "occlusion":
        return occlusion(model, image, class_index=class_index, progress=progress, cancelled=cancelled, **options)
    return _BY_NAME[method](model, image, layer=layer, class_index=class_index, progress=progress,
                            cancelled=cancelled, **options)
