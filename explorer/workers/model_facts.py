"""What the explorer shows about a loaded model besides its layers: weights origin, labels, filters.

Read once on the worker when a model loads, so the GUI thread never walks a (possibly 500 MB) ModelProto.
"""
from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np
import onnx
from onnx import numpy_helper

from explorer.core.paths import assets_dir

WEIGHTS_KEY = "cnn_explorer.weights"
LABELS_KEY = "cnn_explorer.labels"
TITLE_KEY = "cnn_explorer.title"


@dataclass(frozen=True)
class Filters:
    weights: np.ndarray  # (K, 3, f, f) for an RGB first layer, else (K, f, f): each filter's first input slice
    rgb: bool
    in_channels: int


def metadata(model: onnx.ModelProto) -> dict[str, str]:
    return {p.key: p.value for p in model.metadata_props}


def is_random(weights: str) -> bool:
    return weights.lower().startswith("random")


def labels(meta: dict[str, str], outputs: int) -> list[str] | None:
    """Class names from ``cnn_explorer.labels`` (a JSON list or a file in assets/), only when they fit the output."""
    value = meta.get(LABELS_KEY, "").strip()
    if not value:
        return None
    if value.startswith("["):
        names = [str(v) for v in json.loads(value)]
    else:
        path = assets_dir() / value
        if not path.is_file():
            return None
        names = [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return names if len(names) == outputs else None


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
