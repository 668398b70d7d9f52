"""The shown layer's mosaic (core.layer_picture), made where it cannot stall the window.

A live run brings its picture with it. A full run's layers, a resize that changes the mosaic's grid and another
colour scale or sort need a new one. Up to ``PICTURE_AT_ONCE`` values that takes a few ms and is made at once, so
stepping through small layers never shows an empty panel; a bigger layer (VGG-16's conv1_1: 3.2 M values, ~40 ms,
up to 68 ms on a busy machine) is made on the task runner, latest wins, and the panel keeps what it shows until
the picture is ready.
"""
from __future__ import annotations

import weakref
from collections.abc import Callable

import numpy as np

from explorer.core.layer_picture import LayerPicture, layer_picture
from explorer.workers.runner import TaskRunner
from explorer.workers.tasks import RunResult

KIND = "layer-picture"
PICTURE_AT_ONCE = 400_000  # values: a mosaic with its statistics in ~3-8 ms here, well within a frame


class LayerPictures:
    def __init__(self, runner: TaskRunner, ready: Callable[[], None]) -> None:
        """``ready`` is called when a picture asked for has been made on the runner."""
        self.runner, self._ready = runner, ready
        # The last picture made here and the result it shows; a weak reference, so a result the explorer has let
        # go (another model's, with all its activations) is not kept for it.
        self._made: tuple[weakref.ref[RunResult], LayerPicture] | None = None
        self._making: tuple[weakref.ref[RunResult], tuple] | None = None  # what the running task makes

    def picture(self, result: RunResult, tensor: str, values: np.ndarray, normalize: str, sort: bool,
                aspect: float) -> LayerPicture | None:
        """``values`` (the (C, H, W) ``tensor`` of ``result``) as a mosaic with these options for a box ``aspect``
        times as wide as tall; None while a big one is being made (``ready`` follows)."""
        made = self._made[1] if self._made is not None and self._made[0]() is result else None
        for picture in (result.picture, made):
            if picture is not None and picture.fits(tensor, normalize, sort, aspect):
                return picture
        if values.size <= PICTURE_AT_ONCE:
            picture = layer_picture(tensor, values, normalize, sort, aspect)
            self._made = (weakref.ref(result), picture)
            return picture
        options = (tensor, normalize, sort, aspect)
        making = self._making
        if not (making is not None and making[0]() is result and making[1] == options and self.making()):
            self._making = (weakref.ref(result), options)
            self.runner.submit(KIND, lambda ctx: layer_picture(tensor, values, *options[1:]),
                               on_done=lambda picture: self._done(result, picture))
        return None

    def making(self) -> bool:
        """A picture is being made on the runner."""
        return self.runner.is_busy(KIND)

    def _done(self, result: RunResult, picture: LayerPicture) -> None:
        self._made, self._making = (weakref.ref(result), picture), None
        self._ready()
