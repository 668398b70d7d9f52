"""Sparse connectivity and parameter sharing in one dimension: which input reaches which output through which
weight, for a convolution and for a matrix product (a fully connected layer), as the lecture draws them.

The wiring is probed from the real operations rather than written down from the rule: a one-hot input through a
one-hot kernel (or one-hot weight matrix) lights exactly the outputs that this weight connects it to. So the
picture and its counts are whatever ``explorer.core.conv`` computes, "same" padding included.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from explorer.core.conv import conv2d
from explorer.core.errors import UserError

UNITS = 5                # the lecture's x₁…x₅ and s₁…s₅
WIDTHS = (1, 3, 5)       # odd kernel widths: each has a middle weight, the one the lecture follows
FOCI: tuple[str, ...] = ("input", "output", "weight")

_SUB = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")


def sub(n: int) -> str:
    """1 → "₁": unit and weight names as the lecture writes them."""
    return str(n).translate(_SUB)


@dataclass(frozen=True)
class Edge:
    source: int   # input index, 0-based (x₁ is 0)
    target: int   # output index, 0-based
    weight: int   # which parameter the connection multiplies by


@dataclass(frozen=True)
class Wiring:
    inputs: int
    outputs: int
    edges: tuple[Edge, ...]
    weight_names: tuple[str, ...]   # one per parameter, indexed by Edge.weight

    @property
    def weights(self) -> int:
        return len(self.weight_names)

    def reached(self, source: int) -> tuple[int, ...]:
        """Outputs that input ``source`` feeds."""
        return tuple(sorted({e.target for e in self.edges if e.source == source}))

    def field(self, target: int) -> tuple[int, ...]:
        """Inputs that output ``target`` reads: its receptive field."""
        return tuple(sorted({e.source for e in self.edges if e.target == target}))

    def uses(self, weight: int) -> tuple[Edge, ...]:
        return tuple(e for e in self.edges if e.weight == weight)


def _one_hot(n: int, i: int) -> np.ndarray:
    v = np.zeros(n, np.float32)
    v[i] = 1.0
    return v


def _conv_1d(x: np.ndarray, w: np.ndarray, same: bool) -> np.ndarray:
    """1-D cross-correlation through the 2-D ``conv2d``: x fills the middle row of an f-row image and w the middle
    row of an f×f kernel; every other row is zero, so the output rows sum to the 1-D result."""
    f = len(w)
    image = np.zeros((f, len(x)), np.float32)
    image[f // 2] = x
    kernel = np.zeros((f, f), np.float32)
    kernel[f // 2] = w
    return conv2d(image, kernel, padding="same" if same else 0).sum(axis=0)


def convolution_wiring(n: int = UNITS, width: int = 3, same: bool = True) -> Wiring:
    """The connections of a width-``width`` 1-D convolution over ``n`` inputs (zero "same" padding or none)."""
    if width not in WIDTHS:
        raise UserError(f"Kernel width {width} is not offered here: use {', '.join(map(str, WIDTHS))}.")
    if width > n and not same:
        raise UserError(f"A width-{width} kernel does not fit {n} inputs without padding: use 'same' padding.")
    edges, outputs = [], 0
    for i in range(n):
        for k in range(width):
            y = _conv_1d(_one_hot(n, i), _one_hot(width, k), same)
            outputs = len(y)
            edges += [Edge(i, int(j), k) for j in np.flatnonzero(y)]
    return Wiring(n, outputs, tuple(edges), tuple(f"w{sub(k + 1)}" for k in range(width)))


def matrix_wiring(n: int = UNITS, m: int = UNITS) -> Wiring:
    """The connections of s = W·x with an m×n matrix: probed one matrix element at a time."""
    edges = []
    for i in range(n):
        for a in range(m):
            for b in range(n):
                matrix = np.zeros((m, n), np.float32)
                matrix[a, b] = 1.0
                y = matrix @ _one_hot(n, i)
                edges += [Edge(i, int(j), a * n + b) for j in np.flatnonzero(y)]
    names = tuple(f"W{sub(a + 1)},{sub(b + 1)}" for a in range(m) for b in range(n))
    return Wiring(n, m, tuple(edges), names)


@dataclass(frozen=True)
class Picture:
    """Both wirings and what is highlighted in each for the chosen input, output or weight."""
    conv: Wiring
    dense: Wiring
    width: int
    focus: str
    index: int                        # clamped to the row (or the kernel) it refers to
    conv_lit: frozenset[Edge]
    dense_lit: frozenset[Edge]

    def focus_name(self) -> str:
        if self.focus == "weight":
            return self.conv.weight_names[self.index]
        return f"{'x' if self.focus == 'input' else 's'}{sub(self.index + 1)}"

    def conv_title(self) -> str:
        return (f"Convolution, kernel width {self.width}: {self.conv.weights} weights, the same ones at every "
                f"position")

    def dense_title(self) -> str:
        d = self.dense
        return f"Matrix product (fully connected): {d.outputs}×{d.inputs} = {d.weights} weights, each used once"

    def summary(self) -> str:
        """One sentence on what the highlight shows, with the counts read from the wirings."""
        name, conv, dense = self.focus_name(), self.conv, self.dense
        if self.focus == "input":
            reached = conv.reached(self.index)
            return (f"{name} reaches {len(reached)} of {conv.outputs} outputs ({_names('s', reached)}) through the "
                    f"convolution, and all {len(dense.reached(self.index))} through the matrix product.")
        if self.focus == "output":
            seen = conv.field(self.index)
            return (f"{name} reads {len(seen)} of {conv.inputs} inputs ({_names('x', seen)}), its receptive field; "
                    f"through the matrix product it reads all {len(dense.field(self.index))}.")
        (dense_edge,) = self.dense_lit
        return (f"{name} is used {_times(len(self.conv_lit))}, at every position where it meets an input rather "
                f"than padding: one shared weight. In the matrix product {dense.weight_names[dense_edge.weight]} "
                f"is used once.")


def _times(n: int) -> str:
    return "once" if n == 1 else f"{n} times"


def _names(letter: str, indices: tuple[int, ...]) -> str:
    return ", ".join(f"{letter}{sub(i + 1)}" for i in indices)


def picture(width: int = 3, same: bool = True, focus: str = "input", index: int = 2) -> Picture:
    """The lecture's picture: x₃ (``index`` 2) by default. An index past the end of its row (after the width or
    the padding changed) falls back to the last unit."""
    if focus not in FOCI:
        raise UserError(f"Highlight {focus!r} is not understood: choose input, output or weight.")
    conv = convolution_wiring(UNITS, width, same)
    dense = matrix_wiring(UNITS, conv.outputs)
    count = {"input": conv.inputs, "output": conv.outputs, "weight": conv.weights}[focus]
    index = min(max(index, 0), count - 1)
    if focus == "input":
        conv_lit = {e for e in conv.edges if e.source == index}
        dense_lit = {e for e in dense.edges if e.source == index}
    elif focus == "output":
        conv_lit = {e for e in conv.edges if e.target == index}
        dense_lit = {e for e in dense.edges if e.target == index}
    else:
        conv_lit = set(conv.uses(index))
        # The matrix's counterpart: the one element on the same connection into the middle output.
        middle = next(e for e in conv_lit if e.target == conv.outputs // 2)
        dense_lit = {e for e in dense.edges if (e.source, e.target) == (middle.source, middle.target)}
    return Picture(conv, dense, width, focus, index, frozenset(conv_lit), frozenset(dense_lit))
