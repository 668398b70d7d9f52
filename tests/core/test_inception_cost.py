"""The lecture's Inception bottleneck numbers, and that edits change them the way the formula says."""
import pytest

from explorer.core.errors import UserError
from explorer.core.inception_cost import inception_cost


def test_lecture_5x5_branch_costs_120_million_and_the_bottleneck_a_tenth():
    cost = inception_cost()   # 28×28×192 input, 32 filters of 5×5, reduction to 16 channels
    assert cost.direct == 120_422_400            # (28·28·32)·(5·5·192)
    assert cost.reduction == 2_408_448           # (28·28·16)·(1·1·192)
    assert cost.after_reduction == 10_035_200    # (28·28·32)·(5·5·16)
    assert cost.bottleneck == 12_443_648
    assert 0.1 < cost.ratio < 0.11


def test_formula_shows_the_numbers_it_multiplies():
    direct, bottleneck, saving = inception_cost().formula_lines()
    assert direct == "5×5 directly: (28·28·32) · (5·5·192) = 120,422,400"
    assert "(28·28·16) · (1·1·192) + (28·28·32) · (5·5·16) = 2,408,448 + 10,035,200 = 12,443,648" in bottleneck
    assert "1/9.7" in saving


def test_edits_follow_the_formula():
    cost = inception_cost(height=14, width=14, channels=480, filters=48, size=5, reduced=16)
    assert cost.direct == 14 * 14 * 48 * 5 * 5 * 480
    assert cost.bottleneck == 14 * 14 * 16 * 480 + 14 * 14 * 48 * 5 * 5 * 16


@pytest.mark.parametrize("name", ["channels", "reduced", "size"])
def test_nonsense_names_the_value(name):
    with pytest.raises(UserError, match="at least 1"):
        inception_cost(**{name: 0})
