"""The Model Explorer: choose a network, step through its layers, see every channel and each unit's receptive field.

The view only paints and sends intent: models are built, inspected and run by the InferenceController's worker
thread; mosaics, statistics and receptive fields come from core.
"""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings, Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from explorer.core import preprocess, zoo
from explorer.core.errors import UserError
from explorer.core.images import LoadedImage
from explorer.ui import style
from explorer.ui.model_explorer import preprocess_dialog
from explorer.ui.model_explorer.activation_panel import ActivationPanel
from explorer.ui.model_explorer.architecture_strip import ArchitectureStrip
from explorer.ui.model_explorer.filters_panel import FiltersPanel
from explorer.ui.model_explorer.layer_list import LayerTable, compact
from explorer.ui.model_explorer.model_picker import ModelPicker
from explorer.ui.model_explorer.predictions import PredictionsPanel
from explorer.ui.model_explorer.rf_plot import RFGrowthPlot
from explorer.ui.model_explorer.rows import Row, row_values, rows_of
from explorer.workers.inference import InferenceController, LoadedModel, RunResult

DEFAULT_MODEL = "lenet5"


def short_provider(provider: str) -> str:
    return provider.removesuffix("ExecutionProvider") or provider


class ModelExplorerView(QWidget):
    status_message = Signal(str)
    provider_changed = Signal(str)
    provider_note = Signal(str)  # e.g. "CUDA was requested but is not usable here": information, not an error
    result_shown = Signal(int)   # request id whose activations are now on screen (tests and the benchmark)

    def __init__(self, parent: QWidget | None = None, settings: QSettings | None = None,
                 model: str | None = DEFAULT_MODEL) -> None:
        super().__init__(parent)
        self.settings = settings or QSettings("cnn-explorer", "cnn-explorer")
        self.controller = InferenceController(self)
        self.loaded: LoadedModel | None = None
        self.result: RunResult | None = None
        self.image: LoadedImage | None = None
        self.rows: list[Row] = []
        self._wanted: str | None = None            # the model the latest request asks for
        self._recipes: dict[str, preprocess.Preprocess] = {}  # the user's recipes for models without one
        self._dialog: preprocess_dialog.PreprocessDialog | None = None
        self._notes_shown: set[str] = set()

        self.picker = ModelPicker(self.settings)
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setMinimumWidth(320)
        self.progress.setFont(style.font(style.LABEL_PT))
        self.progress.hide()
        self.summary = QLabel()
        self.summary.setFont(style.font(style.LABEL_PT))
        self.summary.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)  # never widens the view
        self.provider_label = QLabel("runs on: –")
        self.provider_label.setFont(style.font(style.LABEL_PT, bold=True))
        self.provider_label.setToolTip("The onnxruntime execution provider that really runs the model.")
        self.message = QLabel()
        self.message.setFont(style.font(style.LABEL_PT))
        self.message.setStyleSheet("color: #b00020;")
        self.message.setWordWrap(True)
        top = QHBoxLayout()
        top.addWidget(self.picker)
        top.addWidget(self.progress)
        top.addWidget(self.summary, 1)
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
        left = QWidget()
        left_box = QVBoxLayout(left)
        left_box.setContentsMargins(0, 0, 0, 0)
        left_box.addWidget(self.table, 1)
        left_box.addLayout(steps)
        left_box.addWidget(self.predictions)

        self.activations = ActivationPanel()
        self.filters = FiltersPanel()
        self.rf_plot = RFGrowthPlot()
        self.tabs = QTabWidget()
        self.tabs.setFont(style.font(style.LABEL_PT))
        self.tabs.addTab(self.activations, "Activations")
        self.tabs.addTab(self.filters, "Filters")
        self.tabs.addTab(self.rf_plot, "Receptive-field growth")
        split = QSplitter(Qt.Orientation.Horizontal)
        self.split = split
        split.addWidget(left)
        split.addWidget(self.tabs)
        split.setStretchFactor(0, 2)
        split.setStretchFactor(1, 5)
        split.setSizes([600, 1200])

        box = QVBoxLayout(self)
        box.setContentsMargins(6, 6, 6, 6)
        box.addLayout(top)
        box.addWidget(self.message)
        box.addWidget(self.strip)
        box.addWidget(split, 1)
        self.message.hide()

        self.picker.model_chosen.connect(self.select_model)
        self.picker.open_requested.connect(self.open_model_dialog)
        self.strip.layer_clicked.connect(self.select_row)
        self.table.selectionModel().currentRowChanged.connect(lambda current, _: self._show_row(current.row()))
        self.prev_button.clicked.connect(lambda: self.step(-1))
        self.next_button.clicked.connect(lambda: self.step(1))
        self.rf_plot.compare_requested.connect(lambda: self.controller.inspect_builtins(list(zoo.BUILTINS)))
        for key, slot in ((Qt.Key.Key_Left, lambda: self.step(-1)), (Qt.Key.Key_Right, lambda: self.step(1)),
                          (Qt.Key.Key_Home, lambda: self.select_row(0)),
                          (Qt.Key.Key_End, lambda: self.select_row(len(self.rows) - 1))):
            shortcut = QShortcut(QKeySequence(key), self)
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            shortcut.activated.connect(slot)

        self.controller.progress.connect(self._on_progress)
        self.controller.model_loaded.connect(self._on_loaded)
        self.controller.result.connect(self._on_result)
        self.controller.failed.connect(self._on_failed)
        self.controller.inspected.connect(self._on_inspected)
        self.controller.provider_changed.connect(self._on_provider)
        if model:
            self.select_model(model)

    # ----- public API (the main window) ----------------------------------------------------------------------
    def set_image(self, image: LoadedImage) -> None:
        self.image = image
        if self._wanted:
            self._request(self._wanted)

    def select_model(self, name_or_path: str) -> None:
        """A built-in name or an .onnx path; the current model stays until the new one has loaded."""
        self._request(str(name_or_path))

    def open_model_file(self, path: str) -> None:
        self.select_model(str(Path(path).resolve()))

    def open_model_dialog(self) -> None:
        recent = self.picker.recent()
        folder = str(Path(recent[0]).parent) if recent else str(Path.home())
        path, _ = QFileDialog.getOpenFileName(self, "Open ONNX model", folder, "ONNX models (*.onnx);;All files (*)")
        if path:
            self.open_model_file(path)

    def has_results(self) -> bool:
        """The activations on screen answer the latest request (current model and image): what a screenshot waits for."""
        latest = self.controller.latest_request
        return self.result is not None and latest is not None and self.result.request_id == latest.id

    def shutdown(self) -> None:
        """Cancel a running inference, stop the worker thread and wait for it (the window is closing)."""
        if self._dialog is not None:
            self._dialog.reject()
        self.controller.shutdown()

    # ----- stepping ------------------------------------------------------------------------------------------
    @property
    def current_row(self) -> int:
        return self.table.current_row()

    def select_row(self, index: int) -> None:
        self.table.select_row(index)

    def step(self, delta: int) -> None:
        self.select_row(max(self.current_row, 0) + delta)

    def _show_row(self, index: int) -> None:
        if not (0 <= index < len(self.rows)):
            return
        row = self.rows[index]
        self.strip.set_current(index)
        self.prev_button.setEnabled(index > 0)
        self.next_button.setEnabled(index < len(self.rows) - 1)
        self.filters.show_filters(row.name, self.loaded.filters.get(row.name) if self.loaded else None)
        if self.result is not None:
            values = row_values(row, index, self.result.activations, self.result.prepared.tensor,
                                self.result.preprocess.layout)
            self.activations.set_layer(row, values)

    # ----- requests and results ------------------------------------------------------------------------------
    def _request(self, model: str) -> None:
        self._wanted = model
        self.controller.request(model, self.image, self._recipes.get(model))

    def _on_progress(self, fraction: float, text: str) -> None:
        self.progress.setVisible(fraction < 1.0)
        self.progress.setValue(int(fraction * 1000))
        self.progress.setFormat(text or "%p%")
        self.progress.setToolTip(text)

    def _on_provider(self, provider: str) -> None:
        self.provider_label.setText(f"runs on: {short_provider(provider)}")
        self.provider_changed.emit(short_provider(provider))

    def _on_loaded(self, loaded: LoadedModel) -> None:
        previous = self.loaded
        self.loaded = loaded
        self.result = None
        self.progress.hide()
        self.message.hide()
        self.rows = rows_of(loaded.info)
        self.table.set_rows(self.rows)
        # Give the table the width its columns need (at most 45 %); the activations get the rest.
        total = sum(self.split.sizes())
        left = min(self.table.content_width(), int(0.45 * total))
        self.split.setSizes([left, total - left])
        self.strip.set_rows(self.rows)
        self.activations.clear()
        self.predictions.clear()
        if not loaded.builtin:
            self.picker.add_recent(loaded.key)  # first, so the picker has an entry to show
        self.picker.set_current(loaded.key, loaded.weights)
        self.rf_plot.set_current(loaded.title, loaded.info)
        info = loaded.info
        self.summary.setText(f"{loaded.title}: {len(info.layers)} layers, {compact(info.params)} parameters, "
                             f"{compact(info.macs)} multiply-adds per image")
        if loaded.provider_note and loaded.provider_note not in self._notes_shown:
            self._notes_shown.add(loaded.provider_note)  # say it once, not on every model switch
            self.provider_note.emit(loaded.provider_note)
        # Stay on the same layer when reloading the same network, else start at the first layer after the input.
        same = previous is not None and previous.key == loaded.key
        self.select_row(min(self.current_row, len(self.rows) - 1) if same else 1)
        if loaded.preprocess is None and loaded.key not in self._recipes:
            self._ask_recipe(loaded)

    def _ask_recipe(self, loaded: LoadedModel) -> None:
        recipe = preprocess_dialog.remembered(self.settings, loaded.key)
        if recipe is not None:
            self._use_recipe(loaded.key, recipe)
            return
        guess, note = preprocess.default_for_input(loaded.info.input_shape)
        self._use_recipe(loaded.key, guess)  # show something at once; the dialog refines it
        self.status_message.emit(note)
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
            self._show_error(str(exc))
            return
        preprocess_dialog.remember(self.settings, key, recipe)
        self._use_recipe(key, recipe)

    def _use_recipe(self, key: str, recipe: preprocess.Preprocess) -> None:
        self._recipes[key] = recipe
        if self._wanted == key and self.image is not None:
            self._request(key)

    def _on_result(self, result: RunResult) -> None:
        if self.loaded is None or result.model_key != self.loaded.key:
            return
        self.result = result
        self.activations.set_input(result.prepared)
        self._show_row(self.current_row)
        self.predictions.show_output(result.activations.output, self.loaded.labels, self.loaded.weights)
        self.summary.setText(f"{self.loaded.title}: {result.run_ms:.0f} ms onnxruntime, "
                             f"{result.total_ms:.0f} ms in all")
        self.result_shown.emit(result.request_id)

    def _on_failed(self, message: str) -> None:
        self._show_error(message)
        self.progress.hide()
        if self.loaded is not None and self._wanted != self.loaded.key:
            # The new model could not be loaded: keep the current one, and show the latest image with it.
            self.picker.set_current(self.loaded.key, self.loaded.weights)
            self._request(self.loaded.key)

    def _show_error(self, message: str) -> None:
        self.message.setText(message)
        self.message.show()
        self.status_message.emit(message)

    def _on_inspected(self, name: str, info) -> None:
        self.rf_plot.add_builtin(zoo.BUILTINS[name].title, info)
