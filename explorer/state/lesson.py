"""The lesson walk-through's state and how a step sets up the whole app (Qt-free, so tests drive it directly).

``go_to`` writes a step's intent into the shared state exactly as a user would: the image and Playground
parameters of its example, the model and panel of the Model Explorer, then the tab. Every view follows from there.
The two pictures the Lesson tab draws itself keep their choices here too (which unit or weight is highlighted).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from psygnal import evented

from explorer.core import connectivity, lesson_steps, lessons, pad_vs_dilation

if TYPE_CHECKING:
    from explorer.state.app import AppState


@evented
@dataclass
class LessonState:
    step: int = -1   # index into lesson_steps.STEPS; -1 before the lesson starts
    # Sparse connectivity picture: kernel width, "same" padding, and what is highlighted (x₃ to begin with).
    sparse_width: int = 3
    sparse_same: bool = True
    sparse_focus: str = "input"     # input, output or weight
    sparse_index: int = 2
    # Padding against dilation: the output unit shown on both sides.
    pair_unit: tuple[int, int] = pad_vs_dilation.CENTRE

    def highlight(self, focus: str, index: int) -> None:
        """A click on an input, an output or a weight (any index is valid: the picture clamps it)."""
        self.sparse_focus, self.sparse_index = focus, index


def sparse_picture(lesson: LessonState) -> connectivity.Picture:
    return connectivity.picture(lesson.sparse_width, lesson.sparse_same, lesson.sparse_focus, lesson.sparse_index)


def pair_panels(lesson: LessonState) -> tuple[pad_vs_dilation.Panel, pad_vs_dilation.Panel]:
    return pad_vs_dilation.panels(lesson.pair_unit)


def go_to(state: AppState, index: int) -> None:
    """Show step ``index`` (clamped to the lesson): its example, model and tab."""
    index = lesson_steps.clamp(index)
    item = lesson_steps.STEPS[index]
    if item.lesson:
        example = lessons.lesson(item.lesson)
        state.image.set(example.image(), f"lesson:{example.key}")
        state.playground.apply_lesson(example)
    if item.model:
        state.explorer.choose(item.model)
        state.explorer.layer = ""
    if item.panel:
        state.explorer.panel = item.panel
    if item.mnist_page:
        state.mnist.page = item.mnist_page
    if item.compare_page:
        state.compare.page = item.compare_page
    state.lesson.step = index
    state.tab = item.tab


def advance(state: AppState, delta: int) -> None:
    """PageDown/Space (+1) and PageUp (−1); the first press starts at step 1."""
    go_to(state, 0 if state.lesson.step < 0 else state.lesson.step + delta)
