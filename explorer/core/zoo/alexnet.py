"""AlexNet (Krizhevsky, Sutskever, Hinton 2012) as one stream (no two-GPU grouping), 227×227 input.

conv1 96@11×11/4 → 55×55, norm1 (LRN), pool1 3/2 → 27; conv2 256@5×5 p2, norm2, pool2 3/2 → 13;
conv3 384, conv4 384, conv5 256 (3×3 p1), pool5 3/2 → 6×6; fc6 4096, fc7 4096, fc8 1000, prob. 62,378,344 params.
Each conv/fc is followed by ``<layer>/relu`` (not fc8). Dropout is a training device and is left out.

LRN uses the paper's k=2, n=5, α=1e-4, β=0.75. The paper divides by (k + α·Σa²)^β while ONNX divides by
(bias + alpha/size·Σa²)^beta, so the ONNX ``alpha`` attribute is α·n = 5e-4 to compute the paper's function.
"""
from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import onnx

from .graph import INPUT_NAME, GraphBuilder

TITLE = "AlexNet"
PAPER = "Krizhevsky, Sutskever, Hinton (2012): ImageNet Classification with Deep Convolutional Neural Networks"
INPUT_SHAPE = (1, 3, 227, 227)
PARAMS = 62_378_344
LRN_SIZE, LRN_ALPHA, LRN_BETA, LRN_K = 5, 1e-4, 0.75, 2.0


def build(weights: Mapping[str, np.ndarray] | None = None) -> onnx.ModelProto:
    g = GraphBuilder("alexnet", INPUT_SHAPE, weights=weights)

    def lrn(name: str, x: str) -> str:
        return g.lrn(name, x, LRN_SIZE, LRN_ALPHA * LRN_SIZE, LRN_BETA, LRN_K)

    x = g.relu("conv1/relu", g.conv("conv1", INPUT_NAME, 96, 11, stride=4))
    x = g.pool("pool1", lrn("norm1", x), "max", 3, 2)
    x = g.relu("conv2/relu", g.conv("conv2", x, 256, 5, pad=2))
    x = g.pool("pool2", lrn("norm2", x), "max", 3, 2)
    for name, filters in (("conv3", 384), ("conv4", 384), ("conv5", 256)):
        x = g.relu(f"{name}/relu", g.conv(name, x, filters, 3, pad=1))
    x = g.flatten("pool5/flatten", g.pool("pool5", x, "max", 3, 2))
    for name in ("fc6", "fc7"):
        x = g.relu(f"{name}/relu", g.gemm(name, x, 4096))
    return g.finish(g.softmax("prob", g.gemm("fc8", x, 1000)))
