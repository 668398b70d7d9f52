"""The Lecture menu's examples produce the lecture's numbers (and hand calculations for our numbered grids)."""
import numpy as np
import pytest

from explorer.core import conv, lessons
from explorer.core.errors import UserError


def run(key: str) -> np.ndarray:
    item = lessons.lesson(key)
    image = item.image()
    return conv.playground_forward(image.pixels, item.kernel_array(), item.params, item.mode, item.pool).output


def test_edge_example_gives_765_in_the_middle_columns():
    expected = np.zeros((4, 4), np.float32)
    expected[:, 1:3] = 765
    np.testing.assert_array_equal(run("edge"), expected)


def test_step_by_step_example_gives_the_lectures_feature_map():
    np.testing.assert_array_equal(run("step-by-step"), [[4, 3, 4], [2, 4, 3], [2, 3, 4]])


def test_size_facts_of_the_lecture():
    assert run("shrink").shape == (2, 2)      # 3×3 on 4×4
    assert run("padding").shape == (5, 5)     # 3×3, padding 1, on 5×5
    assert run("stride").shape == (2, 2)      # 3×3, stride 2, on 5×5
    assert run("dilation").shape == (3, 3)    # 3×3, dilation 2, on 7×7
    assert run("pooling").shape == (255, 255)  # 512 → 510 → max-pool 2/2 → 255


def test_numbered_grids_show_which_pixels_are_read():
    # 4×4 grid 1..16, X-shaped kernel at the top left: corners 1, 3, 9, 11 and centre 6
    np.testing.assert_array_equal(run("shrink"), [[30, 35], [50, 55]])
    # 7×7 grid, dilation 2: taps 1, 5, 29, 33 at the corners of a 5×5 area and 17 in its centre
    assert run("dilation")[0, 0] == 1 + 5 + 29 + 33 + 17


def test_volume_lesson_sums_three_channels():
    item = lessons.lesson("volume")
    pixels = item.image().pixels.astype(np.float32)
    per_channel = sum(conv.conv2d(pixels[:, :, c], item.kernel_array(), padding=1) for c in range(3))
    np.testing.assert_allclose(run("volume"), per_channel, rtol=1e-4, atol=1e-2)


def test_unknown_lesson_names_the_choices():
    with pytest.raises(UserError, match="edge"):
        lessons.lesson("nope")
