"""The session file: a round trip restores every parameter; damaged files give the defaults and one line."""
import json

from explorer.core import lessons
from explorer.state import AppState, session


def _changed_state() -> AppState:
    state = AppState(tab="explorer")
    state.playground.apply_lesson(lessons.lesson("dilation"))
    state.playground.set_cell(1, 1, -2.5)
    state.playground.padding = "same"
    state.playground.pool_kind = "avg"
    state.playground.magnify = False      # the default is on
    state.explorer.choose("vgg16")
    state.explorer.layer = "conv3_1"
    state.explorer.normalize, state.explorer.sort, state.explorer.panel = "layer", True, "explain"
    state.explorer.explain_method, state.explorer.explain_opacity = "score-cam", 0.7
    state.explorer.explain_fill = "blur"
    state.mnist.show_heldout(17)
    state.mnist.shift = -3
    state.image.origin = "sample:coffee"
    return state


def test_round_trip_restores_everything_the_user_set(tmp_path):
    path = tmp_path / "session.json"
    before = _changed_state()
    session.save(before, path)
    after = AppState()
    assert session.load(after, path) == ""
    assert session.to_dict(after) == session.to_dict(before)
    assert after.playground.kernel[1][1] == -2.5 and after.playground.padding == "same"
    assert after.playground.magnify is False
    assert after.explorer.model == "vgg16" and after.tab == "explorer"
    assert (after.explorer.explain_method, after.explorer.explain_opacity) == ("score-cam", 0.7)


def test_a_session_from_before_the_explain_panel_keeps_its_defaults(tmp_path):
    old = session.to_dict(_changed_state())
    del old["explorer"]["explain"]
    path = tmp_path / "session.json"
    path.write_text(json.dumps(old))
    state = AppState()
    assert session.load(state, path) == ""
    assert state.explorer.model == "vgg16" and state.explorer.explain_method == AppState().explorer.explain_method


def test_a_session_from_before_the_magnifier_was_saved_keeps_it_at_its_default(tmp_path):
    old = session.to_dict(_changed_state())
    old["playground"].pop("magnify", None)
    path = tmp_path / "session.json"
    path.write_text(json.dumps(old))
    state = AppState()
    assert session.load(state, path) == ""
    assert state.playground.lesson == "dilation"     # the rest of the Playground is restored
    assert state.playground.magnify is AppState().playground.magnify


def test_missing_file_is_silent_and_keeps_defaults(tmp_path):
    state = AppState()
    assert session.load(state, tmp_path / "nothing.json") == ""
    assert session.to_dict(state) == session.to_dict(AppState())


def test_damaged_files_fall_back_to_defaults_with_one_line(tmp_path):
    good = session.to_dict(_changed_state())
    impossible = json.loads(json.dumps(good))
    impossible["playground"]["size"] = 0
    ragged = json.loads(json.dumps(good))
    ragged["playground"]["kernel"] = [[1.0]]
    opaque = json.loads(json.dumps(good))
    opaque["explorer"]["explain"]["opacity"] = 2
    vague = json.loads(json.dumps(good))
    vague["playground"]["magnify"] = "no"       # bool("no") would be True
    cases = {"garbage": "{not json", "list": "[1, 2]", "version": json.dumps({**good, "version": 99}),
             "impossible": json.dumps(impossible), "ragged": json.dumps(ragged), "opacity": json.dumps(opaque),
             "magnify": json.dumps(vague)}
    for name, text in cases.items():
        path = tmp_path / f"{name}.json"
        path.write_text(text)
        state = AppState()
        message = session.load(state, path)
        assert message.startswith("The saved session") and "\n" not in message, name
        assert session.to_dict(state) == session.to_dict(AppState()), name


def test_save_is_atomic_and_leaves_no_temp_files(tmp_path):
    session.save(_changed_state(), tmp_path / "session.json")
    assert [p.name for p in tmp_path.iterdir()] == ["session.json"]
