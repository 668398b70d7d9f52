"""The Convolution Playground's state: every parameter, the kernel, the hovered unit, the lecture example.

Derived values are functions of this state, never copies kept in widgets: ``compute`` turns (image, settings)
into an ``Outcome``; ``readout`` turns (outcome, unit) into what the arithmetic panel and the tap overlay show;
``caption`` says what the lecture example shows, or that the user has changed it. A readout is always built from
the outcome on screen, so it cannot describe a kernel or a map that is no longer there.
"""
from __future__ import annotations

import operator
from dataclasses import dataclass, field

import numpy as np
from psygnal import evented

from explorer.core import kernels, lessons, render
from explorer.core.conv import (
    ConvParams,
    PlaygroundResult,
    PoolParams,
    UnitReceptiveField,
    playground_forward,
    pooled_unit_receptive_field,
    unit_receptive_field,
)
from explorer.core.errors import UserError
from explorer.core.images import LoadedImage
from explorer.state.batch import batched

Kernel = tuple[tuple[float, ...], ...]
CUSTOM = "custom"
DEFAULT_PRESET = "vertical edge"
MODES = ("gray", "r", "g", "b", "volume")


def as_kernel(array: np.ndarray) -> Kernel:
    return tuple(tuple(float(v) for v in row) for row in np.asarray(array, np.float32))


@dataclass(frozen=True)
class Settings:
    """Everything the output map depends on besides the image."""

    params: ConvParams
    pool: PoolParams
    mode: str
    kernel: Kernel

    def kernel_array(self) -> np.ndarray:
        return np.array(self.kernel, np.float32)


@dataclass(frozen=True)
class Outcome:
    """The map on screen and exactly what it was computed from; ``error`` instead of a result on bad parameters.

    The display arrays are coloured here, on the task's thread, so painting a 3-megapixel map costs the GUI thread
    an upload, not a colour mapping."""

    image: LoadedImage
    settings: Settings
    result: PlaygroundResult | None
    error: str = ""
    input_rgb: np.ndarray | None = None    # uint8: what the kernel reads
    output_rgb: np.ndarray | None = None   # uint8 (h, w, 3): the map in the diverging colours
    limit: float = 1.0                     # the colour scale is ±limit


@dataclass(frozen=True)
class Readout:
    """One output unit explained: its value, the input taps core says it reads, and the arithmetic."""

    unit: tuple[int, int]
    value: float
    field: UnitReceptiveField
    patch: np.ndarray | None     # input values under the taps, kernel-shaped (None after pooling)
    kernel: np.ndarray
    pooled: bool
    pool_window: np.ndarray | None = None      # the k×k convolution values pooled into this unit (NaN = padding)
    pool_taken: tuple[int, int] | None = None  # max pooling: where in the window the kept value sits


def compute(image: LoadedImage, settings: Settings) -> Outcome:
    try:
        result = playground_forward(image.pixels, settings.kernel_array(), settings.params, settings.mode,
                                    settings.pool)
    except UserError as exc:
        return Outcome(image, settings, None, str(exc))
    limit = render.symmetric_limit(result.output)
    return Outcome(image, settings, result, input_rgb=render.input_view(image.pixels, result.plane, settings.mode),
                   output_rgb=render.signed_to_rgb(result.output, limit), limit=limit)


