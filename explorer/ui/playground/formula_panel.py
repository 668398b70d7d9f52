"""The output-size formula with the user's numbers (both axes), the layer's cost and the pooled size.

All text comes from core (output_size_lines, layer_cost); this panel only lays it out in big type.
"""
from __future__ import annotations

from itertools import zip_longest

from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from explorer.core.conv import (
    ConvParams,
    PoolParams,
    layer_cost,
    output_shape,
    output_size_lines,
    pool_shape,
)
from explorer.ui import style
from explorer.ui.wrapped_label import WrappedLabel


class FormulaPanel(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        # The output-size formula in up to three lines (show_numbers says which), then pooling and the cost.
        self.formula_lines = (WrappedLabel(), WrappedLabel(), WrappedLabel())
        self.pool_line = WrappedLabel()
        self.cost_line = WrappedLabel()
        for label in (*self.formula_lines, self.pool_line):
            label.setFont(style.font(style.FORMULA_PT))
        self.cost_line.setFont(style.font(style.TITLE_PT))
        for label in self.formula_lines:
            label.setToolTip("The output size along each axis, from its input size n and your f, s, p, d.")
        self.pool_line.setToolTip("Size after pooling: the same formula with the pool size and stride.")
        self.cost_line.setToolTip("One filter's learnable weights and the multiply-adds it needs for this image.")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        for label in self._lines():   # wrapped: a long formula must not widen the window past 1024 px
            layout.addWidget(label)

    def _lines(self) -> tuple[QLabel, ...]:
        return *self.formula_lines, self.pool_line, self.cost_line

    def text(self) -> str:
        """The formula as shown: its visible lines."""
        return "\n".join(label.text() for label in self.formula_lines if not label.isHidden())

    def show_numbers(self, input_hw: tuple[int, int], params: ConvParams, pool: PoolParams, channels: int) -> None:
        """Raises core's UserError for impossible numbers before changing any text."""
        h, w = input_hw
        lines = output_size_lines(h, w, params)
        conv_hw = output_shape(h, w, params)
        if pool.kind == "none":
            pool_text = "pooling: none"
        else:
            ph, pw = pool_shape(*conv_hw, pool)
            name = "max" if pool.kind == "max" else "average"
            pool_text = (f"{name} pooling {pool.size}×{pool.size}, stride {pool.stride}: "
                         f"{conv_hw[0]}×{conv_hw[1]} → {ph}×{pw}")
        cost = layer_cost(params.size, channels, 1, conv_hw)
        f = params.size
        cost_text = (f"one filter: {f}×{f}×{channels} = {cost.weights:,} weights + {cost.biases} bias\n"
                     f"multiply-adds: {cost.weights:,} × {conv_hw[0]}×{conv_hw[1]} = {cost.macs:,}")
        for label, text in zip_longest(self.formula_lines, lines, fillvalue=""):
            label.setText(text)
            label.setVisible(bool(text))
        self.pool_line.setText(pool_text)
        self.pool_line.setVisible(pool.kind != "none")   # "pooling: none" costs a line a 768 px screen lacks
        self.cost_line.setText(cost_text)

