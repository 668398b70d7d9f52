"""patch × kernel = products, Σ = value: the arithmetic behind one output unit, for kernels up to 7×7.

The patch values are read from core's convolved plane at core's taps; the sum shown next to core's output value
lets the class check that nothing magic happens. Beyond 7×7 the grids would be unreadable on a projector.
"""
from __future__ import annotations

import html

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QScrollArea, QWidget

from explorer.core.render import value_text
from explorer.ui import style

MAX_LISTED = 7
_CHANNELS = ("R", "G", "B")


_num = value_text   # 0 × a negative weight prints as 0, not -0


def _grid(values: np.ndarray, tint: bool, padding: np.ndarray | None = None) -> str:
    scale = float(np.abs(values).max()) if values.size else 0.0
    rows = []
    for r in range(values.shape[0]):
        cells = []
        for c in range(values.shape[1]):
            v = float(values[r, c])
            attrs = ""
            if tint and v != 0:
                attrs = f' bgcolor="{_sign_colour(v, scale)}"'
            text = _num(v)
            if padding is not None and padding[r, c]:
                text = f'<i><font color="{style.TAP_PADDING.name()}">0</font></i>'  # read from the zero padding
            cells.append(f'<td align="right"{attrs}>&nbsp;{text}&nbsp;</td>')
        rows.append(f"<tr>{''.join(cells)}</tr>")
    return f'<table border="1" cellspacing="0" cellpadding="2">{"".join(rows)}</table>'


def _sign_colour(v: float, scale: float) -> str:
    """Rich text has no alpha: the sign colour pre-blended with white by |v|/scale."""
    colour = style.POSITIVE if v > 0 else style.NEGATIVE
    a = 0.55 * min(abs(v) / scale, 1.0) if scale else 0.0
    mix = [round(255 * (1 - a) + ch * a) for ch in (colour.red(), colour.green(), colour.blue())]
    return "#{:02x}{:02x}{:02x}".format(*mix)


def _op(symbol: str) -> str:
    # A size relative to the label's font (x-large = 1.5×), never in pt: presentation zoom changes that font, and
    # Qt re-lays the text from it, so the operators grow with the numbers.
    return f'<td valign="middle"><span style="font-size:x-large">&nbsp;{symbol}&nbsp;</span></td>'


class ArithmeticPanel(QScrollArea):
    """Shows the last unit's arithmetic; ``shown_sum`` is the Σ it displays (None when not listed)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.label = QLabel()
        self.label.setTextFormat(Qt.TextFormat.RichText)
        self.label.setFont(style.font(style.LABEL_PT, mono=True))
        self.label.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.label.setMargin(6)
        self.label.setWordWrap(True)
        self.setWidget(self.label)
        self.setWidgetResizable(True)
        self.setToolTip("The arithmetic of the output unit under the pointer: patch × kernel, summed.")
        self.shown_sum: float | None = None
        self.clear()

    def clear(self) -> None:
        self.shown_sum = None
        self.label.setText("Hover over (or click) a pixel of the output map to see how it is computed.")

    def show_message(self, text: str) -> None:
        self.shown_sum = None
        self.label.setText(html.escape(text))

    def show_pooling(self, unit: tuple[int, int], window: np.ndarray, taken: tuple[int, int] | None, kind: str,
                     value: float) -> None:
        """The pooled window's values; max pooling marks the one kept, average shows the sum it divides."""
        self.shown_sum = None
        cells = []
        for r in range(window.shape[0]):
            row = []
            for c in range(window.shape[1]):
                v = float(window[r, c])
                text = "pad" if np.isnan(v) else _num(v)
                if (r, c) == taken:
                    text = f'<b><span style="background:{style.HIGHLIGHT.name()}">&nbsp;{text}&nbsp;</span></b>'
                row.append(f'<td align="right">&nbsp;{text}&nbsp;</td>')
            cells.append(f"<tr>{''.join(row)}</tr>")
        grid = f'<table border="1" cellspacing="0" cellpadding="2">{"".join(cells)}</table>'
        inside = window[~np.isnan(window)]
        terms = " + ".join(_num(v) for v in inside) if inside.size <= MAX_LISTED * 2 else f"{inside.size} values"
        how = (f"max = <b>{_num(value)}</b> (marked)" if kind == "max" else
               f"average = ({terms}) / {inside.size} = <b>{_num(value)}</b>")
        name = "maximum" if kind == "max" else "average"
        self.label.setText(f"<b>pooled output[{unit[0]}, {unit[1]}] = {_num(value)}</b>: the {name} of a "
                           f"{window.shape[0]}×{window.shape[1]} window of the convolution map (the input shows "
                           f"every pixel those units read):{grid}{how}")

    def show_unit(self, unit: tuple[int, int], patch: np.ndarray, kernel: np.ndarray, in_padding: np.ndarray,
                  value: float) -> None:
        """patch (f,f) or (f,f,C) input values under the taps (0 in padding); value: core's output at unit."""
        f = kernel.shape[0]
        head = f"<b>output[{unit[0]}, {unit[1]}] = {_num(value)}</b>"
        if f > MAX_LISTED:
            self.shown_sum = None
            self.label.setText(f"{head}<br>{f}×{f} = {f * f} products per channel — too many to list; "
                               f"choose f ≤ {MAX_LISTED} to see the arithmetic.")
            return
        planes = [patch] if patch.ndim == 2 else [patch[..., c] for c in range(patch.shape[2])]
        rows, sums = [], []
        for c, p in enumerate(planes):
            products = p * kernel
            total = float(products.sum(dtype=np.float64))
            sums.append(total)
            name = f"<b>{_CHANNELS[c]}</b>&nbsp;" if len(planes) > 1 else ""
            rows.append("<tr>" + f"<td valign='middle'>{name}</td>"
                        + f"<td>{_grid(p, False, in_padding)}</td>" + _op("×")
                        + f"<td>{_grid(kernel, True)}</td>" + _op("=")
                        + f"<td>{_grid(products, True)}</td>" + _op("Σ =")
                        + f"<td valign='middle'><b>{_num(total)}</b></td></tr>")
        header = ("<tr><td></td><td>input patch</td><td></td><td>kernel</td><td></td>"
                  "<td>products</td><td></td><td>sum</td></tr>")
        self.shown_sum = float(sum(sums))
        tail = ""
        if len(planes) > 1:
            tail = (f"<br>Volume mode: the same kernel runs over each of the {len(planes)} planes and the results are "
                    f"added: {' + '.join(_num(s) for s in sums)} = <b>{_num(self.shown_sum)}</b>")
        self.label.setText(f"{head}<table cellspacing='4'>{header}{''.join(rows)}</table>{tail}")
