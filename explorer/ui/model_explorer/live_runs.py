"""The Model Explorer while a camera or video plays: it computes what is on screen, the shown layer and the prediction.

The view asks ``scope`` what a run must hold now: the shown row's tensor while ``state.live`` plays, None (every
activation, ``tasks.run_model``) when paused or on a still image, so a frozen frame can be stepped through layer by
layer. ``job`` turns a request into the task to run; for a live scope that is ``live_tasks.run_live`` on the
LiveSession of (model, shown layer), which is built on the runner (kind "live-session", latest wins) whenever either
changes; once built, the view's ``_reconcile`` is called and submits the run. Frames wait for these tasks like for
any view's (ui/live_source.py hands a frame over only when the views' tasks on the previous one are done), except
that two live frames run at once, their starts kept apart (``room_in``).

While playing, the previous frame's result stays on screen until the next one arrives (the activation panel shows
the frame it was computed on), instead of a blank panel for the length of every run.
"""
from __future__ import annotations

import math
import statistics
import time
from collections import deque
from collections.abc import Callable

from explorer.core.images import LoadedImage
from explorer.state.app import AppState
from explorer.ui.model_explorer import readouts
from explorer.workers import live_tasks, tasks
from explorer.workers.live_tasks import LiveModel
from explorer.workers.runner import TaskRunner
from explorer.workers.tasks import LoadedModel, RunResult

KIND = "live-session"
RUNS = ("model-run", "model-run-2")  # task kinds of model runs: a full run uses the first; live frames up to depth
# Live runs start at least this share of a run's duration apart. Two frames run at once, each lane's next run
# starting as its last one ends, so two runs that started close together would go on ending close together: the
# earlier result is on screen for a few ms or, slowed by the painting, overtaken and thrown away. Kept apart,
# results come at an even pace (bench/README.md, "Live runs kept apart"). Half a run would be the ideal spacing
# but leaves a core idle at every jitter; a third measured best.
SPACING = 1 / 3
DURATIONS_KEPT = 8  # recent live runs whose median is "a run's duration"
LIVE_NOTE = "live: only the shown layer is computed; this one comes with the next frame"
PAUSED_NOTE = "paused: computing every layer of this frame…"


class LiveRuns:
    def __init__(self, state: AppState, runner: TaskRunner, ready: Callable[[], None]) -> None:
        self.state, self.runner, self._ready = state, runner, ready
        self._session: LiveModel | None = None              # the LiveSession of the latest (model, layer) built
        self._building: tuple[LoadedModel, str] | None = None  # what the running build task makes
        self._last_start = -math.inf                         # time.monotonic() when the newest live run went in
        self._durations: deque[float] = deque(maxlen=DURATIONS_KEPT)  # seconds, of the session's recent runs

    def playing(self) -> bool:
        return self.state.live.playing  # only ever True while a camera or video is the source

    def scope(self, shown: str) -> str | None:
        """What a run must compute now: the shown tensor while a source plays, None (every activation) otherwise."""
        return shown if self.playing() else None

    @staticmethod
    def covers(result: RunResult, loaded: LoadedModel, scope: str | None) -> bool:
        """A full run covers everything; a live one only its own layer, and only while playing."""
        if not result.live:
            return True
        return scope is not None and (scope not in loaded.session.tensor_names or scope in result.activations.tensors)

    def on_screen(self, result: RunResult | None, loaded: LoadedModel | None, image: LoadedImage | None) -> bool:
        return readouts.on_screen(result, loaded, image, self.playing())

    def note(self) -> str:
        """Why the shown layer has no values in a live result."""
        return LIVE_NOTE if self.playing() else PAUSED_NOTE

    def job(self, request: tuple[LoadedModel, LoadedImage, object], scope: str | None,
            on_error: Callable[[str], None]) -> tuple | None:
        """(task function, *arguments) answering ``request`` for ``scope``; None while its LiveSession builds."""
        loaded, image, recipe = request
        session = self._session
        if session is not None and session.loaded is not loaded:
            self._session = session = None  # another model: the old one's live session frees its memory
        if scope is None:
            return (tasks.run_model, *request)
        if session is not None and session.loaded is loaded and session.layer == scope:
            ex = self.state.explorer
            return live_tasks.run_live, session, image, recipe, ex.normalize, ex.sort, ex.mosaic_aspect
        if not (self.runner.is_busy(KIND) and self._building == (loaded, scope)):
            self._building, self._session = (loaded, scope), None  # the old session's memory goes now
            self.runner.submit(KIND, live_tasks.build_live, loaded, scope, on_done=self._built, on_error=on_error)
        return None

    def run_kind(self, scope: str | None) -> str:
        """The task kind for the next run: a free one of the kinds this run may use (a full run one, live frames
        their session's depth), else the one whose run is oldest (the new run replaces it)."""
        session = self._session
        kinds = RUNS[:session.depth] if scope is not None and session is not None else RUNS[:1]
        free = [kind for kind in kinds if not self.runner.is_busy(kind)]
        return free[0] if free else min(kinds, key=lambda kind: self.runner.current(kind).id)

    def room_in(self) -> float:
        """Seconds until another frame may go in: 0 now, math.inf while as many live runs are under way as the
        shown session runs at once (a run's end wakes the LiveController, which asks before every hand-over; with
        depth 1 it waits for the run, as for any view), else the rest of SPACING since the last one started."""
        depth = self._session.depth if self._session is not None and self.playing() else 1
        busy = sum(self.runner.is_busy(kind) for kind in RUNS)
        if busy >= depth or (busy and not self._durations):
            return math.inf  # the first run goes alone: how long a run takes is not known yet
        if depth == 1 or not busy:
            return 0.0
        due = self._last_start + SPACING * statistics.median(self._durations)
        return max(0.0, due - time.monotonic())

    def started(self) -> None:
        """A live run was submitted just now."""
        self._last_start = time.monotonic()

    def ran(self, result: RunResult) -> None:
        """A live run of the current session ended (cancelled ones never do): its duration counts."""
        if result.live:
            self._durations.append(result.activations.timings["total_ms"] / 1000)

    def cancel(self, keep_first: bool = False) -> None:
        """Stop the runs under way (``keep_first``: all but the first kind's, which a full run is about to take)."""
        for kind in RUNS[1:] if keep_first else RUNS:
            self.runner.cancel(kind)

    def _built(self, session: LiveModel) -> None:
        self._building, self._session = None, session
        self._durations.clear()  # another model or layer takes its own time
        self._ready()
