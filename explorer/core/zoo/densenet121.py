"""DenseNet-121 (Huang, Liu, van der Maaten, Weinberger 2017), growth k=32, blocks 6-12-24-16, 224×224 input.

Stem: conv0 7×7/2 64 → norm0 → relu0 → pool0 max 3/2 (56×56).
Dense layer ``denseblockB/denselayerL``: norm1 → relu1 → conv1 (1×1, 4k) → norm2 → relu2 → conv2 (3×3, k), then
``/concat`` joins the layer's input with its k new maps (the input of the next layer).
Transition ``transitionT`` (compression 0.5): norm → relu → conv (1×1) → pool (avg 2/2): 28, 14, 7.
Head: norm5 → relu5 → avgpool (global) → flatten → classifier 1000 → prob. Convs have no bias.
7,978,856 parameters (BN γ/β counted, running statistics not).
"""
from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import onnx

from .graph import INPUT_NAME, GraphBuilder

TITLE = "DenseNet-121"
PAPER = "Huang, Liu, van der Maaten, Weinberger (2017): Densely Connected Convolutional Networks"
INPUT_SHAPE = (1, 3, 224, 224)
PARAMS = 7_978_856
GROWTH = 32
BLOCKS = (6, 12, 24, 16)


def build(weights: Mapping[str, np.ndarray] | None = None) -> onnx.ModelProto:
    g = GraphBuilder("densenet121", INPUT_SHAPE, weights=weights)

    def bn_relu_conv(prefix: str, x: str, suffix: str, filters: int, k: int) -> str:
        x = g.relu(f"{prefix}/relu{suffix}", g.batchnorm(f"{prefix}/norm{suffix}", x))
        return g.conv(f"{prefix}/conv{suffix}", x, filters, k, pad=k // 2, bias=False)

    x = g.relu("relu0", g.batchnorm("norm0", g.conv("conv0", INPUT_NAME, 64, 7, stride=2, pad=3, bias=False)))
    x = g.pool("pool0", x, "max", 3, 2, pad=1)
    for b, layers in enumerate(BLOCKS, start=1):
        for i in range(1, layers + 1):
            p = f"denseblock{b}/denselayer{i}"
            y = bn_relu_conv(p, x, "1", 4 * GROWTH, 1)
            y = bn_relu_conv(p, y, "2", GROWTH, 3)
            x = g.concat(f"{p}/concat", [x, y])
        if b < len(BLOCKS):
            t = f"transition{b}"
            x = g.relu(f"{t}/relu", g.batchnorm(f"{t}/norm", x))
            x = g.conv(f"{t}/conv", x, g.shapes[x][1] // 2, 1, bias=False)
            x = g.pool(f"{t}/pool", x, "avg", 2, 2)
    x = g.relu("relu5", g.batchnorm("norm5", x))
    x = g.flatten("flatten", g.global_avgpool("avgpool", x))
    return g.finish(g.softmax("prob", g.gemm("classifier", x, 1000)))
