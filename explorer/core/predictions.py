"""A classifier's top classes as probabilities, whether its graph ends in Softmax or in raw logits.

Whether the output already is a probability is read from the graph (the op that produces the first output,
looking through reshapes), never guessed from the numbers: logits that happen to be positive and sum to one would
otherwise be shown as probabilities. The zoo's AlexNet and GoogLeNet end in Softmax; VGG-16, ResNet-34 and
DenseNet-121 give logits (DenseNet's from a 1×1 convolution, shaped 1×1000×1×1).
"""
from __future__ import annotations

import numpy as np
import onnx

TOP = 5
# Ops that only move values around: a Softmax before them still makes the output a probability vector.
_SHAPE_ONLY = frozenset({"Flatten", "Reshape", "Squeeze", "Unsqueeze", "Identity", "Transpose"})


def ends_in_softmax(model: onnx.ModelProto) -> bool:
    """Does the first graph output come from a Softmax (through shape-only ops)?"""
    if not model.graph.output:
        return False
    producers = {out: node for node in model.graph.node for out in node.output if out}
    node = producers.get(model.graph.output[0].name)
    while node is not None and node.op_type in _SHAPE_ONLY:
        node = producers.get(node.input[0])
    return node is not None and node.op_type == "Softmax"


def softmax(logits: np.ndarray) -> np.ndarray:
    values = np.asarray(logits, dtype=np.float64).reshape(-1)
    e = np.exp(values - values.max())
    return e / e.sum()


def top_classes(output: np.ndarray, probabilities: bool, k: int = TOP) -> list[tuple[int, float]]:
    """(class index, probability) of the k largest outputs; softmax first unless the graph already applied it."""
    values = np.asarray(output, dtype=np.float64).reshape(-1)
    if values.size == 0:
        return []
    if not probabilities:
        values = softmax(values)
    order = np.argsort(-values, kind="stable")[:k]
    return [(int(i), float(values[i])) for i in order]
