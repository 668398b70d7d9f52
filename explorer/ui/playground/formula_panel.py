"""The output-size formula with the user's numbers (both axes), the layer's cost and the pooled size.

All text comes from core (formula_text, layer_cost); this panel only lays it out in big type.
"""
from __future__ import annotations

from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from explorer.core.conv import (
    ConvParams,
    PoolParams,
    formula_text,
    layer_cost,
    output_shape,
    pool_shape,
)
from explorer.ui import style
from explorer.ui.wrapped_label import WrappedLabel


class FormulaPanel(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.height_line = WrappedLabel()
        self.width_line = WrappedLabel()
        self.pool_line = WrappedLabel()
        self.cost_line = WrappedLabel()
        for label in (self.height_line, self.width_line, self.pool_line):
            label.setFont(style.font(style.FORMULA_PT))
        self.cost_line.setFont(style.font(style.TITLE_PT))
        self.height_line.setToolTip("Output height from the input height n and your f, s, p, d.")
        self.width_line.setToolTip("Output width from the input width n and your f, s, p, d.")
        self.pool_line.setToolTip("Size after pooling: the same formula with the pool size and stride.")
        self.cost_line.setToolTip("One filter's learnable weights and the multiply-adds it needs for this image.")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        for label in self._lines():   # wrapped: a long formula must not widen the window past 1024 px
            layout.addWidget(label)

    def _lines(self) -> tuple[QLabel, ...]:
        return self.height_line, self.width_line, self.pool_line, self.cost_line

    def show_numbers(self, input_hw: tuple[int, int], params: ConvParams, pool: PoolParams, channels: int) -> None:
        """Raises core's UserError for impossible numbers before changing any text."""
        h, w = input_hw
        # A square image gives the same formula twice: one line "height = width" leaves the arithmetic the room.
        first = "height = width" if h == w else "height"
        lines = [f"{first}: {formula_text(h, params, 'height')}", f"width:  {formula_text(w, params, 'width')}"]
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
        self.height_line.setText(lines[0])
        self.width_line.setText(lines[1])
        self.width_line.setVisible(h != w)
        self.pool_line.setText(pool_text)
        self.pool_line.setVisible(pool.kind != "none")   # "pooling: none" costs a line a 768 px screen lacks
        self.cost_line.setText(cost_text)
