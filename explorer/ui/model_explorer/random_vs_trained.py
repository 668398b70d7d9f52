"""Random vs trained: one architecture with random and with trained weights, side by side — conv1's filters
and one chosen convolution's activations on the current image.

Follows the explorer's chosen model (its architecture, core/random_vs_trained.pair) and works only while its tab
is shown: loading both networks (``compare-load``: tasks.load_pair, reusing the explorer's loaded model) and
running them (``compare-run``: tasks.compare_run) go through the TaskRunner; results go into ``state.random_vs_trained``.
A trained file that is not downloaded yet is said so, with the explorer's Download.
"""
from __future__ import annotations

from collections.abc import Callable

import pyqtgraph as pg
from PySide6.QtCore import QRectF, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from explorer.core import catalog
from explorer.core import mosaic as core_mosaic
from explorer.core import render
from explorer.core.images import LoadedImage
from explorer.core.random_vs_trained import Pair, conv_layers, pair
from explorer.state.app import AppState
from explorer.state.batch import batched
from explorer.ui import style
from explorer.ui.model_explorer import readouts
from explorer.ui.model_explorer.activation_panel import _image_box
from explorer.ui.model_explorer.filters_panel import filters_rgb
from explorer.workers import tasks
from explorer.workers.runner import TaskRunner
from explorer.workers.tasks import ComparedSide, Comparison

PANEL = "random-vs-trained"
LOAD, RUN = "compare-load", "compare-run"
TOPIC = "compare"


def answers(result: Comparison | None, keys: tuple[str, str], image: LoadedImage, index: int) -> bool:
    """The comparison was computed for this pair, on exactly this image, at this layer."""
    return result is not None and result.keys == keys and result.image is image and result.index == index


