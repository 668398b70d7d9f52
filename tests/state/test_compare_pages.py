"""The lesson opens the Compare tab's page it talks about: the Inception calculator or the ResNet/plain strips."""
from explorer.core import lesson_steps
from explorer.state import AppState
from explorer.state.compare import PAGES
from explorer.state.lesson import go_to


def test_compare_steps_choose_their_page():
    state = AppState()
    keys = [s.key for s in lesson_steps.STEPS]
    go_to(state, keys.index("resnet"))
    assert (state.tab, state.compare.page) == ("compare", "shortcuts")
    go_to(state, keys.index("inception-cost"))
    assert (state.tab, state.compare.page) == ("compare", "inception")
    go_to(state, keys.index("compare"))                  # a step that names no page leaves the teacher's choice
    assert state.compare.page == "inception"
    assert all(s.compare_page in ("",) + PAGES for s in lesson_steps.STEPS)
