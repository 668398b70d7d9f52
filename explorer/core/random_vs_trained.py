"""Random against trained: the same architecture with seeded random weights and with published trained weights.

Learned conv1 filters (edges, colour blobs) beside random colour noise is one of the most convincing pictures
in the field. ``pair`` finds the two catalog entries of the chosen model's architecture; ``conv_layers`` lists
each network's convolutions in graph order, so "the k-th convolution" names the same layer on both sides when
the file has the paper's structure (core/layer_names.py checks that by shapes).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from explorer.core import catalog
from explorer.core.errors import UserError
from explorer.core.inspect import ModelInfo


@dataclass(frozen=True)
class Pair:
    architecture: str
    random: catalog.ModelEntry   # the built-in, He-normal from its seed
    trained: catalog.ModelEntry  # the published trained file (may still need downloading)

    @property
    def keys(self) -> tuple[str, str]:
        return self.random.key, self.trained.key


@dataclass(frozen=True)
class ConvLayer:
    name: str      # layer (node) name, as the filters are keyed
    tensor: str    # its output
    channels: int


def pair(key: str) -> Pair | None:
    """The random and trained entries of the chosen model's architecture, when the catalog has both."""
    if Path(key).suffix.lower() == ".onnx":
        return None
    try:
        architecture = catalog.get(key).architecture
    except UserError:
        return None
    if architecture is None:
        return None
    same = [e for e in catalog.entries() if e.architecture == architecture]
    random = next((e for e in same if isinstance(e.weights, catalog.RandomInit)), None)
    trained = next((e for e in same if isinstance(e.weights, catalog.Download)), None)
    return Pair(architecture, random, trained) if random and trained else None


def conv_layers(info: ModelInfo) -> list[ConvLayer]:
    """Every Conv layer in graph order."""
    return [ConvLayer(layer.name, layer.output, int(layer.shape[1]) if layer.shape and len(layer.shape) > 1 else 0)
            for layer in info.layers if layer.op == "Conv"]
