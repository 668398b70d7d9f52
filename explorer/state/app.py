"""The whole application's state: the image, the current tab, each view's state and the status line."""
from __future__ import annotations

from dataclasses import dataclass, field

from psygnal import evented

from explorer.state.compare import CompareState
from explorer.state.explorer import ExplorerState
from explorer.state.image import ImageState
from explorer.state.lesson import LessonState
from explorer.state.live import LiveState
from explorer.state.mnist import MnistState
from explorer.state.playground import PlaygroundState
from explorer.state.random_vs_trained import RandomVsTrainedState
from explorer.state.status import StatusState

TABS = ("playground", "explorer", "mnist", "lesson", "compare")
THEMES = ("normal", "projector")
ZOOM_STEPS = (0.8, 0.9, 1.0, 1.15, 1.3, 1.5, 1.75, 2.0, 2.5)  # presentation zoom: Ctrl+= / Ctrl+- walk these


@evented
@dataclass
class AppState:
    tab: str = "playground"
    image: ImageState = field(default_factory=ImageState)
    live: LiveState = field(default_factory=LiveState)
    playground: PlaygroundState = field(default_factory=PlaygroundState)
    explorer: ExplorerState = field(default_factory=ExplorerState)
    mnist: MnistState = field(default_factory=MnistState)
    compare: CompareState = field(default_factory=CompareState)
    random_vs_trained: RandomVsTrainedState = field(default_factory=RandomVsTrainedState)
    status: StatusState = field(default_factory=StatusState)
    lesson: LessonState = field(default_factory=LessonState)
    compare: CompareState = field(default_factory=CompareState)
    random_vs_trained: RandomVsTrainedState = field(default_factory=RandomVsTrainedState)
    zoom: float = 1.0           # every font and chart label scales with it (Ctrl+= / Ctrl+- / Ctrl+0)
    theme: str = "normal"       # or "projector": high contrast
    hint_seen: bool = False     # the first-run hint has been dismissed

    def step_zoom(self, direction: int) -> None:
        """+1 / −1 to the next zoom step, 0 back to 100 %."""
        if direction == 0:
            self.zoom = 1.0
            return
        nearest = min(range(len(ZOOM_STEPS)), key=lambda i: abs(ZOOM_STEPS[i] - self.zoom))
        self.zoom = ZOOM_STEPS[min(max(nearest + direction, 0), len(ZOOM_STEPS) - 1)]
