"""Layout of the architecture strip: pure Python, no Qt, so it can be tested and reasoned about alone.

Each layer goes into a column = its longest path from the input, so parallel branches (an Inception module's
four paths, a ResNet block's projection shortcut) land in the same columns and are stacked vertically, and the
strip reads left to right like the papers' figures. Block height grows with the log of the spatial size, width
with the log of the channel count. An edge that jumps over columns from a lone block (a residual skip, a
DenseNet concatenation) is an arc; edges between branches are straight lines.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

COLUMN_GAP = 10.0
ROW_GAP = 6.0


@dataclass(frozen=True)
class StripNode:
    name: str
    op: str
    inputs: tuple[str, ...]    # tensor names read
    outputs: tuple[str, ...]   # tensor names written
    shape: tuple               # output shape, e.g. (1, C, H, W) or (1, N); unknown dims may be None/str


@dataclass(frozen=True)
class Block:
    index: int
    column: int
    x: float
    y: float        # top
    w: float
    h: float


@dataclass(frozen=True)
class Edge:
    source: int
    target: int
    arc: bool


@dataclass(frozen=True)
class StripLayout:
    blocks: list[Block]
    edges: list[Edge]
    width: float
    height: float    # total; blocks are centred on y = 0


def block_size(shape: Sequence) -> tuple[float, float]:
    """(width, height): width ~ log2(channels), height ~ log2(spatial positions)."""
    dims = [d if isinstance(d, int) and d > 0 else 1 for d in shape]
    channels = dims[1] if len(dims) >= 2 else 1
    spatial = math.prod(dims[2:]) if len(dims) >= 3 else 1
    return 4.0 + 2.5 * math.log2(channels + 1), 8.0 + 6.0 * math.log2(spatial + 1)


def layout(nodes: Sequence[StripNode]) -> StripLayout:
    producer: dict[str, int] = {}
    for i, node in enumerate(nodes):
        for tensor in node.outputs:
            producer.setdefault(tensor, i)
    preds = [sorted({producer[t] for t in node.inputs if t in producer and producer[t] < i})
             for i, node in enumerate(nodes)]

    column = [0] * len(nodes)
    for i in range(len(nodes)):  # nodes come in topological (graph) order
        column[i] = 1 + max((column[p] for p in preds[i]), default=-1)
    columns: dict[int, list[int]] = {}
    for i, c in enumerate(column):
        columns.setdefault(c, []).append(i)

    sizes = [block_size(node.shape) for node in nodes]
    centre: dict[int, float] = {}
    blocks: dict[int, Block] = {}
    x = 0.0
    height = 0.0
    for c in sorted(columns):
        members = columns[c]
        # Keep each branch in its lane: order by where the predecessors sit, then by graph order.
        members.sort(key=lambda i: (sum(centre[p] for p in preds[i]) / len(preds[i]) if preds[i] else 0.0, i))
        total = sum(sizes[i][1] for i in members) + ROW_GAP * (len(members) - 1)
        y = -total / 2
        width = max(sizes[i][0] for i in members)
        for i in members:
            w, h = sizes[i]
            blocks[i] = Block(i, c, x + (width - w) / 2, y, w, h)
            centre[i] = y + h / 2
            y += h + ROW_GAP
        height = max(height, total)
        x += width + COLUMN_GAP

    edges = [Edge(p, i, arc=column[i] - column[p] > 1 and len(columns[column[p]]) == 1)
             for i in range(len(nodes)) for p in preds[i]]
    return StripLayout([blocks[i] for i in range(len(nodes))], edges, max(x - COLUMN_GAP, 0.0), height)
