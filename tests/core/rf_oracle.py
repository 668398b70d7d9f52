"""The brute-force judge of receptive fields: perturb input rows and columns in onnxruntime, see what changes.

Knows nothing of receptive-field algebra. For every element of one output tensor it returns the bounding box
(top, left, bottom, right) of the input rows and columns whose perturbation changes that element (-1s: none).
Each row (column) is perturbed four ways, by large positive, large negative, random and small values, so that a
ReLU or a max that hides one perturbation does not hide them all, and a tanh or sigmoid that large values
saturate still passes the small one. An output saturated in float32 at the base input shows no change at all:
graphs judged by it keep their pre-activations moderate.
"""
from __future__ import annotations

import numpy as np
import onnx
import onnxruntime as ort

ort.set_default_logger_severity(3)


def _session(model: onnx.ModelProto, output: str) -> ort.InferenceSession:
    model = onnx.ModelProto.FromString(model.SerializeToString())
    del model.graph.output[:]
    model.graph.output.append(onnx.ValueInfoProto(name=output))
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    return ort.InferenceSession(model.SerializeToString(), options, providers=["CPUExecutionProvider"])


def oracle_boxes(model: onnx.ModelProto, output: str, input_name: str, image: np.ndarray,
                 axes: tuple[int, int] = (2, 3), seed: int = 0) -> np.ndarray:
    """(*output_shape, 4) int: the box of input rows/columns each element of ``output`` depends on."""
    session = _session(model, output)
    rng = np.random.default_rng(seed)
    base = session.run([output], {input_name: image})[0]
    changed = []
    for ax in axes:
        per_line = []
        for i in range(image.shape[ax]):
            hit = np.zeros(base.shape, bool)
            line = [slice(None)] * image.ndim
            line[ax] = i
            for kind in range(4):
                x = image.copy()
                region = x[tuple(line)]
                if kind == 0:
                    delta = rng.uniform(50, 100, region.shape)
                elif kind == 1:
                    delta = -rng.uniform(50, 100, region.shape)
                elif kind == 2:
                    delta = rng.standard_normal(region.shape) * 20
                else:
                    delta = rng.uniform(0.01, 0.02, region.shape) * rng.choice([-1, 1], region.shape)
                x[tuple(line)] = region + delta.astype(x.dtype)
                out = session.run([output], {input_name: x})[0]
                hit |= ~np.isclose(out, base, rtol=1e-6, atol=0, equal_nan=True)  # relative: tiny outputs count
            per_line.append(hit)
        changed.append(np.stack(per_line, axis=-1))  # (*out_shape, lines)
    boxes = []
    for hits in changed:
        n = hits.shape[-1]
        idx = np.arange(n)
        lo = np.where(hits, idx, n).min(axis=-1)
        hi = np.where(hits, idx, -1).max(axis=-1)
        boxes.append((np.where(lo == n, -1, lo), hi))
    (top, bottom), (left, right) = boxes
    none = (top < 0) | (left < 0)
    out = np.stack([top, left, bottom, right], axis=-1)
    return np.where(none[..., None], -1, out)


def random_image(shape, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).uniform(0.5, 1.5, size=shape).astype(np.float32)
