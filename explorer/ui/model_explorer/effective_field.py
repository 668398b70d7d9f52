"""The measured effective receptive field of the clicked unit, drawn by the activation panel inside the theoretical one.

While ``state.explorer.effective_field`` is on, the clicked unit (``state.explorer.unit`` of ``channel`` on the
shown layer) is measured by ``tasks.measure_field`` (kind "erf", core.erf) around the current model input; a new
unit, layer, channel, model or image cancels the old measurement. ``state.explorer.field`` only ever holds the
field of the current unit (it is cleared before a new one is asked for). Nothing is measured while a video or camera
plays (every frame would restart it); the text says to pause.
"""
from __future__ import annotations

from collections.abc import Callable

from explorer.state.app import AppState
from explorer.state.batch import batched
from explorer.ui.binding import bind, connect
from explorer.ui.model_explorer.activation_panel import ActivationPanel
from explorer.ui.model_explorer.rows import Row
from explorer.workers import tasks
from explorer.workers.runner import TaskRunner

KIND = "erf"
CLICK = "Click a unit of a channel to measure its effective field."
MEASURING = "Measuring the effective field…"
LIVE = "Pause the video or camera to measure the effective field: it takes hundreds of runs on one frame."
# A click wants an answer in seconds: coarser blocks than the CLI's 4096 passes (AlexNet's conv3 field, 99×99×3,
# took minutes on a busy 2-core machine at 4096; LeNet-5's fields fit whole in this).
MAX_PASSES = 1024

Target = tuple  # (loaded model, image, layer tensor, (channel, row, col))


def _same(a: Target | None, b: Target | None) -> bool:
    """Model and image by identity (a reloaded model or reopened picture is new), layer and unit by value."""
    return a is not None and b is not None and a[0] is b[0] and a[1] is b[1] and a[2:] == b[2:]


class EffectiveFieldTask:
    def __init__(self, state: AppState, runner: TaskRunner, panel: ActivationPanel,
                 shown_row: Callable[[], Row | None]) -> None:
        self.state, self.runner, self.panel, self.shown_row = state, runner, panel, shown_row
        self._pending: Target | None = None   # what the running task measures
        self._held: Target | None = None      # what state.explorer.field answers
        ex, events = state.explorer, state.explorer.events
        bind(panel.effective, events.effective_field, lambda: panel.effective.setChecked(ex.effective_field),
             panel.effective_chosen, lambda on: setattr(ex, "effective_field", on))
        for signal in (events.effective_field, events.loaded, events.model, events.layer, events.channel,
                       events.unit, state.image.events.image, state.image.events.photo, state.live.events.playing):
            connect(panel, signal, self.reconcile)
        connect(panel, events.field, self._show)
        connect(panel, events.field_text, self._show)

    def target(self) -> Target | None:
        """The clicked unit on the shown layer, when the box is ticked and the unit exists in that layer."""
        ex = self.state.explorer
        loaded, image, row = ex.shown_model(), self.state.image.model_input(), self.shown_row()
        if not ex.effective_field or loaded is None or image is None or row is None or row.op == "Input" \
                or self.state.live.playing:
            return None
        shape = row.shape
        if len(shape) != 4 or not all(isinstance(d, int) for d in shape[1:]) or shape[2] * shape[3] <= 1:
            return None
        if ex.channel is None or ex.unit is None or not 0 <= ex.channel < shape[1] \
                or not (0 <= ex.unit[0] < shape[2] and 0 <= ex.unit[1] < shape[3]):
            return None
        return loaded, image, row.tensor, (ex.channel, *ex.unit)

    def reconcile(self, *_) -> None:
        ex, target = self.state.explorer, self.target()
        if _same(target, self._held):
            return
        self._held = None
        if target is None:
            self.runner.cancel(KIND)
            self._pending = None
            why = LIVE if self.state.live.playing else CLICK
            with batched(ex.events):
                ex.field, ex.field_text = None, why if ex.effective_field else ""
            return
        if self.runner.is_busy(KIND) and _same(target, self._pending):
            return
        self._pending = target
        loaded, image, layer, unit = target
        with batched(ex.events):
            ex.field, ex.field_text = None, MEASURING
        self.runner.submit(KIND, tasks.measure_field, loaded.explainer, layer, unit, image, MAX_PASSES,
                           on_done=lambda field: self._done(target, field), on_error=self._failed,
                           on_progress=lambda f, _: setattr(ex, "field_text", f"{MEASURING} {f:.0%}"))

    def _done(self, target: Target, field) -> None:
        self._held, self._pending = target, None
        with batched(self.state.explorer.events):
            self.state.explorer.field, self.state.explorer.field_text = field, ""

    def _failed(self, message: str) -> None:
        self._pending = None
        self.state.explorer.field_text = message

    def _show(self, *_) -> None:
        self.panel.show_field(self.state.explorer.field, self.state.explorer.field_text)
