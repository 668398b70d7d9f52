"""The lesson: the lecture's steps as a list, the current step's caption in large type, and a caption bar that
stays under every tab while the lesson runs (the audience watches the Playground or the Model Explorer, not this
tab). Two steps are pictures drawn here (sparse connectivity, padding against dilation): the list steps aside
for them so the picture gets the whole tab. Clicker keys (PageDown forward, PageUp back; Space outside the
Playground) are window shortcuts installed by ``presenter``.
"""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListView,
    QListWidget,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from explorer.core.lesson_steps import STEPS
from explorer.state import AppState
from explorer.state.lesson import advance, go_to
from explorer.ui import style
from explorer.ui.binding import connect
from explorer.ui.lecture.pair_picture import PairPicture
from explorer.ui.lecture.sparse_picture import SparsePicture

TAB_NAMES = {"playground": "Convolution Playground", "explorer": "Model Explorer", "mnist": "MNIST tab",
             "compare": "Compare tab", "lesson": "Lesson tab"}


def step_heading(index: int) -> str:
    return f"Step {index + 1} of {len(STEPS)}: {STEPS[index].title}"


class LessonView(QWidget):
    """Choosing a step (click, arrow keys, Enter) sets the app up for it and switches to the tab it uses."""

    def __init__(self, state: AppState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.steps = QListWidget()
        self.steps.addItems([f"{i + 1}. {s.title}" for i, s in enumerate(STEPS)])
        self.steps.setFont(style.font(style.TITLE_PT))
        self.steps.setMinimumWidth(200)
        # Zoomed names wrap onto a second line instead of hiding behind a sideways scroll bar.
        self.steps.setWordWrap(True)
        self.steps.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.steps.setResizeMode(QListView.ResizeMode.Adjust)   # re-wrap when the column or the zoom changes
        self.steps.itemActivated.connect(lambda item: go_to(state, self.steps.row(item)))
        self.steps.itemClicked.connect(lambda item: go_to(state, self.steps.row(item)))
        self.heading = QLabel()
        self.heading.setFont(style.font(style.FORMULA_PT + 4, bold=True))
        self.heading.setWordWrap(True)
        self.caption = QLabel()
        self.caption.setFont(style.font(style.FORMULA_PT))
        self.caption.setWordWrap(True)
        self.caption.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.where = QLabel()
        self.where.setWordWrap(True)
        self.pictures = {"sparse": SparsePicture(state), "pad-vs-dilation": PairPicture(state)}
        self.keys = QLabel("Presenter keys: PageDown = next step, PageUp = previous (Space too, except in the "
                           "Playground, where it plays the animation). The caption stays at the bottom of every tab; "
                           "click a step in the list to jump to it.")
        self.keys.setWordWrap(True)
        back, forward = QPushButton("◀ Previous"), QPushButton("Next ▶")
        back.clicked.connect(lambda: advance(state, -1))
        forward.clicked.connect(lambda: advance(state, +1))
        buttons = QHBoxLayout()
        buttons.addWidget(back)
        buttons.addWidget(forward)
        buttons.addStretch(1)
        right = QVBoxLayout()
        right.addWidget(self.heading)
        right.addWidget(self.caption, 1)
        for picture in self.pictures.values():
            right.addWidget(picture, 1)
        right.addWidget(self.where)
        right.addLayout(buttons)
        right.addWidget(self.keys)
        layout = QHBoxLayout(self)
        layout.addWidget(self.steps, 2)
        layout.addLayout(right, 3)
        self.right = right
        connect(self, state.lesson.events.step, self._show)
        self._show()

    def _show(self, *_: object) -> None:
        index = self.state.lesson.step
        self.steps.setCurrentRow(index)
        picture = STEPS[index].picture if index >= 0 else ""
        for key, widget in self.pictures.items():
            widget.setVisible(key == picture)
        for widget in (self.steps, self.keys, self.where):
            widget.setVisible(not picture)
        self.right.setStretchFactor(self.caption, 0 if picture else 1)   # a picture takes the room, not the text
        if index < 0:
            self.heading.setText("The lecture, step by step")
            self.caption.setText("Each step sets up the live app for one idea of the lecture — an image as numbers, "
                                 "padding, stride, pooling, then the classic networks — and says what to look at. "
                                 "Press Next (or PageDown) to begin.")
            self.where.setText("")
            return
        self.heading.setText(step_heading(index))
        self.caption.setText(STEPS[index].caption)
        self.where.setText(f"Shown in the {TAB_NAMES[STEPS[index].tab]}.")


class LessonBar(QWidget):
    """One line under the tabs while a lesson runs: the step and its caption, with back/next buttons."""

    def __init__(self, state: AppState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.text = QLabel()
        self.text.setWordWrap(True)
        self.text.setFont(style.font(style.TITLE_PT))
        back, forward, stop = QPushButton("◀"), QPushButton("▶"), QPushButton("End lesson")
        back.setToolTip("Previous step (PageUp)")
        forward.setToolTip("Next step (PageDown)")
        back.clicked.connect(lambda: advance(state, -1))
        forward.clicked.connect(lambda: advance(state, +1))
        stop.clicked.connect(lambda: setattr(state.lesson, "step", -1))
        layout = QHBoxLayout(self)
        layout.setContentsMargins(6, 2, 6, 2)
        layout.addWidget(self.text, 1)
        for button in (back, forward, stop):
            layout.addWidget(button)
        connect(self, state.lesson.events.step, self._show)
        connect(self, state.events.tab, self._show)
        self._show()

    def _show(self, *_: object) -> None:
        index = self.state.lesson.step
        self.setVisible(index >= 0 and self.state.tab != "lesson")
        if index >= 0:
            step = STEPS[index]
            # The Playground prints a lecture example's caption above its formula; saying it twice costs two lines.
            caption = "" if step.lesson and self.state.tab == "playground" else f" — {step.caption}"
            self.text.setText(f"<b>{step_heading(index)}</b>{caption}")
