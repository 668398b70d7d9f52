"""ResNet-34 and its plain twin (He, Zhang, Ren, Sun 2015), 224×224 input, names as in torchvision.

Stem: conv1 7×7/2 64 → bn1 → relu → maxpool 3/2 (56×56). Stages layer1..layer4 hold [3, 4, 6, 3] basic blocks of
64, 128, 256, 512 filters (layer2..4 start with stride 2: 28, 14, 7). Block ``layerS.B``:
conv1 3×3 → bn1 → relu1 → conv2 3×3 → bn2 → add (+ shortcut) → relu2 (the block output).
Where the shape changes the shortcut is a projection (option B): downsample.0 (1×1/2 conv) → downsample.1 (BN).
Convs have no bias (BN follows). Head: avgpool (global) → flatten → fc 1000 → prob.
plain34 is the same stack without shortcuts: no add, no downsample. 21,797,672 vs 21,623,848 parameters.
"""
from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import onnx

from .graph import INPUT_NAME, GraphBuilder

PAPER = "He, Zhang, Ren, Sun (2015): Deep Residual Learning for Image Recognition"
INPUT_SHAPE = (1, 3, 224, 224)
RESNET34_PARAMS = 21_797_672
PLAIN34_PARAMS = 21_623_848
STAGES = ((64, 3), (128, 4), (256, 6), (512, 3))  # (filters, blocks)


def build(residual: bool, weights: Mapping[str, np.ndarray] | None = None) -> onnx.ModelProto:
    name = "resnet34" if residual else "plain34"
    g = GraphBuilder(name, INPUT_SHAPE, weights=weights)

    def conv_bn(prefix: str, x: str, filters: int, k: int, stride: int, conv: str, bn: str) -> str:
        x = g.conv(f"{prefix}{conv}", x, filters, k, stride=stride, pad=k // 2, bias=False)
        return g.batchnorm(f"{prefix}{bn}", x)

    x = g.relu("relu", conv_bn("", INPUT_NAME, 64, 7, 2, "conv1", "bn1"))
    x = g.pool("maxpool", x, "max", 3, 2, pad=1)
    for stage, (filters, blocks) in enumerate(STAGES, start=1):
        for b in range(blocks):
            p = f"layer{stage}.{b}."
            stride = 2 if stage > 1 and b == 0 else 1
            y = g.relu(f"{p}relu1", conv_bn(p, x, filters, 3, stride, "conv1", "bn1"))
            y = conv_bn(p, y, filters, 3, 1, "conv2", "bn2")
            if residual:
                shortcut = x
                if g.shapes[x][1] != filters or stride != 1:
                    shortcut = conv_bn(p, x, filters, 1, stride, "downsample.0", "downsample.1")
                y = g.add(f"{p}add", y, shortcut)
            x = g.relu(f"{p}relu2", y)
    x = g.flatten("flatten", g.global_avgpool("avgpool", x))
    return g.finish(g.softmax("prob", g.gemm("fc", x, 1000)))
