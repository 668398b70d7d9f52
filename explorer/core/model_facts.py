"""What the explorer and the CLI show about a loaded model besides its layers: labels and first-slice filters.

Read once off the GUI thread when a model loads, so the GUI never walks a (possibly 500 MB) ModelProto.
``catalog.describe`` combines these with the catalog entry into ``ModelFacts``.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field

import numpy as np
import onnx
from onnx import numpy_helper

from explorer.core import metadata as md
from explorer.core.paths import assets_dir

# The worker's names for the keys (explorer/workers/inference.py reads them from here).
WEIGHTS_KEY, LABELS_KEY, TITLE_KEY = md.WEIGHTS, md.LABELS, md.TITLE


@dataclass(frozen=True)
class Filters:
    weights: np.ndarray  # (K, 3, f, f) for an RGB first layer, else (K, f, f): each filter's first input slice
    rgb: bool
    in_channels: int


@dataclass(frozen=True)
class ModelFacts:
    title: str
    weights_text: str                  # "random initialisation (He-normal, seed 0)", "trained on ImageNet ..."
    badge: str                         # "trained" | "random initialisation" | "weights from file"
    labels: list[str] | None           # class names, only when they fit the output and the weights are trained
    filters: dict[str, Filters] = field(default_factory=dict)
    facts: list[str] = field(default_factory=list)  # one-line facts (paper, parameters, accuracy, licence, ...)
    probabilities: bool = False        # the graph ends in Softmax; else its output is logits


def metadata(model: onnx.ModelProto) -> dict[str, str]:
    return md.read(model)


def is_random(weights: str) -> bool:
    return weights.lower().startswith("random")


def read_labels(value: str | None, outputs: int) -> list[str] | None:
    """Class names from a JSON list or a file in assets/, only when there is one per output."""
    value = (value or "").strip()
    if not value:
        return None
    if value.startswith("["):
        try:
            names = [str(v) for v in json.loads(value)]
        except ValueError:
            return None  # a file's broken label list is not worth refusing the model for
    else:
        path = assets_dir() / value
        if not path.is_file():
            return None
        names = [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return names if len(names) == outputs else None


def labels(meta: dict[str, str], outputs: int) -> list[str] | None:
    """Class names from the model's ``cnn_explorer.labels``, only when they fit the output."""
    return read_labels(meta.get(md.LABELS), outputs)


def output_size(model: onnx.ModelProto) -> int:
    """Number of values in the first output (batch axis excluded); 0 when its shape is not fully known."""
    if not model.graph.output:
        return 0
    dims = model.graph.output[0].type.tensor_type.shape.dim
    values = [d.dim_value for d in dims[1:]]
    return int(np.prod(values)) if values and all(v > 0 for v in values) else 0


def conv_filters(model: onnx.ModelProto) -> dict[str, Filters]:
    """Per Conv layer (node name, or first output when unnamed) the slice of its weights worth drawing.

    Only a small slice is kept (first input channel of each filter; all three for an RGB first layer) so the
    GUI never holds VGG's 500 MB of weights.
    """
    initializers = {t.name: t for t in model.graph.initializer}
    result: dict[str, Filters] = {}
    for node in model.graph.node:
        if node.op_type != "Conv" or len(node.input) < 2 or node.input[1] not in initializers:
            continue
        w = numpy_helper.to_array(initializers[node.input[1]])
        if w.ndim != 4:
            continue
        rgb = w.shape[1] == 3 and not result  # the first convolution sees the image's colours
        kept = w[:, :3] if rgb else w[:, 0]
        result[node.name or node.output[0]] = Filters(np.array(kept, dtype=np.float32), rgb, int(w.shape[1]))
    return result
