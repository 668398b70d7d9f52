"""The whole application's state: the image, the current tab, each view's state and the status line."""
from __future__ import annotations

from dataclasses import dataclass, field

from psygnal import evented

from explorer.state.explorer import ExplorerState
from explorer.state.image import ImageState
from explorer.state.live import LiveState
from explorer.state.mnist import MnistState
from explorer.state.playground import PlaygroundState
from explorer.state.status import StatusState

TABS = ("playground", "explorer", "mnist")


@evented
@dataclass
class AppState:
    tab: str = "playground"
    image: ImageState = field(default_factory=ImageState)
    live: LiveState = field(default_factory=LiveState)
    playground: PlaygroundState = field(default_factory=PlaygroundState)
    explorer: ExplorerState = field(default_factory=ExplorerState)
    mnist: MnistState = field(default_factory=MnistState)
    status: StatusState = field(default_factory=StatusState)
