"""LeNet-5 (LeCun, Bottou, Bengio, Haffner 1998), the classic 32×32 digit reader.

Layers: c1 conv 6@5×5 → c1/tanh → s2 avg-pool 2 → c3 conv 16@5×5 (every S2 map feeds every C3 map, not the
paper's sparse table) → c3/tanh → s4 avg-pool 2 → c5 conv 120@5×5 → c5/tanh → c5/flatten → f6 fc 84 → f6/tanh →
output fc 10 (logits) → prob (Softmax, the graph output, so the predictions panel gets probabilities).
The sub-sampling layers have no trainable coefficients here; 61,706 parameters.

Trained weights: ``build(weights=...)`` takes a dict {initializer name: float32 array}; every name must be present:

    c1.weight (6, 1, 5, 5)     c1.bias (6,)
    c3.weight (16, 6, 5, 5)    c3.bias (16,)
    c5.weight (120, 16, 5, 5)  c5.bias (120,)
    f6.weight (84, 120)        f6.bias (84,)        (Gemm transB=1: (out, in), like torch.nn.Linear)
    output.weight (10, 84)     output.bias (10,)

Input: "data" (1, 1, 32, 32), a grayscale digit scaled to [0, 1].
"""
from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import onnx

from .graph import INPUT_NAME, GraphBuilder

TITLE = "LeNet-5"
PAPER = "LeCun, Bottou, Bengio, Haffner (1998): Gradient-Based Learning Applied to Document Recognition"
INPUT_SHAPE = (1, 1, 32, 32)
PARAMS = 61_706
WEIGHT_SHAPES: dict[str, tuple[int, ...]] = {
    "c1.weight": (6, 1, 5, 5), "c1.bias": (6,),
    "c3.weight": (16, 6, 5, 5), "c3.bias": (16,),
    "c5.weight": (120, 16, 5, 5), "c5.bias": (120,),
    "f6.weight": (84, 120), "f6.bias": (84,),
    "output.weight": (10, 84), "output.bias": (10,),
}


def build(weights: Mapping[str, np.ndarray] | None = None) -> onnx.ModelProto:
    if weights is not None:
        missing = sorted(set(WEIGHT_SHAPES) - set(weights))
        if missing:
            raise ValueError(f"LeNet-5 weights lack {missing}")
    g = GraphBuilder("lenet5", INPUT_SHAPE, weights=weights)
    x = g.tanh("c1/tanh", g.conv("c1", INPUT_NAME, 6, 5))
    x = g.pool("s2", x, "avg", 2, 2)
    x = g.tanh("c3/tanh", g.conv("c3", x, 16, 5))
    x = g.pool("s4", x, "avg", 2, 2)
    x = g.tanh("c5/tanh", g.conv("c5", x, 120, 5))
    x = g.flatten("c5/flatten", x)
    x = g.tanh("f6/tanh", g.gemm("f6", x, 84))
    return g.finish(g.softmax("prob", g.gemm("output", x, 10)))