class SideView(QWidget):
    """One network: its title and badge, conv1's filters above, the chosen layer's channels below."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = QLabel()
        self.title.setFont(style.font(style.TITLE_PT, bold=True))
        self.title.setWordWrap(True)
        self.title.setMinimumHeight(2 * self.title.fontMetrics().lineSpacing())  # both sides' pictures level
        self.view = pg.GraphicsLayoutWidget()
        self.filters_plot, self.filters_item = _image_box("conv1 filters")
        self.maps_plot, self.maps_item = _image_box("Activations")
        self.view.addItem(self.filters_plot, row=0, col=0)
        self.view.addItem(self.maps_plot, row=1, col=0)
        box = QVBoxLayout(self)
        box.setContentsMargins(0, 0, 0, 0)
        box.addWidget(self.title)
        box.addWidget(self.view, 1)

    def clear(self, title: str = "") -> None:
        self.title.setText(title)
        self.title.setStyleSheet("")
        self.filters_item.clear()
        self.maps_item.clear()
        self.filters_plot.setTitle("conv1 filters")
        self.maps_plot.setTitle("Activations")

    def show_side(self, side: ComparedSide) -> None:
        colour = readouts.BADGE_COLOURS.get(side.badge, readouts.GREY)
        self.title.setText(f"{side.title} — {side.badge}")
        self.title.setStyleSheet(f"color: {colour};")
        if side.first_filters is not None:
            rgb = filters_rgb(side.first_filters)
            self.filters_item.setImage(rgb, autoLevels=False, levels=(0, 255))
            self.filters_plot.getViewBox().setRange(QRectF(0, 0, rgb.shape[1], rgb.shape[0]), padding=0.01)
            self.filters_plot.setTitle(f"conv1: {side.first_filters.weights.shape[0]} filters")
        if side.activation is None or side.activation.ndim != 3:
            self.maps_item.clear()
            self.maps_plot.setTitle(f"{side.layer or 'this layer'}: not a feature map here")
            return
        m = core_mosaic.channel_mosaic(side.activation, normalize="channel")
        self.maps_item.setImage(render.unit_to_rgb32(m.image, m.mask), autoLevels=False)
        self.maps_plot.getViewBox().setRange(QRectF(0, 0, m.image.shape[1], m.image.shape[0]), padding=0.01)
        c, h, w = side.activation.shape
        self.maps_plot.setTitle(f"{side.layer}: {c} channels, {h}×{w}")


class RandomVsTrainedPanel(QWidget):
    download_requested = Signal(str)   # the trained entry's key

    def __init__(self, state: AppState, runner: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state, self.runner = state, runner
        self._pair: Pair | None = None
        self._failed_load: tuple[str, str] | None = None   # a pair that failed to load: not retried by itself
        self._failed_run: tuple | None = None               # (keys, image, index) of a run that failed
        self._bindings: list[tuple[object, Callable]] = []
        self.note = QLabel()
        self.note.setFont(style.font(style.LABEL_PT))
        self.note.setWordWrap(True)
        self.layer = QComboBox()
        self.layer.setFont(style.font(style.LABEL_PT))
        self.layer.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.layer.setEnabled(False)  # until both networks have loaded
        self.layer.setToolTip("The convolution to compare, counted in the same order in both networks.")
        self.download_button = QPushButton("Download")
        self.download_button.setFont(style.font(style.LABEL_PT))
        self.download_button.hide()
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.hide()
        controls = QHBoxLayout()
        label = QLabel("Layer:")
        label.setFont(style.font(style.LABEL_PT, bold=True))
        controls.addWidget(label)
        controls.addWidget(self.layer)
        controls.addWidget(self.download_button)
        controls.addWidget(self.progress)
        controls.addStretch(1)
        self.random_side, self.trained_side = SideView(), SideView()
        sides = QGridLayout()
        sides.addWidget(self.random_side, 0, 0)
        sides.addWidget(self.trained_side, 0, 1)
        box = QVBoxLayout(self)
        box.setContentsMargins(0, 0, 0, 0)
        box.addLayout(controls)
        box.addWidget(self.note)
        box.addLayout(sides, 1)

        self.layer.activated.connect(lambda index: setattr(self.state.random_vs_trained, "layer", index))
        self.download_button.clicked.connect(lambda: self.download_requested.emit(self._pair.trained.key))
        ex, cmp, image = self.state.explorer.events, self.state.random_vs_trained.events, self.state.image.events
        for signal, slot in ((ex.model, self.refresh), (ex.panel, self.refresh), (ex.loaded, self.refresh),
                             (image.image, self._image_changed), (image.photo, self._image_changed),
                             (cmp.layer, self.refresh),
                             (cmp.layer, lambda *_: self.layer.setCurrentIndex(self.state.random_vs_trained.layer)),
                             (cmp.loaded, self._show_layers), (cmp.result, self._show_result),
                             (cmp.progress, self._show_progress)):
            signal.connect(slot)
            self._bindings.append((signal, slot))
        self.refresh()

    def shutdown(self) -> None:
        for signal, slot in self._bindings:
            signal.disconnect(slot)
        self._bindings.clear()

    # ----- what is due -----------------------------------------------------------------------------------------
    def refresh(self, *_: object) -> None:
        """Say what can be compared and submit the load or run that is due (only while this tab is shown)."""
        cmp = self.state.random_vs_trained
        before, self._pair = self._pair, pair(self.state.explorer.model)
        if (before and before.keys) != (self._pair and self._pair.keys):
            self._failed_load = self._failed_run = None  # another pair: its own first try
        if self._pair is None:
            self._say("Random vs trained needs an architecture the catalog has both ways: "
                      f"{', '.join(e.title.split(' (')[0] for e in catalog.TRAINED)}. Choose one of them above.")
            return
        missing = not catalog.is_available(self._pair.trained)
        self.download_button.setVisible(missing and not self.runner.is_busy("download"))
        if missing:
            w = self._pair.trained.weights
            self._say(f"The trained {self._pair.random.title} is not on this machine yet: Download fetches "
                      f"{w.size / 1e6:.0f} MB ({self._pair.trained.licence}), or open the zoo file {w.file}.")
            return
        if self.state.explorer.panel != PANEL:
            return  # two networks are loaded only when someone looks
        if not self._answers_pair(cmp.loaded):
            self._submit_load()
            return
        image = self.state.image.model_input()
        if image is None:
            self._say("No image yet: open one (Ctrl+O) or pick a sample.")
            return
        if not (answers(cmp.result, self._pair.keys, image, cmp.layer)
                or answers(self._failed_run, self._pair.keys, image, cmp.layer) or self.runner.is_busy(RUN)):
            self._submit_run(image, cmp.layer)

    def _image_changed(self, *_: object) -> None:
        """A new picture matters only while this panel is open (the others get a new frame 30 times a second while
        a video plays, and refresh's file checks cost a millisecond each)."""
        if self.state.explorer.panel == PANEL:
            self.refresh()

    def _answers_pair(self, loaded: object) -> bool:
        return loaded is not None and tuple(m.key for m in loaded) == self._pair.keys

    def _say(self, text: str) -> None:
        self.note.setText(text)
        self.note.setVisible(bool(text))
        cmp = self.state.random_vs_trained
        if cmp.loaded is not None and (self._pair is None or not self._answers_pair(cmp.loaded)):
            with batched(cmp.events):  # another architecture: let the old pair go (two VGG-16s are 1 GB)
                cmp.loaded, cmp.result = None, None

    def _submit_load(self) -> None:
        keys = self._pair.keys
        if self.runner.is_busy(LOAD) or self._failed_load == keys:
            return
        have = tuple(m for m in (self.state.explorer.shown_model(),) if m is not None)
        self._say(f"Loading {self._pair.random.title} with random and with trained weights…")
        self._progress(0.0, "Loading both networks…")
        self.runner.submit(LOAD, tasks.load_pair, keys, have, on_done=self._loaded,
                           on_error=lambda message: self._load_failed(keys, message), on_progress=self._progress)

    def _loaded(self, loaded: tuple) -> None:
        self._progress(1.0, "")
        self.state.random_vs_trained.loaded = loaded
        self.refresh()

    def _submit_run(self, image: LoadedImage, index: int) -> None:
        self._say("")
        request = Comparison(self._pair.keys, image, index, ())
        self.runner.submit(RUN, tasks.compare_run, self.state.random_vs_trained.loaded, image, index,
                           on_done=self._ran, on_error=lambda message: self._run_failed(request, message),
                           on_progress=self._progress)

    def _ran(self, result: Comparison) -> None:
        self._progress(1.0, "")
        self.state.random_vs_trained.result = result
        self.refresh()  # the image or the layer may have changed meanwhile

    def _load_failed(self, keys: tuple[str, str], message: str) -> None:
        self._failed_load = keys
        self._show_failure(message)

    def _run_failed(self, request: Comparison, message: str) -> None:
        self._failed_run = request
        self._show_failure(message)

    def _show_failure(self, message: str) -> None:
        self._progress(1.0, "")
        self._say(message)
        self.state.status.show(message, error=True, topic=TOPIC)

    def _progress(self, fraction: float, text: str) -> None:
        cmp = self.state.random_vs_trained
        with batched(cmp.events):
            cmp.progress, cmp.progress_text = fraction, text

    # ----- state -> widgets ------------------------------------------------------------------------------------
    def _show_layers(self) -> None:
        loaded = self.state.random_vs_trained.loaded
        self.layer.clear()
        self.layer.setEnabled(loaded is not None)
        if loaded is None:
            return
        for i, conv in enumerate(conv_layers(loaded[0].info)):
            self.layer.addItem(f"{i + 1}. {conv.name} ({conv.channels} channels)")
        self.layer.setCurrentIndex(min(self.state.random_vs_trained.layer, self.layer.count() - 1))

    def _show_result(self) -> None:
        result = self.state.random_vs_trained.result
        if result is None:
            self.random_side.clear()
            self.trained_side.clear()
            return
        self.random_side.show_side(result.sides[0])
        self.trained_side.show_side(result.sides[1])

    def _show_progress(self) -> None:
        cmp = self.state.random_vs_trained
        self.progress.setVisible(cmp.progress < 1.0)
        self.progress.setValue(int(cmp.progress * 1000))
        self.progress.setFormat(cmp.progress_text or "%p%")
