"""The walk-through follows the lecture, and every number its captions quote is the lecture's."""
import pytest

from explorer.core import lesson_steps, lessons
from explorer.core.errors import UserError
from explorer.core.lesson_steps import STEPS, dilated_span, grown_receptive_field, step


def test_steps_follow_the_lectures_order():
    keys = [s.key for s in STEPS]
    order = ["numbers-gray", "fc-explosion", "step-by-step", "filter-size", "padding", "stride", "dilation",
             "max-pool", "avg-pool", "volume", "rf-growth", "lenet5", "alexnet", "vgg16", "googlenet",
             "inception-cost", "resnet", "densenet", "mnist"]
    assert [k for k in keys if k in order] == order


def test_every_step_sets_up_something_that_exists():
    for item in STEPS:
        assert item.tab in ("playground", "explorer", "mnist", "compare")
        if item.lesson:
            lessons.lesson(item.lesson)
        assert (item.tab == "playground") == bool(item.lesson)
        assert (item.tab == "explorer") == bool(item.model)


def test_fully_connected_explosion_numbers():
    assert "2,048,000 weights" in step("fc-explosion").caption   # 64·64 · 500
    assert "6,144,000" in step("fc-explosion").caption           # 64·64·3 · 500


def test_padding_stride_caption_numbers():
    caption = step("padding").caption
    assert "5×5 input at 5×5" in caption and "4×4 input shrinks to 2×2" in caption and "stride 2 on 5×5 gives 2×2" in caption


def test_dilation_covers_5_then_7_with_nine_weights():
    assert dilated_span(3, 1) == 3 and dilated_span(3, 2) == 5 and dilated_span(3, 3) == 7
    assert "rate 2 cover 5×5, at rate 3 7×7" in step("dilation").caption


def test_receptive_field_growth_formula():
    assert grown_receptive_field(3, 3, 2) == 7      # RF₂ = 3 + (3 − 1)·2
    assert grown_receptive_field(1, 3, 1) == 3
    assert "3 + 2·2 = 7" in step("rf-growth").caption


def test_inception_step_quotes_the_costs():
    caption = step("inception-cost").caption
    assert "120,422,400" in caption and "12,443,648" in caption


def test_clamp_and_unknown_step():
    assert lesson_steps.clamp(-5) == 0 and lesson_steps.clamp(999) == len(STEPS) - 1
    with pytest.raises(UserError, match="numbers-gray"):
        step("nope")
