"""The Model Explorer: choose a network, step through its layers, see every channel and each unit's receptive field.

Widgets write the user's intent into ``state.explorer`` (model, layer, channel, unit, colour scale, sort, panel);
every readout is repainted from the state when what it depends on changes. Work goes through the one TaskRunner:
``model-load`` (tasks.load_model) when the chosen model is not the loaded one, ``model-run`` (tasks.run_model)
when the activations on screen do not answer (loaded model, model input, recipe), ``inspect-builtins`` for the
receptive-field comparison. ``_reconcile`` decides which of them is due, so every event can simply call it.
While a camera or video plays, ``live_runs.py`` makes the run compute the shown layer and the prediction alone.
"""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QSettings, QSignalBlocker, Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from explorer.core import preprocess, zoo
from explorer.core.errors import UserError
from explorer.core.images import LoadedImage
from explorer.core.layer_picture import is_map
from explorer.core.sandboxed_session import SandboxedSession
from explorer.state.app import AppState
from explorer.state.batch import batched
from explorer.state.explorer import PANELS
from explorer.ui import cache_dialog, style
from explorer.ui.low_priority import LowPriorityCall
from explorer.ui.model_explorer import preprocess_dialog, readouts
from explorer.ui.model_explorer.activation_panel import ActivationPanel
from explorer.ui.model_explorer.architecture_strip import ArchitectureStrip
from explorer.ui.model_explorer.effective_field import EffectiveFieldTask
from explorer.ui.model_explorer.explain_panel import ExplainPanel
from explorer.ui.model_explorer.filters_panel import FiltersPanel
from explorer.ui.model_explorer.layer_list import LayerTable
from explorer.ui.model_explorer.layer_pictures import LayerPictures
from explorer.ui.model_explorer.live_runs import RUNS, LiveRuns
from explorer.ui.model_explorer.model_picker import ModelPicker
from explorer.ui.model_explorer.predictions import PredictionsPanel
from explorer.ui.model_explorer.random_vs_trained import RandomVsTrainedPanel
from explorer.ui.model_explorer.rf_plot import RFGrowthPlot
from explorer.ui.model_explorer.rows import Row, row_values, rows_of
from explorer.workers import tasks
from explorer.workers.runner import TaskRunner
from explorer.workers.tasks import LoadedModel, RunResult

TOPIC = "explorer"   # status-line topic: cleared when another model is chosen
STRIP_SHARE = 0.2     # the most of the view's height the architecture strip asks for
LOAD, INSPECT, DOWNLOAD = "model-load", "inspect-builtins", "download"
RunRequest = tuple[LoadedModel, LoadedImage, preprocess.Preprocess]


def same_request(a: RunRequest | None, b: RunRequest | None) -> bool:
    """Model and image by identity (a reloaded model or a reopened picture is a new request), recipe by value."""
    return a is not None and b is not None and a[0] is b[0] and a[1] is b[1] and a[2] == b[2]


