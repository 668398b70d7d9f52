"""Padding against dilation on the 7×7 grid: both keep 7×7, with 9 weights each, but one unit sees 3×3 against
5×5. Outputs are checked against a loop-by-loop convolution, fields by perturbing input pixels."""
import numpy as np
import pytest

from explorer.core import lessons, pad_vs_dilation
from explorer.core.errors import UserError


def brute_conv(image: np.ndarray, kernel: np.ndarray, p: int, d: int) -> np.ndarray:
    padded = np.pad(image.astype(np.float64), p)
    f = kernel.shape[0]
    span = d * (f - 1) + 1
    n = padded.shape[0] - span + 1
    out = np.zeros((n, n))
    for r in range(n):
        for c in range(n):
            out[r, c] = sum(kernel[i, j] * padded[r + i * d, c + j * d] for i in range(f) for j in range(f))
    return out


def influencing_pixels(unit: tuple[int, int], p: int, d: int) -> set[tuple[int, int]]:
    """Which input pixels change the unit when bumped (all-ones kernel, so no zero weight hides a tap)."""
    base = np.zeros((7, 7))
    ones = np.ones((3, 3))
    found = set()
    for r in range(7):
        for c in range(7):
            bumped = base.copy()
            bumped[r, c] = 1
            if brute_conv(bumped, ones, p, d)[unit] != brute_conv(base, ones, p, d)[unit]:
                found.add((r, c))
    return found


def test_both_keep_seven_by_seven_with_the_lectures_filter():
    padded, dilated = pad_vs_dilation.panels()
    grid = np.arange(1, 50).reshape(7, 7)
    np.testing.assert_array_equal(padded.output, brute_conv(grid, lessons.LECTURE_X_KERNEL, 1, 1))
    np.testing.assert_array_equal(dilated.output, brute_conv(grid, lessons.LECTURE_X_KERNEL, 2, 2))
    assert padded.output.shape == dilated.output.shape == (7, 7)
    assert padded.formula().endswith("= ⌊(7 + 2·1 − 1·(3−1) − 1)/1⌋ + 1 = 7")
    assert dilated.formula().endswith("= ⌊(7 + 2·2 − 2·(3−1) − 1)/1⌋ + 1 = 7")


@pytest.mark.parametrize("unit", [(3, 3), (0, 0), (6, 2)])
def test_fields_are_the_pixels_that_move_the_unit(unit):
    padded, dilated = pad_vs_dilation.panels(unit)
    for panel, p, d in ((padded, 1, 1), (dilated, 2, 2)):
        inside = {tuple(t) for t in panel.field.taps[~panel.field.in_padding]}
        assert inside == influencing_pixels(unit, p, d)
        assert panel.weights == 9


def test_centre_unit_sees_three_by_three_against_five_by_five():
    padded, dilated = pad_vs_dilation.panels((3, 3))
    assert (padded.span, dilated.span) == (3, 5)
    assert padded.field.box == (2, 2, 4, 4) and dilated.field.box == (1, 1, 5, 5)
    assert dilated.field_text() == "Unit (3, 3): 9 weights over a 5×5 span (rows 1…5, columns 1…5)."
    corner = pad_vs_dilation.panels((0, 0))
    assert [int(panel.field.in_padding.sum()) for panel in corner] == [5, 5]   # 9 taps − 4 inside, both sides
    assert corner[1].field_text().endswith("(rows −2…2, columns −2…2), 5 of them on padding.")


def test_a_unit_outside_the_map_says_what_to_do():
    with pytest.raises(UserError, match="pick a unit inside"):
        pad_vs_dilation.panels((7, 0))
