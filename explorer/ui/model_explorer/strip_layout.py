"""Layout of the architecture strip: pure Python, no Qt, so it can be tested and reasoned about alone.

Each layer goes into a column = its longest path from the input, so parallel branches (an Inception module's
four paths, a ResNet block's projection shortcut) land in the same columns and are stacked vertically, and the
strip reads left to right like the papers' figures. Block height grows with the log of the spatial size, width
with the log of the channel count. An edge that jumps over columns from a lone block (a residual skip, a
DenseNet concatenation) is an arc; edges between branches are straight lines.

Grouping collapses each run of layers sharing a block prefix (DenseNet's denseblock/transition, ResNet's
layerN, GoogLeNet's inception modules) into one node, so DenseNet-121's ~430 layers read as ~20 blocks.

What the lecture points at is read from the graph, never from layer names: ``shortcuts`` finds residual
shortcuts (the inputs of an Add that bypass its longest path, with a projection on them), ``dense_links`` the
layers whose maps a later layer reads through concatenations, and ``aligned`` lines one strip up under another
(plain-34 under ResNet-34: the same layers in the same places, gaps where the Adds were).
"""
from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

COLUMN_GAP = 10.0
ROW_GAP = 6.0
GROUP_WIDTH = 76.0  # a group block's base width: room for its name inside it
GROUP_WIDTH_PER_DOUBLING = 8.0  # width grows with log2(layers): denseblock3 (168) outsizes a transition (4)
# The first path component names the block in torchvision/Caffe naming: "denseblock1/denselayer3/conv1",
# "transition2/pool", "layer2.0.conv1", "inception_4a/3x3". Stems and heads ("conv1", "pool5/7x7_s1") don't match.
GROUP_PATTERN = re.compile(r"(denseblock\d+|transition\d+|layer\d+|inception_\d+[a-z])(?:[./]|$)")
SUM_OPS = frozenset({"Add", "Sum"})
# Ops that keep each channel where it is (per-channel scaling, elementwise activations): maps pass through them
# unchanged in identity, so a later layer reading their output reads the maps that went in.
CHANNELWISE_OPS = frozenset({"BatchNormalization", "Relu", "LeakyRelu", "PRelu", "Sigmoid", "Tanh", "Clip",
                             "Dropout", "Identity"})


@dataclass(frozen=True)
class StripNode:
    name: str
    op: str
    inputs: tuple[str, ...]    # tensor names read
    outputs: tuple[str, ...]   # tensor names written
    shape: tuple               # output shape, e.g. (1, C, H, W) or (1, N); unknown dims may be None/str
    layers: int = 1            # > 1: a collapsed group of that many layers


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


def block_size(shape: Sequence, layers: int = 1) -> tuple[float, float]:
    """(width, height): width ~ log2(channels) (groups: ~ log2(layers)), height ~ log2(spatial positions)."""
    dims = [d if isinstance(d, int) and d > 0 else 1 for d in shape]
    channels = dims[1] if len(dims) >= 2 else 1
    spatial = math.prod(dims[2:]) if len(dims) >= 3 else 1
    height = 8.0 + 6.0 * math.log2(spatial + 1)
    if layers > 1:
        return GROUP_WIDTH + GROUP_WIDTH_PER_DOUBLING * math.log2(layers), height
    return 4.0 + 2.5 * math.log2(channels + 1), height


def group_key(name: str) -> str | None:
    """The block a layer belongs to ("layer2.0.conv1" -> "layer2"), None for a layer outside any block."""
    match = GROUP_PATTERN.match(name)
    return match.group(1) if match else None


def group_nodes(nodes: Sequence[StripNode]) -> tuple[list[StripNode], list[range]]:
    """Collapse each run of consecutive nodes with the same group_key into one node.

    Returns the new nodes and, for each, the range of original indices it stands for. A group reads the tensors
    its members read from outside it, writes all its members' outputs (so later consumers find it) and shows
    the last member's shape: the block's output. Only consecutive runs merge, which keeps the topological order
    the layout relies on.
    """
    spans: list[range] = []
    keys = [group_key(node.name) for node in nodes]
    start = 0
    for i in range(1, len(nodes) + 1):
        if i == len(nodes) or keys[i] is None or keys[i] != keys[start]:
            spans.append(range(start, i))
            start = i
    grouped: list[StripNode] = []
    for span in spans:
        members = [nodes[i] for i in span]
        if len(members) == 1:  # a lone layer stays itself, even if its name has a block prefix
            grouped.append(members[0])
            continue
        written = {t for m in members for t in m.outputs}
        inputs = tuple(dict.fromkeys(t for m in members for t in m.inputs if t not in written))
        outputs = tuple(dict.fromkeys(t for m in members for t in m.outputs))
        grouped.append(replace(members[-1], name=keys[span.start], op="Group", inputs=inputs, outputs=outputs,
                               layers=len(members)))
    return grouped, spans


