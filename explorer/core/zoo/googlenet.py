"""GoogLeNet (Szegedy et al. 2014), Table 1 of the paper, without the auxiliary classifiers. 224×224 input.

Names follow the reference Caffe model (bvlc_googlenet): conv1/7x7_s2, pool1/3x3_s2, pool1/norm1,
conv2/3x3_reduce, conv2/3x3, conv2/norm2, pool2/3x3_s2, inception_3a..3b, pool3/3x3_s2, inception_4a..4e,
pool4/3x3_s2, inception_5a..5b, pool5/7x7_s1 (average), loss3/classifier (FC 1000), prob.
An Inception module ``inception_Xy`` has branches ``/1x1``, ``/3x3_reduce`` → ``/3x3``, ``/5x5_reduce`` → ``/5x5``,
``/pool`` (max 3×3/1) → ``/pool_proj``, joined by the Concat ``/output``; every conv is followed by ``<conv>/relu``.
Max pools use ceil mode like Caffe, so the maps are 112, 56, 28, 14, 7 as in Table 1. LRN as in Caffe
(n=5, α=1e-4, β=0.75, k=1; Caffe and ONNX share the α/n convention). Dropout is left out.
"""
from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import onnx

from .graph import INPUT_NAME, GraphBuilder

TITLE = "GoogLeNet"
PAPER = "Szegedy et al. (2014): Going Deeper with Convolutions"
INPUT_SHAPE = (1, 3, 224, 224)
PARAMS = 6_998_552
# Table 1: #1×1, #3×3 reduce, #3×3, #5×5 reduce, #5×5, pool proj
INCEPTION: dict[str, tuple[int, int, int, int, int, int]] = {
    "3a": (64, 96, 128, 16, 32, 32), "3b": (128, 128, 192, 32, 96, 64),
    "4a": (192, 96, 208, 16, 48, 64), "4b": (160, 112, 224, 24, 64, 64), "4c": (128, 128, 256, 24, 64, 64),
    "4d": (112, 144, 288, 32, 64, 64), "4e": (256, 160, 320, 32, 128, 128),
    "5a": (256, 160, 320, 32, 128, 128), "5b": (384, 192, 384, 48, 128, 128),
}


def build(weights: Mapping[str, np.ndarray] | None = None) -> onnx.ModelProto:
    g = GraphBuilder("googlenet", INPUT_SHAPE, weights=weights)

    def conv_relu(name: str, x: str, filters: int, k: int, stride: int = 1) -> str:
        return g.relu(f"{name}/relu", g.conv(name, x, filters, k, stride=stride, pad=k // 2))

    def lrn(name: str, x: str) -> str:
        return g.lrn(name, x, 5, 1e-4, 0.75, 1.0)

    def inception(name: str, x: str) -> str:
        n1, n3r, n3, n5r, n5, proj = INCEPTION[name]
        p = f"inception_{name}"
        branches = [
            conv_relu(f"{p}/1x1", x, n1, 1),
            conv_relu(f"{p}/3x3", conv_relu(f"{p}/3x3_reduce", x, n3r, 1), n3, 3),
            conv_relu(f"{p}/5x5", conv_relu(f"{p}/5x5_reduce", x, n5r, 1), n5, 5),
            conv_relu(f"{p}/pool_proj", g.pool(f"{p}/pool", x, "max", 3, 1, pad=1), proj, 1),
        ]
        return g.concat(f"{p}/output", branches)

    x = conv_relu("conv1/7x7_s2", INPUT_NAME, 64, 7, stride=2)
    x = lrn("pool1/norm1", g.pool("pool1/3x3_s2", x, "max", 3, 2, ceil_mode=True))
    x = conv_relu("conv2/3x3", conv_relu("conv2/3x3_reduce", x, 64, 1), 192, 3)
    x = g.pool("pool2/3x3_s2", lrn("conv2/norm2", x), "max", 3, 2, ceil_mode=True)
    for stage, modules, pool in (("3", "ab", "pool3/3x3_s2"), ("4", "abcde", "pool4/3x3_s2"), ("5", "ab", None)):
        for m in modules:
            x = inception(stage + m, x)
        if pool:
            x = g.pool(pool, x, "max", 3, 2, ceil_mode=True)
    x = g.flatten("pool5/flatten", g.pool("pool5/7x7_s1", x, "avg", 7, 1))
    return g.finish(g.softmax("prob", g.gemm("loss3/classifier", x, 1000)))
