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


def test_image_as_numbers_copies_the_pixels():
    np.testing.assert_array_equal(run("numbers-gray"), lessons.lesson("numbers-gray").image().pixels)
    rgb = run("numbers-rgb")            # identity summed over R, G, B
    assert rgb[0, 3] == 765 and rgb[0, 0] == 255 and rgb[1, 3] == 0   # white, red, black


def test_odd_filter_reads_its_centre_and_dilation_3_covers_7x7():
    np.testing.assert_array_equal(run("filter-size"), [[17, 18, 19], [24, 25, 26], [31, 32, 33]])
    np.testing.assert_array_equal(run("dilation-3"), [[1 + 7 + 43 + 49 + 25]])


def test_max_and_average_pooling_on_the_numbered_grid():
    np.testing.assert_array_equal(run("max-grid"), [[6, 8], [14, 16]])
    np.testing.assert_array_equal(run("avg-grid"), [[3.5, 5.5], [11.5, 13.5]])
