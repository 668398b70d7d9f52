"""The whole application's state: the image, the current tab, each view's state and the status line."""
from __future__ import annotations

from dataclasses import dataclass, field

from psygnal import evented

from explorer.state.compare import CompareState
from explorer.state.explorer import ExplorerState
from explorer.state.image import ImageState
from explorer.state.mnist import MnistState
from explorer.state.playground import PlaygroundState
from explorer.state.status import StatusState

TABS = ("playground", "explorer", "mnist")


@evented
@dataclass
class AppState:
    tab: str = "playground"
    image: ImageState = field(default_factory=ImageState)
    playground: PlaygroundState = field(default_factory=PlaygroundState)
    explorer: ExplorerState = field(default_factory=ExplorerState)
    mnist: MnistState = field(default_factory=MnistState)
    compare: CompareState = field(default_factory=CompareState)
    status: StatusState = field(default_factory=StatusState)
