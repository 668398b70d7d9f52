"""What the network looks at: a class map (core.explain) over the user's image, with its controls.

Every control writes ``state.explorer.explain_*``; the panel runs ``tasks.explain_image`` (kind "explain") for the
current (model, image, method, layer, class, occlusion settings) only while it is shown, so a hidden panel burns no
CPU and a newer request cancels the older run. Finished maps go into a small LRU keyed by that request, so switching
back to a method, class or image is instant. The heat is coloured on the task's thread and laid over the image with
the chosen opacity by Qt, which blends exactly as ``core.explain.overlay`` (what Export writes) does.
"""
from __future__ import annotations

from collections import OrderedDict
from pathlib import Path

import pyqtgraph as pg
from PySide6.QtCore import QEvent, QRectF, Qt
from PySide6.QtWidgets import (
    QBoxLayout,
    QComboBox,
    QFileDialog,
    QFrame,
    QGridLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QSlider,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from explorer.core import explain, render
from explorer.core.errors import UserError
from explorer.core.images import LoadedImage
from explorer.state.app import AppState
from explorer.state.batch import batched
from explorer.ui import style
from explorer.ui.binding import bind, connect
from explorer.ui.model_explorer.activation_panel import _image_box
from explorer.ui.raster import RasterItem
from explorer.workers import tasks
from explorer.workers.runner import TaskRunner
from explorer.workers.tasks import Explained, LoadedModel

KIND = "explain"
TOPIC = "explorer"
CACHE_BYTES = 256 << 20     # a map is 4 bytes per image pixel (plus its colours): a few 12-megapixel photos
RANDOM_BADGE = "random initialisation"
# Every frame would start a map that takes tens to hundreds of runs; the video then crawled at the map's pace
# (AlexNet, Ablation-CAM: one frame a second). As for the measured effective field: pause, then explain.
LIVE = "Pause the video or camera (K) to explain the frame on screen: a map takes up to hundreds of runs."
TITLES = {"occlusion": "Occlusion", "score-cam": "Score-CAM", "ablation-cam": "Ablation-CAM",
          "eigen-cam": "Eigen-CAM"}
TIPS = {"occlusion": "Grey out one patch at a time and record how much the class score drops (many passes).",
        "score-cam": "Mask the image with each channel of the layer; weigh channels by the class probability.",
        "ablation-cam": "Switch each channel of the layer off and record the drop of the class score.",
        "eigen-cam": "The first principal component of the layer's channels (one pass; ignores the class)."}
FILL_TITLES = {"mean": "mean colour", "blur": "blurred image", "zero": "black"}


def request_of(state: AppState, loaded: LoadedModel, image: LoadedImage) -> tuple:
    """What a map depends on (the cache key): model and weights, the image, method, layer, class, occlusion."""
    ex = state.explorer
    occlusion = ex.explain_method == "occlusion"
    return (loaded.key, loaded.facts.weights_text, id(image), ex.explain_method,
            None if occlusion else ex.explain_layer, ex.explain_class,
            (ex.explain_patch, ex.explain_stride, ex.explain_fill) if occlusion else None)


def _size(value: Explained) -> int:
    e = value.explanation
    return e.heat.nbytes + e.input_heat.nbytes + value.colours.nbytes


class ResultCache:
    """Least recently used explanations within ``budget`` bytes (the newest one is always kept)."""

    def __init__(self, budget: int = CACHE_BYTES) -> None:
        self.budget = budget
        self._items: OrderedDict[tuple, Explained] = OrderedDict()

    def get(self, request: tuple, image: LoadedImage) -> Explained | None:
        value = self._items.get(request)
        if value is None or value.image is not image:  # the id of a dropped image may be reused
            return None
        self._items.move_to_end(request)
        return value

    def put(self, value: Explained) -> None:
        self._items[value.request] = value
        self._items.move_to_end(value.request)
        while len(self._items) > 1 and sum(map(_size, self._items.values())) > self.budget:
            self._items.popitem(last=False)


QWIDGETSIZE_MAX = (1 << 24) - 1  # Qt's "no maximum" (not exported by PySide6)


def _label(text: str) -> QLabel:
    label = QLabel(text)
    label.setFont(style.font(style.LABEL_PT))
    return label


class ExplainPanel(QWidget):
    def __init__(self, state: AppState, runner: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state, self.runner = state, runner
        self.cache = ResultCache()
        self._pending: tuple | None = None   # the request the running task answers
        self._failed: tuple | None = None    # not retried until the request changes
        # (model key, weights) -> (layers with a spatial map, the default one, classes) from its first map
        self._choices: dict[tuple, tuple[tuple[str, ...], str | None, int]] = {}
        self._painted: LoadedImage | None = None  # the picture under the heat (uploaded once per image)
        self._heat: Explained | None = None        # the map over it
        self._build()
        self._bind()

    # ----- widgets ---------------------------------------------------------------------------------------------
    def _build(self) -> None:
        self.method = QComboBox()
        for method in explain.METHODS:
            self.method.addItem(TITLES[method], method)
            self.method.setItemData(self.method.count() - 1, TIPS[method], Qt.ItemDataRole.ToolTipRole)
        self.layer = QComboBox()
        self.layer.setToolTip("The layer whose channels the CAM methods weigh (occlusion works on the image).")
        self.klass = QComboBox()
        self.klass.setToolTip("The class whose evidence is shown.")
        for widget in (self.method, self.layer, self.klass):  # long names must not widen the window
            widget.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            widget.setMinimumContentsLength(14)
        self.patch, self.stride = QSpinBox(), QSpinBox()
        for spin, tip in ((self.patch, "Occlusion patch, in pixels of the model input"),
                          (self.stride, "Steps between patches, in pixels of the model input")):
            spin.setRange(0, 1024)
            spin.setSpecialValueText("auto")
            spin.setKeyboardTracking(False)  # typing 16 asks for one map, not for 1 then 16
            spin.setToolTip(tip)
        self.fill = QComboBox()
        for fill in explain.FILLS:
            self.fill.addItem(FILL_TITLES[fill], fill)
        self.fill.setToolTip("What an occluded patch is filled with.")
        self.opacity = QSlider(Qt.Orientation.Horizontal)
        self.opacity.setRange(0, 100)
        self.opacity.setToolTip("Opacity of the heat map over the image")
        self.export = QPushButton("Export PNG…")
        self.export.setToolTip("Save the image with the heat map on top, at the image's size, as shown.")
        self.export.clicked.connect(self._export_dialog)
        # (title, control) in reading order: two pairs to a row above the map, one beside it (_arrange)
        self.pairs = [(_label(title), widget) for title, widget in (
            ("Method", self.method), ("Layer", self.layer), ("Class", self.klass), ("Opacity", self.opacity),
            ("Patch", self.patch), ("Stride", self.stride), ("Fill", self.fill))]
        for widget in (self.method, self.layer, self.klass, self.patch, self.stride, self.fill, self.export):
            widget.setFont(style.font(style.LABEL_PT))
        self.grid = QGridLayout()
        self.pairs_per_row = 0
        self._place_pairs(2)  # two columns of pairs: the panel shares a 1024 px window with the layer table

        self.note = _label("")
        self.note.setWordWrap(True)
        self.note.setStyleSheet("color: #b35900; font-weight: bold;")  # the badge's colour for random weights
        self.note.hide()
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setFont(style.font(style.LABEL_PT))
        self.progress.hide()
        self.view = pg.GraphicsLayoutWidget()
        self.plot, self.image_item = _image_box("")
        self.heat_item = RasterItem()
        self.heat_item.setZValue(5)
        self.plot.addItem(self.heat_item)
        self.view.addItem(self.plot)
        self.caption = _label("")
        self.caption.setWordWrap(True)
        self.caption.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        inner = QWidget()
        self.column = QVBoxLayout(inner)  # the controls, and beside the map the texts too
        self.column.setContentsMargins(0, 0, 0, 0)
        self.column.addLayout(self.grid)
        self.column.addStretch(1)
        self.controls = QScrollArea()  # it scrolls only beside the map, when the panel is shorter than its column
        self.controls.setWidget(inner)
        inner.installEventFilter(self)  # new hints (a zoom, a longer note): the column's size follows
        self.controls.setWidgetResizable(True)
        self.controls.setFrameShape(QFrame.Shape.NoFrame)
        self.controls.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.shown = QVBoxLayout()  # the map, and above it the texts too
        self.shown.addWidget(self.view, 1)
        self.box = QBoxLayout(QBoxLayout.Direction.TopToBottom, self)
        self.box.setContentsMargins(0, 0, 0, 0)
        self.box.addWidget(self.controls)
        self.box.addLayout(self.shown, 1)
        self.beside = True
        self._place(beside=False)

    def _place_pairs(self, per_row: int) -> None:
        """The controls ``per_row`` pairs to a row, Export under the last; the controls take the spare width."""
        if per_row == self.pairs_per_row:
            return
        self.pairs_per_row = per_row
        for widget in (*(w for pair in self.pairs for w in pair), self.export):
            self.grid.removeWidget(widget)
        for i, (label, widget) in enumerate(self.pairs):
            row, col = divmod(i, per_row)
            self.grid.addWidget(label, row, 2 * col)
            self.grid.addWidget(widget, row, 2 * col + 1)
        last = len(self.pairs)
        self.grid.addWidget(self.export, last // per_row, 2 * (last % per_row) + 1)
        for col in range(4):
            self.grid.setColumnStretch(col, 1 if col % 2 and col // 2 < per_row else 0)

    def _place(self, beside: bool) -> None:
        """Above the map: two pairs to a row, the texts between the controls and the map, the caption under it.
        Beside it: one pair to a row with the texts under them in a column that scrolls, the map the full height."""
        if beside == self.beside:
            return
        self.beside = beside
        self._place_pairs(1 if beside else 2)
        for widget in (self.note, self.progress, self.caption):
            (self.shown if beside else self.column).removeWidget(widget)
        if beside:
            for i, widget in enumerate((self.note, self.progress, self.caption)):
                self.column.insertWidget(1 + i, widget)
        else:
            self.shown.insertWidget(0, self.note)
            self.shown.insertWidget(1, self.progress)
            self.shown.addWidget(self.caption)
        self._fit_controls()
        self.box.setDirection(QBoxLayout.Direction.LeftToRight if beside else QBoxLayout.Direction.TopToBottom)

    def _fit_controls(self) -> None:
        inner = self.controls.widget()
        if self.beside:  # the pairs' least width and a scroll bar's; the panel's height
            self.controls.setFixedWidth(inner.minimumSizeHint().width()
                                        + self.controls.verticalScrollBar().sizeHint().width())
            self.controls.setMinimumHeight(0)
            self.controls.setMaximumHeight(QWIDGETSIZE_MAX)
        else:            # the pairs' height: it never scrolls
            self.controls.setMinimumWidth(0)
            self.controls.setMaximumWidth(QWIDGETSIZE_MAX)
            self.controls.setFixedHeight(inner.sizeHint().height())

    def eventFilter(self, watched, event) -> bool:  # noqa: N802 (Qt naming)
        if watched is self.controls.widget() and event.type() == QEvent.Type.LayoutRequest:
            self._fit_controls()
        return super().eventFilter(watched, event)

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt naming)
        super().resizeEvent(event)
        self._arrange()

    def _arrange(self) -> None:
        """The controls above the map or beside it, whichever leaves the map the larger square: on a 720 px
        projector at zoom 1.5 the panel is ~865×335 px, and under the controls, the random-weights note and the
        caption the map was ~65 px tall."""
        pairs = [pair for pair in self.pairs if not pair[1].isHidden()]  # occlusion's own only for occlusion
        row = max(w.sizeHint().height() for pair in pairs for w in pair) + self.grid.verticalSpacing()
        pair = (max(label.sizeHint().width() for label, _ in pairs)
                + max(widget.minimumSizeHint().width() for _, widget in pairs)
                + 2 * self.grid.horizontalSpacing() + self.controls.verticalScrollBar().sizeHint().width())
        texts = sum(w.sizeHint().height() for w in (self.note, self.progress, self.caption) if not w.isHidden())
        rows_above = -(-(len(pairs) + 1) // 2)
        above = min(self.width(), self.height() - rows_above * row - texts)
        beside = min(self.width() - pair, self.height())
        self._place(beside > above)

    def _bind(self) -> None:
        ex, events = self.state.explorer, self.state.explorer.events

        def combo(widget: QComboBox, signal, name: str) -> None:
            bind(widget, signal, lambda: widget.setCurrentIndex(max(widget.findData(getattr(ex, name)), 0)),
                 widget.activated, lambda i: setattr(ex, name, widget.itemData(i)))

        combo(self.method, events.explain_method, "explain_method")
        combo(self.fill, events.explain_fill, "explain_fill")
        bind(self.patch, events.explain_patch, lambda: self.patch.setValue(ex.explain_patch),
             self.patch.valueChanged, lambda v: setattr(ex, "explain_patch", v))
        bind(self.stride, events.explain_stride, lambda: self.stride.setValue(ex.explain_stride),
             self.stride.valueChanged, lambda v: setattr(ex, "explain_stride", v))
        bind(self.opacity, events.explain_opacity, self._show_opacity, self.opacity.valueChanged,
             lambda v: setattr(ex, "explain_opacity", v / 100))
        self.layer.activated.connect(lambda i: setattr(ex, "explain_layer", self.layer.itemData(i)))
        self.klass.activated.connect(lambda i: setattr(ex, "explain_class", self.klass.itemData(i)))
        for signal in (events.explain_method, events.explain_layer, events.explain_class, events.explain_patch,
                       events.explain_stride, events.explain_fill, events.model, events.loaded,
                       self.state.image.events.image, self.state.image.events.photo, self.state.live.events.playing):
            connect(self, signal, self._changed)
        connect(self, events.explanation, self._show)
        connect(self, events.explain_progress, self._show_progress)
        connect(self, events.explain_text, self._show_progress)
        self._show()

    # ----- what is due -----------------------------------------------------------------------------------------
    def _changed(self, *_) -> None:
        self._reconcile()
        self._show()

    def _request(self) -> tuple | None:
        loaded, image = self.state.explorer.shown_model(), self.state.image.model_input()
        return None if loaded is None or image is None else request_of(self.state, loaded, image)

    def _reconcile(self) -> None:
        """Show a cached map at once, else compute the current request, but only while the panel is shown."""
        ex, request = self.state.explorer, self._request()
        if request is None or not self.isVisible():
            self._stop()
            return
        if self.state.live.playing:
            self._stop()
            self._progress(1.0, LIVE)
            return
        image = self.state.image.model_input()
        if self._answers(ex.explanation, request):
            return
        cached = self.cache.get(request, image)
        if cached is not None:
            self._stop()
            ex.explanation = cached
            return
        if request == self._failed or (self.runner.is_busy(KIND) and request == self._pending):
            return
        self._submit(request, ex.shown_model(), image)

    def _answers(self, value: Explained | None, request: tuple | None) -> bool:
        return (value is not None and request is not None and value.request == request
                and value.image is self.state.image.model_input())

    def _submit(self, request: tuple, loaded: LoadedModel, image: LoadedImage) -> None:
        ex = self.state.explorer
        self._pending, self._failed = request, None
        options = ({"patch": ex.explain_patch or None, "stride": ex.explain_stride or None,
                    "fill": ex.explain_fill} if ex.explain_method == "occlusion" else {})
        self.runner.submit(KIND, tasks.explain_image, loaded.explainer, request, image, ex.explain_method,
                           ex.explain_layer, ex.explain_class, options, on_done=self._done,
                           on_error=lambda message: self._failed_with(request, message),
                           on_progress=self._progress)
        with batched(ex.events):
            ex.explain_progress, ex.explain_text = 0.0, f"{TITLES[ex.explain_method]}…"

    def _stop(self) -> None:
        if self.runner.is_busy(KIND):
            self.runner.cancel(KIND)
            self._progress(1.0, "")

    def _done(self, value: Explained) -> None:
        self.cache.put(value)
        self._choices[value.request[:2]] = (value.layers, value.default_layer, value.classes)
        ex = self.state.explorer
        with batched(ex.events):
            ex.explain_progress, ex.explain_text = 1.0, ""
            ex.explanation = value

    def _failed_with(self, request: tuple, message: str) -> None:
        self._failed = request
        self._progress(1.0, message)
        self.state.status.show(message, error=True, topic=TOPIC)

    def _progress(self, fraction: float, text: str) -> None:
        ex = self.state.explorer
        with batched(ex.events):
            ex.explain_progress, ex.explain_text = fraction, text

    def showEvent(self, event) -> None:  # noqa: N802 (Qt naming)
        super().showEvent(event)
        self._changed()

    def hideEvent(self, event) -> None:  # noqa: N802
        super().hideEvent(event)
        self._stop()

    # ----- painting --------------------------------------------------------------------------------------------
    def current(self) -> Explained | None:
        """The explanation in the state when it answers what the controls and the image say now."""
        value = self.state.explorer.explanation
        return value if self._answers(value, self._request()) else None

    def _show(self, *_) -> None:
        if not self.isVisible():
            return  # showEvent paints
        ex, loaded = self.state.explorer, self.state.explorer.shown_model()
        self._show_choices(loaded)
        occlusion = ex.explain_method == "occlusion"
        self.layer.setEnabled(not occlusion)
        self.klass.setEnabled(ex.explain_method != "eigen-cam")
        for pair in self.pairs:  # occlusion's own settings: hidden for the CAM methods (the map gets their rows)
            if pair[1] in (self.patch, self.stride, self.fill):
                for widget in pair:
                    widget.setVisible(occlusion)
        random = loaded is not None and loaded.facts.badge == RANDOM_BADGE
        self.note.setText(explain.RANDOM_NOTE if random else "")
        self.note.setVisible(random)
        self._arrange()  # fewer rows or another note may now leave the map the larger square elsewhere
        image = self.state.image.model_input()
        if image is not self._painted:
            self._painted = image
            if image is None:
                self.image_item.clear()
            else:
                self.image_item.setImage(image.pixels, autoLevels=False, levels=(0, 255))
                self.plot.getViewBox().setRange(QRectF(0, 0, image.pixels.shape[1], image.pixels.shape[0]),
                                                padding=0.01)
        value = self.current()
        self.export.setEnabled(value is not None)
        if value is not self._heat:
            self._heat = value
            if value is None:
                self.heat_item.clear()
            else:
                self.heat_item.setImage(value.colours, autoLevels=False, levels=(0, 255))
        self.heat_item.setVisible(value is not None)
        self._show_caption()

    def _show_caption(self) -> None:
        ex, value = self.state.explorer, self.current()
        if value is not None:
            text = caption(value, ex.shown_model().labels)
        elif ex.explain_progress >= 1.0 and ex.explain_text:
            text = ex.explain_text  # why there is no map
        else:
            text = "" if ex.shown_model() is not None else "Choose a model to see what it looks at."
        self.caption.setText(text)

    def _show_choices(self, loaded: LoadedModel | None) -> None:
        """Layer and class lists of the model shown (known once it has explained one image)."""
        ex = self.state.explorer
        layers, default, classes = self._choices.get((loaded.key, loaded.facts.weights_text), ((), None, 0)) \
            if loaded is not None else ((), None, 0)
        labels = loaded.labels if loaded is not None else None
        for widget, items, chosen in (
                (self.layer, [(f"last with a spatial map{f' ({default})' if default else ''}", "")]
                 + [(name, name) for name in layers], ex.explain_layer),
                (self.klass, [("top prediction", None)]
                 + [(class_text(k, labels), k) for k in range(classes)], ex.explain_class)):
            blocked = widget.blockSignals(True)
            if [widget.itemData(i) for i in range(widget.count())] != [data for _, data in items]:
                widget.clear()
                for text, data in items:
                    widget.addItem(text, data)
            widget.setCurrentIndex(max(widget.findData(chosen), 0))
            widget.blockSignals(blocked)

    def _show_opacity(self) -> None:
        opacity = self.state.explorer.explain_opacity
        self.opacity.setValue(round(opacity * 100))
        self.heat_item.setOpacity(opacity)

    def _show_progress(self, *_) -> None:
        ex = self.state.explorer
        busy = ex.explain_progress < 1.0
        self.progress.setVisible(busy)
        self.progress.setValue(int(ex.explain_progress * 1000))
        self.progress.setFormat(ex.explain_text or "%p%")
        self._show_caption()

    # ----- export ----------------------------------------------------------------------------------------------
    def export_png(self, path: str | Path) -> bool:
        """The image with the heat on top at the shown opacity (core.explain.overlay), at the image's size."""
        value = self.current()
        if value is None:
            self.state.status.show("Nothing to export yet: wait for the map.", error=True, topic=TOPIC)
            return False
        try:
            render.write_png(path, explain.overlay(value.image, value.explanation.heat,
                                                   self.state.explorer.explain_opacity))
        except UserError as exc:
            self.state.status.show(str(exc), error=True, topic=TOPIC)
            return False
        self.state.status.show(f"Saved the {TITLES[value.explanation.method]} overlay to {path}.", topic=TOPIC)
        return True

    def _export_dialog(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export the heat map", "explanation.png", "PNG (*.png)")
        if path:
            self.export_png(path)


def class_text(index: int, labels: list[str] | None) -> str:
    """A class as its index and, where the model has labels that say more than the index, its name."""
    return f"{index} “{labels[index]}”" if labels and index < len(labels) and labels[index] != str(index) \
        else str(index)


def caption(value: Explained, labels: list[str] | None) -> str:
    """What the map shows: method, layer, class (and whether it is the model's top prediction), cost."""
    e = value.explanation
    name = lambda k: class_text(k, labels)  # noqa: E731
    where = "" if e.layer is None else f" at {e.layer}"
    top = "the top prediction" if e.class_index == e.top_class else f"the top prediction is {name(e.top_class)}"
    which = ("(Eigen-CAM shows the layer's main pattern whatever the class)" if e.method == "eigen-cam"
             else f"for class {name(e.class_index)} ({top}, logit {e.score:.3g})")
    head = f" + {e.head_passes} of the layers after {e.layer}" if e.head_passes else ""
    passes = f"{e.passes} forward pass{'' if e.passes == 1 else 'es'}"
    return f"{TITLES[e.method]}{where} {which} · {passes}{head} · {e.seconds:.2f} s"
