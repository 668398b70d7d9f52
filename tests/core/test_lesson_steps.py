"""The walk-through follows the lecture, and every number its captions quote is the lecture's."""
import pytest

from explorer.core import lesson_steps, lessons
from explorer.core.errors import UserError
from explorer.core.lesson_steps import STEPS, dilated_span, grown_receptive_field, step


def test_steps_follow_the_lectures_order():
    keys = [s.key for s in STEPS]
    order = ["numbers-gray", "fc-explosion", "step-by-step", "filter-size", "padding", "stride", "dilation",
             "pad-vs-dilation", "max-pool", "avg-pool", "volume", "sparse", "rf-growth", "lenet5", "alexnet", "vgg16", "googlenet",
             "inception-cost", "resnet", "densenet", "mnist"]
    assert [k for k in keys if k in order] == order


def test_every_step_sets_up_something_that_exists():
    for item in STEPS:
        assert item.tab in ("playground", "explorer", "mnist", "compare", "lesson")
        if item.lesson:
            lessons.lesson(item.lesson)
        assert (item.tab == "playground") == bool(item.lesson)
        assert (item.tab == "explorer") == bool(item.model)
        assert (item.tab == "lesson") == (item.picture in lesson_steps.PICTURES)
    assert sorted(s.picture for s in STEPS if s.picture) == sorted(lesson_steps.PICTURES)


def test_fully_connected_explosion_numbers():
    assert "2,048,000 weights" in step("fc-explosion").caption   # 64·64 · 500
    assert "6,144,000" in step("fc-explosion").caption           # 64·64·3 · 500


def test_padding_stride_caption_numbers():
    caption = step("padding").caption
    assert "5×5 input at 5×5" in caption and "4×4 input shrinks to 2×2" in caption and "stride 2 on 5×5 gives 2×2" in caption


def test_dilation_covers_5_then_7_with_nine_weights():
    assert dilated_span(3, 1) == 3 and dilated_span(3, 2) == 5 and dilated_span(3, 3) == 7
    assert "rate 2 cover 5×5, at rate 3 7×7" in step("dilation").caption


def test_padding_against_dilation_quotes_sizes_and_fields():
    caption = step("pad-vs-dilation").caption
    # (7 + 2·1 − 2 − 1) + 1 = 7 and (7 + 2·2 − 2·2 − 1) + 1 = 7; spans 3 and 2·(3 − 1) + 1 = 5; 3·3 = 9 weights
    assert "keep a 7×7 input at full size (7×7 and 7×7), each with 9 weights" in caption
    assert "3×3 with padding and 5×5 with dilation" in caption


def test_sparse_connectivity_quotes_three_against_five_and_three_against_25():
    caption = step("sparse").caption
    assert "x₃ to only 3 outputs" in caption and "joins it to all 5" in caption
    assert "its 3 weights" in caption and "5×5 = 25" in caption


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
