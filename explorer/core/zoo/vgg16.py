"""VGG-16 (Simonyan & Zisserman 2014), configuration D, 224×224 input.

Five stages of 3×3/p1 convolutions conv{stage}_{i} (64, 128, 256, 512, 512 filters; 2, 2, 3, 3, 3 layers), each
followed by ``<layer>/relu``, and pool1..pool5 (max 2/2; pool5 is 7×7×512); fc6 4096, fc7 4096, fc8 1000, prob.
138,357,544 parameters (553 MB of float32).
"""
from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import onnx

from .graph import INPUT_NAME, GraphBuilder

TITLE = "VGG-16"
PAPER = "Simonyan, Zisserman (2014): Very Deep Convolutional Networks for Large-Scale Image Recognition"
INPUT_SHAPE = (1, 3, 224, 224)
PARAMS = 138_357_544
STAGES = ((64, 2), (128, 2), (256, 3), (512, 3), (512, 3))  # (filters, conv layers) per stage


def build(weights: Mapping[str, np.ndarray] | None = None) -> onnx.ModelProto:
    g = GraphBuilder("vgg16", INPUT_SHAPE, weights=weights)
    x = INPUT_NAME
    for stage, (filters, layers) in enumerate(STAGES, start=1):
        for i in range(1, layers + 1):
            name = f"conv{stage}_{i}"
            x = g.relu(f"{name}/relu", g.conv(name, x, filters, 3, pad=1))
        x = g.pool(f"pool{stage}", x, "max", 2, 2)
    x = g.flatten("pool5/flatten", x)
    for name in ("fc6", "fc7"):
        x = g.relu(f"{name}/relu", g.gemm(name, x, 4096))
    return g.finish(g.softmax("prob", g.gemm("fc8", x, 1000)))
