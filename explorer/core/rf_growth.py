"""Receptive-field growth along a network's main path (Qt-free; the Model Explorer's growth plot draws it).

The main path is the chain the output's receptive field is realised through: start at the output layer and step
back, at every merge (Add, Concat), into the input whose field is the largest (ties: the input with more
convolution/pooling layers before it, then the first). Why this chain and not "every conv in graph order":
a merge's field is the union of its inputs' fields, so the largest input is the one that sets it; a 1×1
projection shortcut (ResNet's downsample), an Inception module's narrower 1×1/3×3/pool branches and DenseNet's
pass-through of the block input all see less than the path beside them, and listing them in graph order made
the curve dip although no unit's field ever shrinks. Along the chain each convolution or pooling adds
(k − 1)·(stride so far) — RF₂ = RF₁ + (k − 1)·s — and elementwise layers add nothing: the curve never
falls.
(The longest conv/pool chain would do for ResNet and DenseNet, but ties among an Inception module's branches
of equal length, 1×1 → 3×3 against 1×1 → 5×5, and would plot the smaller field.)
"""
from __future__ import annotations

import math

from explorer.core.inspect import LayerInfo, ModelInfo

DEPTH_OPS = frozenset({"Conv", "MaxPool", "AveragePool", "LpPool"})  # the layers that widen a field


def _field(layer: LayerInfo) -> float:
    """The layer's field side (rows); "whole input" (rf None: global pooling, fully connected) is the largest."""
    return math.inf if layer.rf is None else layer.rf.size[0]


def main_path(info: ModelInfo) -> list[LayerInfo]:
    """The layers from the first to the output along the chain of largest receptive fields, in forward order."""
    if not info.layers:
        return []
    producer = {out: layer for layer in info.layers for out in layer.outputs}
    depth: dict[str, int] = {}  # layer name -> conv/pool layers on its longest chain from the input
    for layer in info.layers:   # inspect lists layers in topological order
        before = max((depth[producer[t].name] for t in layer.inputs if t in producer), default=0)
        depth[layer.name] = before + (layer.op in DEPTH_OPS)
    chain = [info.layers[-1]]
    while True:
        inputs = [producer[t] for t in chain[-1].inputs if t in producer]
        if not inputs:
            return chain[::-1]
        chain.append(max(inputs, key=lambda p: (_field(p), depth[p.name])))  # max keeps the first of equals


def plotted_layers(info: ModelInfo) -> list[LayerInfo]:
    """The convolution/pooling layers on the main path with a finite field: the points of the growth curve."""
    return [layer for layer in main_path(info) if layer.op in DEPTH_OPS and layer.rf is not None]


def rf_curve(info: ModelInfo) -> tuple[list[int], list[int]]:
    """(depth along the main path, receptive-field height) for each of plotted_layers."""
    sizes = [layer.rf.size[0] for layer in plotted_layers(info)]
    return list(range(1, len(sizes) + 1)), sizes
