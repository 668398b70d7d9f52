"""The MNIST tab's state: which digit both networks read (a held-out one or the user's drawing) and its shift."""
from __future__ import annotations

import operator
from dataclasses import dataclass

import numpy as np
from psygnal import evented

from explorer.state.batch import batched

PAGES = ("draw", "compare", "weights")   # the tab's pages: draw & test, CNN vs fully connected, weight explosion


@evented(equality_operators={"drawing": operator.is_, "prediction": operator.is_})
@dataclass
class MnistState:
    source: str = "heldout"             # "heldout" or "drawing"
    index: int = 0                      # the held-out digit shown when source is "heldout"
    shift: int = 0                      # pixels to the right (negative: left), zero fill
    drawing: np.ndarray | None = None   # the pad's canvas (uint8, white on black) when source is "drawing"
    prediction: object | None = None    # workers.tasks.Prediction answering exactly (source, index|drawing, shift)
    page: str = "draw"                  # one of PAGES: a lesson step opens the weight explosion directly

    def show_heldout(self, index: int) -> None:
        with batched(self.events):
            self.source, self.index, self.drawing = "heldout", index, None

    def draw(self, canvas: np.ndarray) -> None:
        with batched(self.events):
            self.source, self.drawing = "drawing", canvas

    def request(self) -> tuple:
        """What a prediction must answer to be shown (compared by identity for the drawing)."""
        return (self.source, self.index if self.source == "heldout" else id(self.drawing), self.shift)
