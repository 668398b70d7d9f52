"""The lecture's worked examples as ready Playground settings: one click in the Lecture menu sets them all.

Each lesson names its input (a bundled sample or a small numbered grid), its kernel, its parameters and what the
class should see. The numbers each one must produce are asserted in tests/core/test_lessons.py against the lecture.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from explorer.core import kernels, samples
from explorer.core.conv import ConvParams, PoolParams
from explorer.core.errors import UserError
from explorer.core.images import LoadedImage, from_array

# The lecture's 3×3 example filter (weights 0 or 1) used on the 5×5 binary image.
LECTURE_X_KERNEL = np.array([[1, 0, 1], [0, 1, 0], [1, 0, 1]], np.float32)


@dataclass(frozen=True)
class Lesson:
    key: str
    title: str                       # menu text
    explanation: str                 # one line for the status bar: what to look at
    image: Callable[[], LoadedImage]
    kernel: np.ndarray | str         # explicit weights, or a preset name (sized by params.size)
    params: ConvParams = ConvParams()
    pool: PoolParams = field(default_factory=PoolParams)
    mode: str = "gray"

    def kernel_array(self) -> np.ndarray:
        if isinstance(self.kernel, str):
            return kernels.make_kernel(self.kernel, self.params.size)
        return np.array(self.kernel, np.float32)


def numbered_grid(side: int) -> LoadedImage:
    """A side×side image holding 1, 2, 3, … row by row: hovering shows exactly which pixels a kernel reads."""
    values = np.arange(1, side * side + 1, dtype=np.uint8).reshape(side, side)
    return from_array(values, f"numbered {side}×{side} grid")


def colour_grid() -> LoadedImage:
    """A 4×4 RGB picture of pure colours, black and white: each pixel is three numbers, one per channel."""
    colours = np.array([[255, 0, 0], [0, 255, 0], [0, 0, 255], [255, 255, 255],
                        [255, 255, 0], [0, 255, 255], [255, 0, 255], [0, 0, 0]], np.uint8)
    return from_array(colours[np.arange(16).reshape(4, 4) % 8], "4×4 colour grid")


def _sample(name: str) -> Callable[[], LoadedImage]:
    return lambda: samples.load_sample(name)


LESSONS: tuple[Lesson, ...] = (
    Lesson("edge", "Edge detector: 6×6 image, vertical-edge kernel",
           "Bright-to-dark from left to right gives 765 in the two middle columns of the 4×4 output; flat areas give 0.",
           _sample("lecture-edge-6x6"), "vertical edge"),
    Lesson("step-by-step", "Step by step: 5×5 binary image, 3×3 filter of 0s and 1s",
           "Press Step (or .) and watch the window slide right, then down: the output fills in as 4 3 4 / 2 4 3 / 2 3 4.",
           _sample("lecture-binary-5x5"), LECTURE_X_KERNEL),
    Lesson("shrink", "No padding: 3×3 filter on a 4×4 image gives 2×2",
           "Without padding only 2 positions fit per row: n − f + 1 = 4 − 3 + 1 = 2.",
           lambda: numbered_grid(4), LECTURE_X_KERNEL),
    Lesson("padding", "Padding 1: 3×3 filter on a 5×5 image keeps 5×5",
           "One ring of zeros lets the filter centre visit every pixel: 5 + 2·1 − 3 + 1 = 5. Hover a corner output.",
           _sample("lecture-binary-5x5"), LECTURE_X_KERNEL, ConvParams(3, 1, 1, 1)),
    Lesson("stride", "Stride 2: 3×3 filter on a 5×5 image gives 2×2",
           "The window jumps two pixels at a time: ⌊(5 − 3)/2⌋ + 1 = 2. Step through to see the jumps.",
           _sample("lecture-binary-5x5"), LECTURE_X_KERNEL, ConvParams(3, 2, 0, 1)),
    Lesson("dilation", "Dilation 2: 3×3 filter on a 7×7 image gives 3×3",
           "Nine taps with gaps cover a 5×5 area at no extra weights: 7 − 2·(3 − 1) = 3. Hover to see the gaps.",
           lambda: numbered_grid(7), LECTURE_X_KERNEL, ConvParams(3, 1, 0, 2)),
    Lesson("pooling", "Max pooling 2×2, stride 2, after an edge detector",
           "Pooling halves each side (510 → 255) and keeps the strongest response in every 2×2 window.",
           _sample("astronaut"), "vertical edge", ConvParams(3, 1, 0, 1), PoolParams("max", 2, 2)),
    Lesson("volume", "Convolution on volume: a 3×3×3 kernel on an RGB photo",
           "The kernel has a 3×3 slice per colour channel; the three results are added into one output map.",
           _sample("coffee"), "sobel x", ConvParams(3, 1, 1, 1), mode="volume"),
    # Added for the lesson walk-through (explorer/core/lesson_steps.py); appended so Alt+1…8 keep their examples.
    Lesson("numbers-gray", "An image is numbers: the 6×6 grayscale grid",
           "Every pixel is one number from 0 (black) to 255 (white); the identity kernel copies them to the output.",
           _sample("lecture-edge-6x6"), "identity", ConvParams(3, 1, 1, 1)),
    Lesson("numbers-rgb", "A colour image is three grids: a 4×4 RGB picture",
           "Each pixel holds red, green and blue; summed over the volume, white gives 255 + 255 + 255 = 765.",
           colour_grid, "identity", ConvParams(3, 1, 1, 1), mode="volume"),
    Lesson("filter-size", "Filter size: a 5×5 identity filter on a 7×7 grid",
           "An odd filter has a centre pixel: each output is the input under that centre (17 … 33), 7 − 5 + 1 = 3.",
           lambda: numbered_grid(7), "identity", ConvParams(5, 1, 0, 1)),
    Lesson("dilation-3", "Dilation 3: a 3×3 filter covers 7×7",
           "Rate 3 spreads the same nine weights over a 7×7 area: 1 + 7 + 43 + 49 + 25 = 125, one output.",
           lambda: numbered_grid(7), LECTURE_X_KERNEL, ConvParams(3, 1, 0, 3)),
    Lesson("max-grid", "Max pooling 2×2 on a 4×4 grid",
           "Each 2×2 window keeps its largest number: 6 8 / 14 16.",
           lambda: numbered_grid(4), "identity", ConvParams(1, 1, 0, 1), PoolParams("max", 2, 2)),
    Lesson("avg-grid", "Average pooling 2×2 on a 4×4 grid",
           "Each 2×2 window becomes its mean: 3.5 5.5 / 11.5 13.5.",
           lambda: numbered_grid(4), "identity", ConvParams(1, 1, 0, 1), PoolParams("avg", 2, 2)),
)


def lesson(key: str) -> Lesson:
    for item in LESSONS:
        if item.key == key:
            return item
    raise UserError(f"Unknown lesson {key!r}; choose one of: {', '.join(item.key for item in LESSONS)}.")
