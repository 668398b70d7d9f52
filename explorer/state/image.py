"""The one current image every view looks at, and where it came from (so a session can reopen it)."""
from __future__ import annotations

import operator
from dataclasses import dataclass

from psygnal import evented

from explorer.core.images import LoadedImage
from explorer.state.batch import batched

TOY_GRID_SIDE = 32  # the lecture's grids are 4×4 … 7×7; no network can say anything about them


def size_text(shape: tuple[int, ...]) -> str:
    """Width × height, the one way every view and message writes an image's size."""
    return f"{shape[1]}×{shape[0]}"


def is_toy_grid(image: LoadedImage) -> bool:
    return max(image.pixels.shape[:2]) <= TOY_GRID_SIDE


@evented(equality_operators={"image": operator.is_, "photo": operator.is_})
@dataclass
class ImageState:
    image: LoadedImage | None = None
    # How to get the picture back after a restart: "sample:<name>", "file:<absolute path>", "lesson:<key>", or ""
    # for pictures that cannot be reopened (clipboard, a drawn digit).
    origin: str = ""
    # The last photo-sized picture (not a lecture grid): what the Model Explorer runs on after a 6×6 toy example.
    photo: LoadedImage | None = None
    loading: str = ""   # the file being decoded, "" when idle

    def set(self, image: LoadedImage, origin: str = "") -> None:
        with batched(self.events):
            self.origin = origin
            self.image = image
            if not is_toy_grid(image):
                self.photo = image

    def model_input(self) -> LoadedImage | None:
        """What the models run on: the last photo when the Playground shows a lecture grid."""
        return self.photo if self.photo is not None else self.image