class ModelExplorerView(QWidget):
    def __init__(self, state: AppState, runner: TaskRunner, settings: QSettings | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state, self.runner = state, runner
        self.settings = settings or QSettings("cnn-explorer", "cnn-explorer")
        self.rows: list[Row] = []                      # the rows of the model the widgets show
        self._shown: LoadedModel | None = None         # that model (None: the chosen one is still loading)
        self._load_key = ""                            # the model the latest load task builds
        self._run: RunRequest | None = None            # what the latest run task answers
        self._scope: str | None = None                 # ... and for which layer (None: all; live_runs.py)
        self._run_kind = RUNS[0]                       # ... and its task kind
        self._run_seq = self._newest_run = 0           # runs numbered as submitted; the newest result so far
        self._seq_of: dict[str, int] = {}              # task kind -> the number of its latest run
        self._failed_load = ""                         # not retried until the user asks again (error cleared)
        self._failed_run: RunRequest | None = None
        self._recipes: dict[str, preprocess.Preprocess] = {}  # the user's recipes for files without one
        self._dialog: preprocess_dialog.PreprocessDialog | None = None
        self._notes_shown: set[str] = set()
        self._bindings: list[tuple[object, Callable]] = []
        self._stale = False  # a run was due while hidden during playback: run when shown
        self._prediction_layout: tuple = ()  # what the prediction's height was last fitted to
        self._model_input: tuple | None = None  # (image, model input) the image events were last answered for
        self.live_runs = LiveRuns(self.state, self.runner, self._reconcile)
        self.pictures = LayerPictures(self.runner, self._show_activations)
        self._paint_live = LowPriorityCall(self)
        self._build()
        self._connect_intent()
        self._bind_state()
        self.effective_field = EffectiveFieldTask(self.state, self.runner, self.activations,
                                                  lambda: self.rows[self.current_row] if self.rows else None)
        self._show_model()
        self._reconcile()

    # ----- widgets -------------------------------------------------------------------------------------------
    def _build(self) -> None:
        self.picker = ModelPicker(self.settings)
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setMinimumWidth(180)
        self.progress.setFont(style.font(style.LABEL_PT))
        self.progress.hide()
        self.summary = QLabel()
        self.summary.setFont(style.font(style.LABEL_PT))
        self.summary.setWordWrap(True)  # a row of its own: wraps rather than cutting off what the model runs on
        self.summary.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)  # never widens the view
        self.provider_label = QLabel("runs on: –")
        self.provider_label.setFont(style.font(style.LABEL_PT, bold=True))
        self.provider_label.setToolTip("The onnxruntime execution provider that really runs the model.")
        self.message = QLabel()
        self.message.setFont(style.font(style.LABEL_PT))
        self.message.setStyleSheet("color: #b00020;")
        self.message.setWordWrap(True)
        self.message.hide()
        top = QHBoxLayout()
        top.addWidget(self.picker)
        top.addWidget(self.progress)
        top.addStretch(1)
        top.addWidget(self.provider_label)

        self.strip = ArchitectureStrip()
        self.table = LayerTable()
        self.prev_button = QPushButton("◀ Previous")
        self.next_button = QPushButton("Next ▶")
        for b, tip in ((self.prev_button, "Previous layer (←; Home: the input)"),
                       (self.next_button, "Next layer (→; End: the output)")):
            b.setFont(style.font(style.LABEL_PT))
            b.setToolTip(tip)
            b.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        steps = QHBoxLayout()
        steps.addWidget(self.prev_button)
        steps.addWidget(self.next_button)
        self.predictions = PredictionsPanel()
        layers = QWidget()
        layers_box = QVBoxLayout(layers)
        layers_box.setContentsMargins(0, 0, 0, 0)
        layers_box.addWidget(self.table, 1)
        layers_box.addLayout(steps)
        # Table and prediction share the column through a splitter: on a 768 px projector the prediction scrolls
        # instead of leaving the table two rows (its full height, 17 lines, is what it asks for, not what it needs).
        predictions = QScrollArea()
        predictions.setWidget(self.predictions)
        predictions.setWidgetResizable(True)
        predictions.setFrameShape(QFrame.Shape.NoFrame)
        left = QSplitter(Qt.Orientation.Vertical)
        left.addWidget(layers)
        left.addWidget(predictions)
        left.setChildrenCollapsible(False)
        self.left = left

        self.activations = ActivationPanel()
        self.filters = FiltersPanel()
        self.rf_plot = RFGrowthPlot()
        self.explain = ExplainPanel(self.state, self.runner)
        self.compare = RandomVsTrainedPanel(self.state, self.runner)
        self.tabs = QTabWidget()
        self.tabs.setFont(style.font(style.LABEL_PT))
        # Short titles (the full name is the tooltip) so all five fit beside the table at 1024×768; when zoom
        # makes them wider than the bar, they are elided rather than hidden behind scroll arrows.
        self.tabs.tabBar().setUsesScrollButtons(False)
        self.tabs.tabBar().setElideMode(Qt.TextElideMode.ElideRight)
        for widget, title, tip in (
                (self.activations, "Activations", "Every channel of the layer, and one channel large"),
                (self.filters, "Filters", "The layer's learned filters"),
                (self.rf_plot, "RF growth", "Receptive-field growth with depth"),
                (self.explain, "Explain", "What the network looks at for a class"),
                (self.compare, "Random vs trained", "The same layer with random and with trained weights")):
            self.tabs.setTabToolTip(self.tabs.addTab(widget, title), tip)  # in the order of PANELS
        self.split = QSplitter(Qt.Orientation.Horizontal)
        self.split.addWidget(left)
        self.split.addWidget(self.tabs)
        self.split.setStretchFactor(0, 2)
        self.split.setStretchFactor(1, 5)
        self.split.setSizes([600, 1200])

        box = QVBoxLayout(self)
        box.setContentsMargins(6, 6, 6, 6)
        box.addLayout(top)
        box.addWidget(self.summary)
        box.addWidget(self.message)
        box.addWidget(self.strip)
        box.addWidget(self.split, 1)

        # Window-wide, so they work wherever the focus is (the tab bar included), but only while this view is
        # visible: showEvent/hideEvent switch them, so the other tabs keep their own use of these keys.
        self.shortcuts: list[QShortcut] = []
        for key, slot in ((Qt.Key.Key_Left, lambda: self.step(-1)), (Qt.Key.Key_Right, lambda: self.step(1)),
                          (Qt.Key.Key_Home, lambda: self.select_row(0)),
                          (Qt.Key.Key_End, lambda: self.select_row(len(self.rows) - 1))):
            shortcut = QShortcut(QKeySequence(key), self)
            shortcut.setContext(Qt.ShortcutContext.WindowShortcut)
            shortcut.setEnabled(False)
            shortcut.activated.connect(slot)
            self.shortcuts.append(shortcut)

    def _connect_intent(self) -> None:
        """Widgets -> state: each control writes what the user asked for, nothing else."""
        ex = self.state.explorer
        self.picker.model_chosen.connect(self.select_model)
        self.picker.open_requested.connect(self.open_model_dialog)
        self.picker.download_requested.connect(self.download)
        self.compare.download_requested.connect(self.download)
        self.picker.cancel_requested.connect(self.cancel_download)
        self.strip.layer_clicked.connect(self.select_row)
        self.table.selectionModel().currentRowChanged.connect(lambda current, _: self.select_row(current.row()))
        self.prev_button.clicked.connect(lambda: self.step(-1))
        self.next_button.clicked.connect(lambda: self.step(1))
        self.activations.channel_clicked.connect(lambda channel: setattr(ex, "channel", channel))
        self.activations.unit_pointed.connect(lambda y, x: setattr(ex, "unit", (y, x)))
        self.activations.normalize_chosen.connect(lambda value: setattr(ex, "normalize", value))
        self.activations.sort_chosen.connect(lambda value: setattr(ex, "sort", value))
        self.activations.mosaic_aspect_changed.connect(lambda value: setattr(ex, "mosaic_aspect", value))
        self.tabs.currentChanged.connect(lambda index: setattr(ex, "panel", PANELS[index]))
        self.rf_plot.compare_requested.connect(self._compare_builtins)

    def _bind_state(self) -> None:
        """State -> widgets (and tasks): what each readout depends on."""
        ex, image = self.state.explorer.events, self.state.image.events
        for signal, slot in ((ex.model, self._on_model), (ex.loaded, self._on_loaded),
                             (ex.error, self._on_error), (ex.result, self._show_result),
                             (ex.layer, self._show_layer), (ex.channel, self._show_channel),
                             (ex.unit, self._show_unit), (ex.normalize, self._show_activations),
                             (ex.sort, self._show_activations), (ex.mosaic_aspect, self._show_activations),
                             (ex.panel, self._show_panel),
                             (ex.progress, self._show_progress), (ex.progress_text, self._show_progress),
                             (image.image, self._on_model_input), (image.photo, self._on_model_input),
                             (ex.layer, self._reconcile), (self.state.live.events.playing, self._reconcile),
                             (ex.result, self._on_result)):
            signal.connect(slot)
            self._bindings.append((signal, slot))
        self._show_panel()
        self._show_error()

    # ----- public API (the main window, app.py) --------------------------------------------------------------
    def select_model(self, name_or_path: str) -> None:
        """A catalog key or an .onnx path; what is loaded stays usable until the new model has loaded."""
        path = Path(name_or_path)
        is_file = path.suffix.lower() == ".onnx" or path.is_file()
        self.state.explorer.choose(str(path.resolve()) if is_file else str(name_or_path))

    def download(self, key: str | None = None) -> None:
        """Fetch an entry's published file (the chosen one by default) on the runner; when it is in the cache, the
        model loads."""
        key = key or self.state.explorer.model

        def fetched(_path: object) -> None:
            self._progress(1.0, "")
            self._show_download()
            self.compare.refresh()
            if self.state.explorer.model == key:
                self._reconcile()

        def failed(message: str) -> None:
            self._progress(1.0, "")
            self._show_download()
            self.compare.refresh()
            self.state.status.show(message, error=True, topic=TOPIC)

        self.runner.submit(DOWNLOAD, tasks.download_model, key, cache_dialog.mirror(self.settings), on_done=fetched,
                           on_error=failed, on_progress=self._progress)
        self._show_download()
        self.compare.refresh()

    def cancel_download(self) -> None:
        self.runner.cancel(DOWNLOAD)
        self._progress(1.0, "")
        self._show_download()
        self.state.status.show("Download cancelled; nothing was kept.", topic=TOPIC)

    def _show_download(self) -> None:
        self.picker.set_download(readouts.missing_download(self.state.explorer.model) is not None,
                                 self.runner.is_busy(DOWNLOAD))

    def open_model_file(self, path: str) -> None:
        self.select_model(path)

    def open_model_dialog(self) -> None:
        recent = self.picker.recent()
        folder = str(Path(recent[0]).parent) if recent else str(Path.home())
        path, _ = QFileDialog.getOpenFileName(self, "Open ONNX model", folder, "ONNX models (*.onnx);;All files (*)")
        if path:
            self.open_model_file(path)

    def has_results(self) -> bool:
        """The activations on screen answer the chosen model and the current model input (a big layer's mosaic
        included: it is made on the runner)."""
        return readouts.result_is_current(self.state.explorer, self.state.image) and not self.pictures.making()

    def shutdown(self) -> None:
        """Stop listening to the state (the window is closing); the runner is shut down by its owner."""
        if self._dialog is not None:
            self._dialog.reject()
        self.compare.shutdown()
        for signal, slot in self._bindings:
            signal.disconnect(slot)
        self._bindings.clear()
        _release(self.state.explorer.loaded)

    # ----- layers --------------------------------------------------------------------------------------------
    @property
    def current_row(self) -> int:
        """Index of the layer in the state; "" or a name this model lacks means the first after the input."""
        if not self.rows:
            return -1
        layer = self.state.explorer.layer
        return next((i for i, row in enumerate(self.rows) if row.tensor == layer), min(1, len(self.rows) - 1))

    def select_row(self, index: int) -> None:
        if self.rows and index >= 0:
            self.state.explorer.layer = self.rows[min(index, len(self.rows) - 1)].tensor

    def step(self, delta: int) -> None:
        self.select_row(max(self.current_row + delta, 0))

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt naming)
        super().resizeEvent(event)
        # A short window (a projector's 1280×720 at zoom 1.5) gives the layers and the activations the height: the
        # strip's legend takes more columns instead.
        self.strip.set_height_budget(int(STRIP_SHARE * self.height()))
        self._fit_prediction()

    def _fit_prediction(self) -> None:
        """The prediction gets the height its text needs at this width, at most 45 % of the column."""
        total = sum(self.left.sizes())
        if total <= 0:
            return
        needed = max(self.predictions.heightForWidth(self.left.width()), self.predictions.sizeHint().height())
        want = min(needed, int(0.45 * total))
        if self.live_runs.playing():  # grow only: a text that comes and goes with the frames never moves the lines
            want = max(want, self.left.sizes()[1])
        if self.left.sizes() != [total - want, want]:  # the same sizes again would still lay the column out
            self.left.setSizes([total - want, want])

    def showEvent(self, event) -> None:  # noqa: N802 (Qt naming)
        super().showEvent(event)
        for shortcut in self.shortcuts:
            shortcut.setEnabled(True)
        if self._stale:  # frames went by while hidden: catch up with the one on screen
            self._reconcile()

    def hideEvent(self, event) -> None:  # noqa: N802
        super().hideEvent(event)
        for shortcut in self.shortcuts:
            shortcut.setEnabled(False)

    # ----- tasks: what is due for the current state ----------------------------------------------------------
    def _reconcile(self) -> None:
        """Load the chosen model if it is not the loaded one, else run it on the model input unless the result
        on screen already answers that; a request that failed is repeated only once the user asks again."""
        ex = self.state.explorer
        if not ex.is_current(ex.loaded) and readouts.missing_download(ex.model) is not None:
            self.runner.cancel(LOAD)  # nothing to load until the user downloads it (the summary says so)
            if not self.runner.is_busy(DOWNLOAD):
                self._progress(1.0, "")
            return
        if not ex.is_current(ex.loaded):
            retry_blocked = bool(ex.error) and self._failed_load == ex.model
            if not retry_blocked and not (self.runner.is_busy(LOAD) and self._load_key == ex.model):
                self._submit_load(ex.model)
            return
        if self.runner.is_busy(LOAD):  # back to the loaded model while another one was building
            self.runner.cancel(LOAD)
            self._progress(1.0, "")
        if self.live_runs.playing() and not self.isVisible():
            # Nobody sees this frame's activations; running the model on every frame would slow the view on
            # screen (and hold back the next frame). Shown again, the explorer runs the frame then on screen.
            self._stale = True
            return
        self._stale = False
        request = self._run_request()
        scope = self.live_runs.scope(self.rows[self.current_row].tensor) if self.rows else None
        if request is None or self._answered(request, scope):
            return
        in_flight = self.runner.is_busy(self._run_kind) and same_request(self._run, request) and self._scope == scope
        failed = bool(ex.error) and same_request(self._failed_run, request)
        if not (in_flight or failed):
            self._submit_run(request, scope)

    def _answered(self, request: RunRequest, scope: str | None) -> bool:
        result = self.state.explorer.result
        return (readouts.answers(result, request[0], request[1]) and result.preprocess == request[2]
                and self.live_runs.covers(result, request[0], scope))

    def _run_request(self) -> RunRequest | None:
        loaded, image = self.state.explorer.shown_model(), self.state.image.model_input()
        if loaded is None or image is None:
            return None
        recipe = loaded.preprocess or self._recipes.get(loaded.key)
        return None if recipe is None else (loaded, image, recipe)

    def _submit_load(self, key: str) -> None:
        ex = self.state.explorer
        self._load_key = key
        self.live_runs.cancel()  # the old model's runs would only be thrown away
        with batched(ex.events):
            ex.progress, ex.progress_text = 0.0, f"Loading {readouts.chosen_title(key)}…"
        self.runner.submit(LOAD, tasks.load_model, key, on_done=self._loaded,
                           on_error=lambda message: self._load_failed(key, message), on_progress=self._progress)

    def _loaded(self, loaded: LoadedModel) -> None:
        ex = self.state.explorer
        if loaded.key != ex.model:
            _release(loaded)
            return
        if ex.loaded is not loaded:
            _release(ex.loaded)  # the run on it was cancelled when this load began
        with batched(ex.events):
            ex.loaded = loaded
            ex.progress, ex.progress_text = 1.0, ""

    def _load_failed(self, key: str, message: str) -> None:
        """Keep the previous model working (the choice goes back to it) and say why in one line."""
        ex = self.state.explorer
        self._failed_load = key
        with batched(ex.events):
            if ex.loaded is not None:
                ex.model = ex.loaded.key
            ex.error = message
            ex.progress, ex.progress_text = 1.0, ""
        self.state.status.show(message, error=True, topic=TOPIC)

    def _submit_run(self, request: RunRequest, scope: str | None) -> None:
        failed = lambda message: self._run_failed(request, message)  # noqa: E731
        job = self.live_runs.job(request, scope, failed)
        if job is None:
            return  # the live session for this layer is being built: _reconcile follows
        if scope is None:
            self.live_runs.cancel(keep_first=True)  # a full run answers the frame: live ones would be thrown away
        kind = self.live_runs.run_kind(scope)
        self._run, self._scope, self._run_kind = request, scope, kind
        self._run_seq += 1
        seq = self._seq_of[kind] = self._run_seq
        self.runner.submit(kind, *job, on_done=lambda result: self._ran(result, seq), on_error=failed)
        if scope is not None:
            self.live_runs.started()
        if not self.live_runs.on_screen(self.state.explorer.result, request[0], request[1]):
            self.state.explorer.result = None  # the old image's activations never stand beside the new one

    def _ran(self, result: RunResult, seq: int) -> None:
        self.live_runs.ran(result)
        if seq < self._newest_run:
            return  # live frames run side by side: an older frame's run ended after a newer one's
        self._newest_run = seq
        for kind, older in self._seq_of.items():
            if older < seq and self.runner.is_busy(kind):
                self.runner.cancel(kind)  # an older frame still running would only be thrown away: free its core
        if result.live and self.live_runs.playing():
            # Painted once the next frame has gone in (LiveController takes it on this task's end, at normal
            # priority): that frame's run then overlaps this one's painting instead of waiting for it.
            self._paint_live.call(lambda: self._show_live_result(result))
            return
        if not readouts.answers(result, self.state.explorer.shown_model(), self.state.image.model_input()):
            self._reconcile()  # an answer to an older question: ask the current one
            return
        self._accept(result)

    def _show_live_result(self, result: RunResult) -> None:
        """A live frame's result, shown while the next frame runs; dropped when playing stopped or the model
        changed meanwhile (what is due then is a full run, or another model's)."""
        shown = self.state.explorer.shown_model()
        if not (self.live_runs.playing() and self.live_runs.on_screen(result, shown, self.state.image.model_input())):
            self._reconcile()
            return
        self._accept(result)

    def _accept(self, result: RunResult) -> None:
        ex = self.state.explorer
        with batched(ex.events):
            ex.result = result
            if self._failed_run is not None:
                ex.error, self._failed_run = "", None

    def _run_failed(self, request: RunRequest, message: str) -> None:
        self._failed_run = request
        self.state.explorer.error = message
        self.state.status.show(message, error=True, topic=TOPIC)

    def _progress(self, fraction: float, text: str) -> None:
        ex = self.state.explorer
        with batched(ex.events):
            ex.progress, ex.progress_text = fraction, text

    def _compare_builtins(self) -> None:
        self.runner.submit(INSPECT, tasks.inspect_builtins, list(zoo.BUILTINS),
                           on_partial=lambda found: self.rf_plot.add_builtin(zoo.BUILTINS[found[0]].title, found[1]),
                           on_progress=lambda _, text: self.rf_plot.note.setText(text),
                           on_error=lambda message: self.state.status.show(message, error=True, topic=TOPIC))

    # ----- preprocessing for files that do not say ------------------------------------------------------------
    def _ask_recipe(self, loaded: LoadedModel) -> None:
        recipe = preprocess_dialog.remembered(self.settings, loaded.key)
        if recipe is not None:
            self._recipes[loaded.key] = recipe
            return
        guess, note = preprocess.default_for_input(loaded.info.input_shape)
        self._recipes[loaded.key] = guess  # show something at once; the dialog refines it
        self.state.status.show(note, topic=TOPIC)
        self._dialog = preprocess_dialog.PreprocessDialog(loaded.title, guess, self)
        self._dialog.accepted.connect(lambda: self._recipe_chosen(loaded.key))
        self._dialog.finished.connect(lambda _: setattr(self, "_dialog", None))
        self._dialog.open()

    def _recipe_chosen(self, key: str) -> None:
        if self._dialog is None:
            return
        try:
            recipe = self._dialog.recipe()
        except UserError as exc:  # Preprocess validates the values (e.g. a zero std)
            self.state.status.show(str(exc), error=True, topic=TOPIC)
            return
        preprocess_dialog.remember(self.settings, key, recipe)
        self._recipes[key] = recipe
        self._reconcile()

    # ----- state -> widgets ------------------------------------------------------------------------------------
    def _on_model(self) -> None:
        self.state.status.clear_topic(TOPIC)  # e.g. an opened file's preprocessing note
        self._show_download()
        self._show_model()
        self._reconcile()

    def _on_loaded(self) -> None:
        loaded = self.state.explorer.shown_model()
        if loaded is not None:
            if not loaded.builtin:
                self.picker.add_recent(loaded.key)
            note = loaded.session.note
            if note and note not in self._notes_shown:
                self._notes_shown.add(note)  # say it once, not on every model switch
                self.state.status.note(note, topic=TOPIC)  # the corner's provider badge says it too
            if loaded.preprocess is None and loaded.key not in self._recipes:
                self._ask_recipe(loaded)
        self._show_model()
        self._reconcile()

    def _on_result(self) -> None:
        if self.state.explorer.result is None:  # whoever cleared it, the run now due must follow
            self._reconcile()

    def _on_error(self) -> None:
        self._show_error()
        self._show_header()
        self._reconcile()

    def _on_model_input(self) -> None:
        """``image`` and ``photo`` change together for a photo (every live frame): one answer for both."""
        images = self.state.image
        seen = (images.image, images.model_input())  # the summary says when the model input is not the image
        if self._model_input is not None and all(a is b for a, b in zip(seen, self._model_input)):
            return
        self._model_input = seen
        self._reconcile()
        self._show_header()

    def _show_model(self) -> None:
        """Picker, badge and summary follow the choice; table, strip and curves follow the model shown."""
        ex = self.state.explorer
        self.picker.set_current(ex.model)
        self._show_header()
        shown = ex.shown_model()
        if shown is self._shown:
            return
        self._shown = shown
        if shown is None:
            self.rows = []
            self.rf_plot.set_current(None)
        else:
            self.rows = rows_of(shown.info, shown.file_names)
            self.strip.set_rows(self.rows)
            self.rf_plot.set_current(shown.title, shown.info)
        with QSignalBlocker(self.table.selectionModel()):
            self.table.set_rows(self.rows)
        # Give the table the width its columns need (at most 45 %); the activations get the rest.
        total = sum(self.split.sizes())
        left = min(self.table.content_width(), int(0.45 * total))
        self.split.setSizes([left, total - left])
        self._show_predictions()
        self._show_layer()

    def _show_header(self) -> None:
        ex = self.state.explorer
        self.picker.set_badge(*readouts.badge(ex))
        text = readouts.summary(ex, self.state.image, self.live_runs.playing())
        self.summary.setText(text)
        self.summary.setToolTip(text)
        shown = ex.shown_model()
        self.provider_label.setText(f"runs on: {readouts.short_provider(shown.provider) if shown else '–'}")
        if shown is None:
            self.strip.show_placeholder(text)

    def _show_layer(self) -> None:
        index = self.current_row
        self.prev_button.setEnabled(index > 0)
        self.next_button.setEnabled(0 <= index < len(self.rows) - 1)
        if index < 0:
            self.filters.show_filters("", None)
            self.activations.clear()
            return
        row = self.rows[index]
        with QSignalBlocker(self.table.selectionModel()):  # following the state is not a choice of the user's
            self.table.select_row(index)
        self.strip.set_current(index)
        self.filters.show_filters(row.name, self._shown.filters.get(row.name))
        self._show_activations()

    def _show_activations(self) -> None:
        ex, index = self.state.explorer, self.current_row
        result = ex.result
        if index < 0 or not self.live_runs.on_screen(result, self._shown, self.state.image.model_input()):
            self.activations.clear()
            return
        row = self.rows[index]
        values = row_values(row, index, result.activations, result.prepared.tensor, result.preprocess.layout)
        picture = None
        if values is not None and is_map(values):
            picture = self.pictures.picture(result, row.tensor, values, ex.normalize, ex.sort, ex.mosaic_aspect)
            if picture is None:
                return  # a big layer's mosaic is being made on the runner: the panel keeps what it shows till then
        self.activations.show_layer(row, values, result.prepared, ex.normalize, ex.sort, ex.channel, ex.unit, picture)
        if values is None and result.live and row.tensor not in result.activations.tensors:
            self.activations.stats.setText(self.live_runs.note())

    def _show_channel(self) -> None:
        self.activations.show_channel(self.state.explorer.channel, self.state.explorer.unit)

    def _show_unit(self) -> None:
        self.activations.show_unit(self.state.explorer.unit)

    def _show_result(self) -> None:
        self._show_predictions()
        self._show_header()
        self._show_activations()

    def _show_predictions(self) -> None:
        result = self.state.explorer.result
        if self.live_runs.on_screen(result, self._shown, self.state.image.model_input()):
            self.predictions.show_result(self._shown, result)
        else:
            self.predictions.clear()
        layout = self.predictions.layout_key()
        if layout != self._prediction_layout:  # a live frame's new percentages alone: the same height
            self._prediction_layout = layout
            self._fit_prediction()

    def _show_panel(self) -> None:
        self.tabs.setCurrentIndex(PANELS.index(self.state.explorer.panel))

    def _show_progress(self) -> None:
        ex = self.state.explorer
        self.progress.setVisible(ex.progress < 1.0)
        self.progress.setValue(int(ex.progress * 1000))
        self.progress.setFormat(ex.progress_text or "%p%")
        self.progress.setToolTip(ex.progress_text)

    def _show_error(self) -> None:
        error = self.state.explorer.error
        self.message.setText(error)
        self.message.setVisible(bool(error))


def _release(loaded: LoadedModel | None) -> None:
    """A user's model runs in child processes of its own (its session's, its explanations'): stop them as soon as
    the model leaves, not whenever the garbage collector gets to it (a stray child would hold its memory, and tests
    count children)."""
    if loaded is not None and isinstance(loaded.session, SandboxedSession):
        loaded.session.cancel()
        loaded.session.close()
    if loaded is not None:
        loaded.explainer.close()
