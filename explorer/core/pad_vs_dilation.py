"""Padding against dilation on the same input, side by side: both keep the output the input's size, but only
dilation widens what one output unit sees — with the same nine weights.

The example is the dilation lesson's numbered 7×7 grid and the lecture's 3×3 X filter: padding 1 on one side,
dilation 2 with padding 2 on the other. Sizes, fields and the formula come from ``explorer.core.conv``.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from explorer.core import lessons, render
from explorer.core.conv import (
    ConvParams,
    UnitReceptiveField,
    conv2d,
    formula_terms,
    output_shape,
    resolve_padding,
    unit_receptive_field,
)

SIDE = 7
PADDED = ConvParams(size=3, stride=1, padding=1, dilation=1)
DILATED = ConvParams(size=3, stride=1, padding=2, dilation=2)
CENTRE = (SIDE // 2, SIDE // 2)


@dataclass(frozen=True)
class Panel:
    title: str
    params: ConvParams
    image: np.ndarray              # uint8 (7, 7): the numbered grid
    shown: np.ndarray              # uint8 (7, 7): the grid as displayed (stretched to black … white)
    output: np.ndarray             # float32: the X filter over it
    pads: tuple[int, int]          # (before, after) on each axis
    field: UnitReceptiveField      # of the chosen unit
    unit: tuple[int, int]

    @property
    def span(self) -> int:
        """Rows (= columns) between the field's first and last tap, padding included."""
        top, _, bottom, _ = self.field.box
        return bottom - top + 1

    @property
    def weights(self) -> int:
        return len(self.field.taps)

    def formula(self) -> str:
        """The output-size formula on two lines, the letters above the numbers (one long line wraps mid-term)."""
        letters, numbers, size = formula_terms(SIDE, self.params, axis="height")
        return f"out = {letters}\n      = {numbers} = {size}"

    def field_text(self) -> str:
        top, left, bottom, right = self.field.box
        outside = int(self.field.in_padding.sum())
        padding = f", {outside} of them on padding" if outside else ""
        return (f"Unit ({self.unit[0]}, {self.unit[1]}): {self.weights} weights over a {self.span}×{self.span} "
                f"span (rows {_num(top)}…{_num(bottom)}, columns {_num(left)}…{_num(right)}){padding}.")


def _num(v: int) -> str:
    """Rows above the image (in the padding) are negative: printed with a real minus sign, like the formula."""
    return str(v).replace("-", "\u2212")


def _panel(title: str, params: ConvParams, unit: tuple[int, int]) -> Panel:
    image = lessons.numbered_grid(SIDE).pixels
    output = conv2d(image, lessons.LECTURE_X_KERNEL, params.stride, params.padding, params.dilation)
    field = unit_receptive_field(*unit, (SIDE, SIDE), params)
    shown = render.input_view(image, image.astype(np.float32), "gray")
    return Panel(title, params, image, shown, output, resolve_padding(SIDE, params), field, unit)


def panels(unit: tuple[int, int] = CENTRE) -> tuple[Panel, Panel]:
    """The padded and the dilated convolution with the same output unit chosen on both (UserError outside)."""
    return (_panel(f"Padding {PADDED.padding}", PADDED, unit),
            _panel(f"Dilation {DILATED.dilation}, padding {DILATED.padding}", DILATED, unit))


def out_side(params: ConvParams) -> int:
    return output_shape(SIDE, SIDE, params)[0]