def readout(outcome: Outcome | None, unit: tuple[int, int] | None) -> Readout | None:
    """The unit's explanation from the outcome on screen; None when there is no such unit in that map."""
    if outcome is None or outcome.result is None or unit is None:
        return None
    out = outcome.result.output
    row, col = unit
    if not (0 <= row < out.shape[0] and 0 <= col < out.shape[1]):
        return None
    s = outcome.settings
    hw = outcome.image.pixels.shape[:2]
    pooled = s.pool.kind != "none"
    rf = (pooled_unit_receptive_field(row, col, hw, s.params, s.pool) if pooled
          else unit_receptive_field(row, col, hw, s.params))
    if not pooled:
        patch = _patch(outcome.result.plane, rf, s.params.size)
        return Readout(unit, float(out[row, col]), rf, patch, s.kernel_array(), False)
    window = pool_window(outcome.result.conv, unit, s.pool)
    taken = None
    if s.pool.kind == "max":
        flat = int(np.nanargmax(window))
        taken = (flat // window.shape[1], flat % window.shape[1])
    return Readout(unit, float(out[row, col]), rf, None, s.kernel_array(), True, window, taken)


def pool_window(conv_map: np.ndarray, unit: tuple[int, int], pool: PoolParams) -> np.ndarray:
    """The k×k values of the convolution map one pooled unit summarises; NaN where the window lies in padding."""
    k, top, left = pool.size, unit[0] * pool.stride - pool.padding, unit[1] * pool.stride - pool.padding
    window = np.full((k, k), np.nan, np.float32)
    rows = range(max(top, 0), min(top + k, conv_map.shape[0]))
    cols = range(max(left, 0), min(left + k, conv_map.shape[1]))
    if rows and cols:
        window[rows.start - top:rows.stop - top, cols.start - left:cols.stop - left] = \
            conv_map[rows.start:rows.stop, cols.start:cols.stop]
    return window


def _patch(plane: np.ndarray, rf: UnitReceptiveField, f: int) -> np.ndarray:
    """Input values under the taps, shaped like the kernel (zeros where a tap reads padding)."""
    inside = ~rf.in_padding
    values = np.zeros((len(rf.taps), *plane.shape[2:]), np.float32)
    values[inside] = plane[rf.taps[inside, 0], rf.taps[inside, 1]]
    return values.reshape(f, f, *plane.shape[2:])


def lesson_settings(item: lessons.Lesson) -> Settings:
    return Settings(item.params, item.pool, item.mode, as_kernel(item.kernel_array()))


@evented(equality_operators={"outcome": operator.is_})
@dataclass
class PlaygroundState:
    size: int = 3
    stride: int = 1
    padding: int | str = 0        # an int or "same"
    dilation: int = 1
    mode: str = "gray"
    preset: str = DEFAULT_PRESET  # a kernels preset name, or CUSTOM once the user typed a weight
    kernel: Kernel = field(default_factory=lambda: as_kernel(kernels.make_kernel(DEFAULT_PRESET, 3)))
    pool_kind: str = "none"
    pool_size: int = 2
    pool_stride: int = 2
    hover: tuple[int, int] | None = None   # the unit explained below the maps
    pinned: bool = False                   # a click pins it; the pointer can then leave the map
    magnify: bool = True                   # on large images, an inset blows the hovered unit's window up
    lesson: str = ""                       # key of the lecture example these settings came from
    animation: int = -1                    # units revealed minus one; -1 shows the whole map
    outcome: Outcome | None = None         # derived: the last map computed without error; never saved
    error: str = ""                        # derived: why the current settings give no map ("" when they do)

    # ----- what the map depends on --------------------------------------------------------------------------
    def settings(self) -> Settings:
        return Settings(self.conv_params(), self.pool_params(), self.mode, self.kernel)

    def conv_params(self) -> ConvParams:
        return ConvParams(self.size, self.stride, self.padding, self.dilation)

    def pool_params(self) -> PoolParams:
        return PoolParams(self.pool_kind, self.pool_size, self.pool_stride)

    # ----- intent --------------------------------------------------------------------------------------------
    def set_size(self, size: int) -> None:
        """A new filter size: a preset is regenerated at that size (a 5×5 vertical edge is still one), hand-typed
        weights are resized."""
        if size == self.size:
            return
        with batched(self.events):
            self.kernel = as_kernel(kernels.resize_kernel(np.array(self.kernel, np.float32), size)
                                    if self.preset == CUSTOM else kernels.make_kernel(self.preset, size))
            self.size = size

    def set_preset(self, name: str) -> None:
        if name == CUSTOM:
            self.preset = CUSTOM  # keep the numbers; they are now the user's
            return
        with batched(self.events):
            self.kernel = as_kernel(kernels.make_kernel(name, self.size))
            self.preset = name

    def set_cell(self, row: int, col: int, value: float) -> None:
        if not np.isfinite(value):
            raise UserError(f"Kernel weight {value} is not a finite number: type a number such as 0.5 or -1.")
        rows = [list(r) for r in self.kernel]
        rows[row][col] = float(value)
        with batched(self.events):
            self.kernel = tuple(tuple(r) for r in rows)
            self.preset = CUSTOM

    def set_kernel(self, kernel: np.ndarray, preset: str = CUSTOM) -> None:
        with batched(self.events):
            self.kernel = as_kernel(kernel)
            self.size = len(self.kernel)
            self.preset = preset if preset in kernels.PRESET_NAMES else CUSTOM

    def apply(self, settings: Settings, preset: str = CUSTOM, lesson: str = "") -> None:
        """Set everything at once (a lecture example, a restored session)."""
        with batched(self.events):
            p, q = settings.params, settings.pool
            self.size, self.stride, self.padding, self.dilation = p.size, p.stride, p.padding, p.dilation
            self.pool_kind, self.pool_size, self.pool_stride = q.kind, q.size, q.stride
            self.mode = settings.mode
            self.kernel = settings.kernel
            self.preset = preset if preset in kernels.PRESET_NAMES else CUSTOM
            self.lesson = lesson
            self.hover, self.pinned, self.animation = None, False, -1

    def apply_lesson(self, item: lessons.Lesson) -> None:
        self.apply(lesson_settings(item), item.kernel if isinstance(item.kernel, str) else CUSTOM, item.key)

    def step_param(self, name: str, delta: int, lo: int, hi: int) -> None:
        """Keyboard stepping (], [, S, P, D ...); padding steps through "same" below 0."""
        if name == "size":
            self.set_size(min(max(self.size + delta, lo), hi))
            return
        if name == "padding":
            current = -1 if self.padding == "same" else int(self.padding)
            value = min(max(current + delta, -1), hi)
            self.padding = "same" if value < 0 else value
            return
        setattr(self, name, min(max(getattr(self, name) + delta, lo), hi))

    def cycle_mode(self) -> None:
        self.mode = MODES[(MODES.index(self.mode) + 1) % len(MODES)]

    def accept(self, outcome: Outcome) -> None:
        """A computed outcome: a map replaces the one on screen; an error keeps it and says why."""
        if outcome.error:
            self.error = outcome.error
            return
        with batched(self.events):
            self.error = ""
            self.outcome = outcome

    def hover_unit(self, unit: tuple[int, int] | None) -> None:
        """The pointer moved over a unit (None: off the map); a pinned unit stays until it is clicked again."""
        if not self.pinned:
            self.hover = unit

    def click_unit(self, unit: tuple[int, int]) -> None:
        with batched(self.events):
            self.pinned = not (self.pinned and self.hover == unit)
            self.hover = unit

    # ----- lecture example -----------------------------------------------------------------------------------
    def caption(self) -> str:
        """The example's point while its settings hold; once the user changes them, say that its numbers no longer
        apply (and what changed) instead of promising numbers the screen does not show."""
        if not self.lesson:
            return ""
        item = lessons.lesson(self.lesson)
        changed = changes(lesson_settings(item), self.settings())
        if not changed:
            return item.explanation
        return (f"You changed this example ({', '.join(changed)}), so its numbers no longer apply. "
                f"Choose “{item.title}” in the Lecture menu again to start over.")


def changes(before: Settings, after: Settings) -> list[str]:
    """What differs between two settings, in the words of the controls."""
    out = []
    for label, a, b in (("f", before.params.size, after.params.size), ("s", before.params.stride, after.params.stride),
                        ("p", before.params.padding, after.params.padding),
                        ("d", before.params.dilation, after.params.dilation), ("input", before.mode, after.mode),
                        ("pooling", before.pool.kind, after.pool.kind)):
        if a != b:
            out.append(f"{label} {a} → {b}")
    if before.pool.kind != "none" and before.pool.kind == after.pool.kind and before.pool != after.pool:
        out.append("pooling window")
    if before.params.size == after.params.size and before.kernel != after.kernel:
        out.append("kernel edited")
    return out
