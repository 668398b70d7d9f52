"""Sparse connectivity and parameter sharing: the wiring probed through explorer.core.conv agrees with numpy's own
1-D correlation, and the lecture's counts (x₃ reaches 3 outputs against 5; 3 weights against 25) hold."""
import numpy as np
import pytest

from explorer.core import connectivity
from explorer.core.errors import UserError


def numpy_edges(n: int, width: int, mode: str) -> set[tuple[int, int, int]]:
    """The oracle: numpy.correlate with the kernel 1, 10, 100, … tells which weight links input i to output j."""
    kernel = 10.0 ** np.arange(width)
    edges = set()
    for i in range(n):
        out = np.correlate(np.eye(n)[i], kernel, mode=mode)
        edges |= {(i, int(j), int(round(np.log10(out[j])))) for j in np.flatnonzero(out)}
    return edges


@pytest.mark.parametrize("width", connectivity.WIDTHS)
@pytest.mark.parametrize("same", [True, False])
def test_convolution_wiring_is_numpys_correlation(width, same):
    wiring = connectivity.convolution_wiring(5, width, same)
    assert {(e.source, e.target, e.weight) for e in wiring.edges} == numpy_edges(5, width, "same" if same else "valid")
    assert wiring.outputs == (5 if same else 5 - width + 1)


def test_x3_reaches_three_outputs_by_convolution_and_all_five_by_matrix_product():
    conv, dense = connectivity.convolution_wiring(5, 3, True), connectivity.matrix_wiring(5, 5)
    assert conv.reached(2) == (1, 2, 3)          # s₂, s₃, s₄
    assert conv.field(2) == (1, 2, 3)            # s₃ reads x₂, x₃, x₄
    assert dense.reached(2) == dense.field(2) == (0, 1, 2, 3, 4)
    # Without padding the outputs are s₁…s₃ and x₃ feeds all three (the lecture's second wording).
    assert connectivity.convolution_wiring(5, 3, False).reached(2) == (0, 1, 2)


def test_three_shared_weights_against_twenty_five():
    conv, dense = connectivity.convolution_wiring(5, 3, True), connectivity.matrix_wiring(5, 5)
    assert conv.weights == 3 and dense.weights == 5 * 5
    # 5 outputs × 3 taps, less the two taps that land on the zero padding at the ends
    assert len(conv.edges) == 5 * 3 - 2
    assert [len(conv.uses(k)) for k in range(3)] == [4, 5, 4]     # the middle weight at every position
    assert all(len(dense.uses(k)) == 1 for k in range(25)) and len(dense.edges) == 25


def test_picture_highlights_follow_the_focus():
    shown = connectivity.picture()                                 # x₃
    assert {e.target for e in shown.conv_lit} == {1, 2, 3} and len(shown.dense_lit) == 5
    assert "reaches 3 of 5 outputs (s₂, s₃, s₄)" in shown.summary() and "all 5" in shown.summary()
    seen = connectivity.picture(focus="output", index=2)
    assert {e.source for e in seen.conv_lit} == {1, 2, 3} and {e.source for e in seen.dense_lit} == set(range(5))
    assert "(x₂, x₃, x₄)" in seen.summary()
    middle = connectivity.picture(focus="weight", index=1)        # w₂
    assert sorted((e.source, e.target) for e in middle.conv_lit) == [(i, i) for i in range(5)]
    (single,) = middle.dense_lit
    assert (single.source, single.target) == (2, 2) and middle.dense.weight_names[single.weight] == "W₃,₃"
    assert "w₂ is used 5 times" in middle.summary() and "W₃,₃ is used once" in middle.summary()


def test_index_past_the_row_falls_back_and_bad_choices_say_what_to_do():
    assert connectivity.picture(3, False, "output", 4).index == 2   # no padding: only s₁…s₃
    with pytest.raises(UserError, match="use 1, 3, 5"):
        connectivity.convolution_wiring(5, 4)
    with pytest.raises(UserError, match="choose input, output or weight"):
        connectivity.picture(focus="bias")