def has_groups(nodes: Sequence[StripNode]) -> bool:
    """Whether grouping would collapse anything (a lone prefixed layer doesn't count)."""
    return len(group_nodes(nodes)[0]) < len(nodes)


def predecessors(nodes: Sequence[StripNode]) -> list[list[int]]:
    """For each node, the earlier nodes whose outputs it reads (nodes come in topological order)."""
    producer: dict[str, int] = {}
    for i, node in enumerate(nodes):
        for tensor in node.outputs:
            producer.setdefault(tensor, i)
    return [sorted({producer[t] for t in node.inputs if t in producer and producer[t] < i})
            for i, node in enumerate(nodes)]


def columns_of(preds: Sequence[Sequence[int]]) -> list[int]:
    """Each node's column: the length of its longest path from the input."""
    column = [0] * len(preds)
    for i in range(len(preds)):
        column[i] = 1 + max((column[p] for p in preds[i]), default=-1)
    return column


def layout(nodes: Sequence[StripNode]) -> StripLayout:
    preds = predecessors(nodes)
    column = columns_of(preds)
    columns: dict[int, list[int]] = {}
    for i, c in enumerate(column):
        columns.setdefault(c, []).append(i)

    sizes = [block_size(node.shape, node.layers) for node in nodes]
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


@dataclass(frozen=True)
class Shortcuts:
    nodes: frozenset[int]                 # the Adds and the layers only a shortcut uses (a 1×1 projection)
    edges: frozenset[tuple[int, int]]     # (source, target) along the shortcuts, into the Adds


def shortcuts(nodes: Sequence[StripNode]) -> Shortcuts:
    """Residual shortcuts: each Add's inputs other than its deepest one (the block's convolutions), followed back
    through layers that feed nothing else (a projection) to where the path forks."""
    preds = predecessors(nodes)
    column = columns_of(preds)
    consumers = [0] * len(nodes)
    for ps in preds:
        for p in ps:
            consumers[p] += 1
    found: set[int] = set()
    edges: set[tuple[int, int]] = set()
    for i, node in enumerate(nodes):
        if node.op not in SUM_OPS or len(preds[i]) < 2:
            continue
        found.add(i)
        main = max(preds[i], key=lambda p: column[p])   # the first of the deepest: the block's own path
        for side in preds[i]:
            if side == main:
                continue
            edges.add((side, i))
            while consumers[side] == 1 and len(preds[side]) == 1:   # serves only this shortcut: part of it
                found.add(side)
                edges.add((preds[side][0], side))
                side = preds[side][0]
    return Shortcuts(frozenset(found), frozenset(edges))


def dense_links(nodes: Sequence[StripNode]) -> list[tuple[int, int]]:
    """(source, reader) for dense connectivity: ``reader`` reads, through concatenations, maps made by several
    layers one of which lies behind another (DenseNet: a layer reads the block input and every earlier layer's
    maps). Inception's side-by-side branches are concatenated too, but none lies behind another: no links.

    A source is a layer that makes new maps (anything but a concatenation or a channel-wise op); what a tensor
    holds is the set of sources whose maps it carries, passed through channel-wise ops and joined by Concat."""
    preds = predecessors(nodes)
    ancestors: list[set[int]] = []
    holds: list[frozenset[int]] = []
    links: list[tuple[int, int]] = []
    for i, node in enumerate(nodes):
        ancestors.append(set().union(*(ancestors[p] | {p} for p in preds[i])))
        read = frozenset().union(*(holds[p] for p in preds[i]))
        if node.op == "Concat" or (node.op in CHANNELWISE_OPS and len(preds[i]) == 1):
            holds.append(read)
            continue
        holds.append(frozenset({i}))
        concatenated = any(len(holds[p]) > 1 for p in preds[i])   # an Add's two inputs are one sum, not reuse
        if concatenated and any(a in ancestors[b] for a in read for b in read):
            links += [(source, i) for source in sorted(read)]
    return links


def aligned(result: StripLayout, nodes: Sequence[StripNode], reference: StripLayout,
            reference_nodes: Sequence[StripNode]) -> StripLayout:
    """``result`` moved so each block sits under the reference block of the same name (centres aligned); a block
    without a namesake keeps its distance to the block before it. Plain-34 under ResNet-34: gaps at the Adds."""
    centre = {n.name: b.x + b.w / 2 for n, b in zip(reference_nodes, reference.blocks)}
    shift, blocks = 0.0, []
    for node, block in zip(nodes, result.blocks):
        if node.name in centre:
            shift = centre[node.name] - (block.x + block.w / 2)
        blocks.append(replace(block, x=block.x + shift))
    width = max([reference.width] + [b.x + b.w for b in blocks])
    return StripLayout(blocks, result.edges, width, result.height)
