"""A lesson step sets up the whole app through the state; zoom and display settings survive a restart."""
import json

from explorer.core import lesson_steps
from explorer.state import AppState, session
from explorer.state.lesson import advance, go_to, pair_panels, sparse_picture


def index(key: str) -> int:
    return [s.key for s in lesson_steps.STEPS].index(key)


def test_a_playground_step_sets_image_parameters_and_tab():
    state = AppState(tab="mnist")
    go_to(state, index("stride"))
    assert state.tab == "playground" and state.lesson.step == index("stride")
    assert state.image.origin == "lesson:stride" and state.image.image.pixels.shape == (5, 5)
    assert (state.playground.size, state.playground.stride, state.playground.padding) == (3, 2, 0)
    assert state.playground.lesson == "stride"


def test_a_model_step_chooses_the_model_and_panel():
    state = AppState()
    go_to(state, index("rf-growth"))
    assert (state.tab, state.explorer.model, state.explorer.panel) == ("explorer", "vgg16", "rf-growth")


def test_the_weight_explosion_step_opens_the_calculator_page():
    state = AppState()
    go_to(state, index("fc-explosion"))
    assert (state.tab, state.mnist.page) == ("mnist", "weights")
    go_to(state, index("mnist"))
    assert state.mnist.page == "draw"


def test_a_picture_step_shows_the_lesson_tab_and_its_choices_drive_the_picture():
    state = AppState(tab="playground")
    go_to(state, index("sparse"))
    assert state.tab == "lesson" and state.lesson.step == index("sparse")
    assert sparse_picture(state.lesson).conv.reached(2) == (1, 2, 3)      # x₃ to begin with
    state.lesson.highlight("weight", 1)
    shown = sparse_picture(state.lesson)
    assert shown.focus == "weight" and len(shown.conv_lit) == 5           # w₂ at all five outputs
    state.lesson.sparse_width, state.lesson.sparse_same = 5, False
    shown = sparse_picture(state.lesson)
    assert shown.conv.outputs == 5 - 5 + 1 and shown.conv.weights == 5 and shown.dense.weights == 1 * 5
    go_to(state, index("pad-vs-dilation"))
    state.lesson.pair_unit = (0, 6)
    assert [panel.field.box for panel in pair_panels(state.lesson)] == [(-1, 5, 1, 7), (-2, 4, 2, 8)]


def test_clicker_keys_walk_forward_and_back_and_stop_at_the_ends():
    state = AppState()
    advance(state, +1)                        # the first press starts the lesson
    assert state.lesson.step == 0 and state.image.origin == "lesson:numbers-gray"
    advance(state, +1)
    assert state.lesson.step == 1
    advance(state, -1)
    advance(state, -1)
    assert state.lesson.step == 0
    go_to(state, 10_000)
    advance(state, +1)
    assert state.lesson.step == len(lesson_steps.STEPS) - 1 and state.tab == "mnist"


def test_zoom_steps_and_resets():
    state = AppState()
    state.step_zoom(+1)
    assert state.zoom == 1.15
    for _ in range(20):
        state.step_zoom(+1)
    assert state.zoom == 2.5
    state.step_zoom(0)
    state.step_zoom(-1)
    assert state.zoom == 0.9


def test_display_settings_round_trip_and_old_sessions_still_load(tmp_path):
    path = tmp_path / "session.json"
    state = AppState()
    state.zoom, state.theme, state.hint_seen = 1.5, "projector", True
    go_to(state, index("padding"))
    session.save(state, path)
    after = AppState()
    assert session.load(after, path) == ""
    assert (after.zoom, after.theme, after.hint_seen, after.lesson.step) == (1.5, "projector", True, index("padding"))
    data = json.loads(path.read_text())
    del data["display"]
    path.write_text(json.dumps(data))
    older = AppState()
    assert session.load(older, path) == "" and older.zoom == 1.0


def test_absurd_zoom_in_a_hand_edited_session_gives_the_defaults(tmp_path):
    path = tmp_path / "session.json"
    session.save(AppState(), path)
    data = json.loads(path.read_text())
    data["display"]["zoom"] = 40
    path.write_text(json.dumps(data))
    state = AppState()
    assert "damaged" in session.load(state, path) and state.zoom == 1.0


def test_inception_numbers_and_sorting_in_the_compare_state():
    state = AppState()
    assert state.compare.cost().bottleneck == 12_443_648
    state.compare.reduced = 32
    assert state.compare.cost().reduction == 28 * 28 * 32 * 192
    state.compare.sort_by("parameters")
    assert (state.compare.sort, state.compare.descending) == ("parameters", True)
    state.compare.sort_by("parameters")
    assert state.compare.descending is False
    state.compare.sort_by("year")
    assert [r["architecture"] for r in state.compare.table()][0] == "LeNet-5"


def test_the_lesson_runs_start_to_finish_with_the_clicker():
    state = AppState()
    seen = []
    for _ in lesson_steps.STEPS:
        advance(state, +1)
        step = lesson_steps.STEPS[state.lesson.step]
        assert state.tab == step.tab
        if step.lesson:
            assert state.playground.lesson == step.lesson and state.playground.caption()
        if step.model:
            assert state.explorer.model == step.model
        seen.append(step.key)
    assert seen == [s.key for s in lesson_steps.STEPS]
