"""Small ONNX models built in a blink for the explorer's tests (the zoo's big ones take seconds to build here)."""
from __future__ import annotations

from pathlib import Path

import onnx

from explorer.core.preprocess import Preprocess
from explorer.core.zoo.graph import INPUT_NAME, GraphBuilder, fill_he_normal

RANDOM = "random initialisation (He-normal, seed 0)"


def _save(model: onnx.ModelProto, path: Path, title: str, size: int) -> Path:
    fill_he_normal(model, seed=0)
    for key, value in (("cnn_explorer.preprocess", Preprocess(size=(size, size)).to_json()),
                       ("cnn_explorer.weights", RANDOM), ("cnn_explorer.title", title)):
        model.metadata_props.add(key=key, value=value)
    onnx.save(model, str(path))
    return path.resolve()


def tiny_rgb(path: Path, title: str = "Tiny RGB net") -> Path:
    """RGB 32×32 -> conv1 (4@3×3, padding 1) -> pool1 -> conv2 (6@3×3, padding 1) -> global pool -> fc 5."""
    g = GraphBuilder("tiny", (1, 3, 32, 32))
    x = g.relu("conv1/relu", g.conv("conv1", INPUT_NAME, 4, 3, pad=1))
    x = g.pool("pool1", x, "max", 2, 2)
    x = g.relu("conv2/relu", g.conv("conv2", x, 6, 3, pad=1))
    x = g.flatten("flat", g.global_avgpool("gap", x))
    return _save(g.finish(g.softmax("prob", g.gemm("fc", x, 5))), path, title, 32)


def slow_rgb(path: Path, side: int = 512) -> Path:
    """Tiny to build, seconds to run: eight 32-channel 3×3 convolutions on a side×side input (512: ~19 G
    mult-adds; each node alone well under a second)."""
    g = GraphBuilder("slow", (1, 3, side, side))
    x = g.conv("conv0", INPUT_NAME, 32, 3, pad=1)
    for i in range(1, 9):
        x = g.conv(f"conv{i}", x, 32, 3, pad=1)
    return _save(g.finish(x), path, "Slow net", side)
