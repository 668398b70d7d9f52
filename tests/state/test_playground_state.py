"""The Playground's state without Qt: intent methods, derived readouts and captions, pinned by the lecture's numbers."""
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from explorer.core import kernels, lessons
from explorer.core.images import from_array
from explorer.state.playground import CUSTOM, PlaygroundState, as_kernel, compute, readout


def _computed(state: PlaygroundState, image) -> None:
    state.outcome = compute(image, state.settings())


def test_size_change_regenerates_a_preset_and_resizes_custom_weights():
    state = PlaygroundState()
    state.set_size(5)
    assert np.array_equal(np.array(state.kernel), kernels.make_kernel("vertical edge", 5))
    state.set_cell(0, 0, 9.0)
    assert state.preset == CUSTOM
    typed = np.array(state.kernel, np.float32)
    assert typed[0, 0] == 9.0
    state.set_size(3)
    assert np.array_equal(np.array(state.kernel, np.float32), kernels.resize_kernel(typed, 3))


def test_readout_follows_the_outcome_on_screen_not_an_older_kernel():
    """Alt+1 then Alt+2 with a unit hovered: the old readout said 765, the new example's maximum is 4."""
    state = PlaygroundState()
    edge = lessons.lesson("edge")
    state.apply_lesson(edge)
    _computed(state, edge.image())
    state.hover_unit((1, 1))
    assert readout(state.outcome, state.hover).value == 765
    step = lessons.lesson("step-by-step")
    state.apply_lesson(step)
    assert state.hover is None  # a new example forgets the old unit
    _computed(state, step.image())
    state.hover_unit((1, 1))
    shown = readout(state.outcome, state.hover)
    assert shown.value == 4 and np.array_equal(shown.kernel, lessons.LECTURE_X_KERNEL)
    assert float((shown.patch * shown.kernel).sum()) == shown.value


def test_readout_outside_a_smaller_map_is_none():
    """Alt+7 (pooled 255×255) then Alt+3 (2×2): unit (101, 125) no longer exists, so nothing is explained."""
    state = PlaygroundState()
    item = lessons.lesson("shrink")
    state.apply_lesson(item)
    _computed(state, item.image())
    assert state.outcome.result.output.shape == (2, 2)
    assert readout(state.outcome, (101, 125)) is None


def test_caption_says_when_the_example_no_longer_applies():
    state = PlaygroundState()
    state.apply_lesson(lessons.lesson("shrink"))
    assert "only 2 positions fit" in state.caption()
    state.step_param("padding", 1, 0, 10)
    assert "no longer apply" in state.caption() and "p 0 → 1" in state.caption()
    state.step_param("padding", -1, 0, 10)
    assert "only 2 positions fit" in state.caption()  # back to the example's settings: its numbers hold again
    state.apply_lesson(lessons.lesson("edge"))
    state.set_cell(0, 0, 3.0)
    assert "765" not in state.caption() and "kernel edited" in state.caption()


def test_padding_steps_through_same():
    state = PlaygroundState()
    state.step_param("padding", -1, 0, 10)
    assert state.padding == "same"
    state.step_param("padding", 1, 0, 10)
    assert state.padding == 0


def test_a_pinned_unit_ignores_the_pointer_until_clicked_again():
    state = PlaygroundState()
    state.click_unit((2, 3))
    state.hover_unit((0, 0))
    assert state.hover == (2, 3) and state.pinned
    state.click_unit((2, 3))
    assert not state.pinned
    state.hover_unit((0, 0))
    assert state.hover == (0, 0)


@settings(max_examples=25, deadline=None)
@given(f=st.integers(1, 5), s=st.integers(1, 3), p=st.integers(0, 3), d=st.integers(1, 3),
       seed=st.integers(0, 10_000), where=st.floats(0, 0.999), mode=st.sampled_from(["gray", "volume"]))
def test_readout_value_is_the_sum_of_its_products(f, s, p, d, seed, where, mode):
    """Brute force: sum the patch × kernel the readout shows and compare with the map's value at that unit."""
    rng = np.random.default_rng(seed)
    image = from_array(rng.integers(0, 256, (13, 11, 3), dtype=np.uint8), "random")
    state = PlaygroundState()
    with state.events.paused():
        state.size, state.stride, state.padding, state.dilation, state.mode = f, s, p, d, mode
        state.kernel = as_kernel(rng.normal(size=(f, f)))
    outcome = compute(image, state.settings())
    if outcome.result is None:
        return  # the parameters do not fit this image: an error line, nothing to explain
    out = outcome.result.output
    unit = divmod(int(where * out.size), out.shape[1])
    shown = readout(outcome, unit)
    patch = shown.patch if shown.patch.ndim == 2 else shown.patch.sum(axis=2)
    assert np.isclose(float((patch * shown.kernel).sum()), shown.value, rtol=1e-4, atol=1e-2)


def test_pooling_readout_lists_the_window_and_marks_the_value_taken():
    from explorer.state.playground import lesson_settings

    for key, expected in (("max-grid", 14), ("avg-grid", 11.5)):
        item = lessons.lesson(key)
        shown = readout(compute(item.image(), lesson_settings(item)), (1, 0))
        np.testing.assert_array_equal(shown.pool_window, [[9, 10], [13, 14]])   # rows 2–3, cols 0–1 of 1…16
        assert shown.value == expected
        assert shown.pool_taken == ((1, 1) if key == "max-grid" else None)       # 14 is kept; average keeps none
