"""The MNIST tab: draw a digit and watch both networks read it, browse the held-out digits, compare LeNet-5 with
a fully connected network, and do the lecture's weight arithmetic.

Bound to ``AppState.mnist``: the pad, digit number and shift write intent; predictions, curves and loading run
on the task runner; the preview, bars and pad are painted from the prediction that answers the current request,
so the bars never read a digit the pad does not show. The digit both networks read is also handed to the Model
Explorer (as the models' input) while this tab is shown.
"""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import (
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from explorer.core import images, mnist
from explorer.state.app import AppState
from explorer.state.mnist import PAGES
from explorer.ui import style
from explorer.ui.binding import bind, connect
from explorer.ui.mnist.calculator import WeightCalculator
from explorer.ui.mnist.comparison_view import ComparisonView
from explorer.ui.mnist.digit_pad import DigitPad
from explorer.ui.mnist.predictions import PredictionBars
from explorer.workers import tasks
from explorer.workers.runner import TaskRunner

THROTTLE_MS = 30     # at most one live prediction per 30 ms while the pen moves
PREVIEW_ZOOM = 6


def _pixmap(digit: np.ndarray, zoom: int = PREVIEW_ZOOM) -> QPixmap:
    digit = np.ascontiguousarray(digit, np.uint8)
    h, w = digit.shape
    image = QImage(digit.data, w, h, w, QImage.Format.Format_Grayscale8).copy()
    return QPixmap.fromImage(image).scaled(w * zoom, h * zoom, Qt.AspectRatioMode.KeepAspectRatio,
                                           Qt.TransformationMode.FastTransformation)


class MnistView(QWidget):
    def __init__(self, app: AppState, runner: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.app = app
        self.state = app.mnist
        self.runner = runner
        self.models: tasks.MnistModels | None = None
        self._measured = False
        self._throttle = QTimer(self)
        self._throttle.setSingleShot(True)
        self._throttle.setInterval(THROTTLE_MS)
        self._throttle.timeout.connect(self._predict)

        self.tabs = QTabWidget()
        self.tabs.addTab(self._build_draw_page(), "Draw && test")
        self.comparison = ComparisonView()
        self.tabs.addTab(self.comparison, "CNN vs fully connected")
        self.calculator = WeightCalculator()
        self.tabs.addTab(self.calculator, "Weight explosion")
        bind(self.tabs, self.state.events.page, lambda: self.tabs.setCurrentIndex(PAGES.index(self.state.page)),
             self.tabs.currentChanged, lambda i: setattr(self.state, "page", PAGES[i]))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.tabs)

        self.comparison.measure_requested.connect(self.measure)
        self.tabs.currentChanged.connect(self._tab_changed)
        for name in ("source", "index", "drawing", "shift"):
            connect(self, getattr(self.state.events, name), self._request_changed)
        connect(self, self.state.events.prediction, self._show_prediction)
        connect(self, app.events.tab, self._publish)
        runner.submit("mnist-load", tasks.load_mnist, on_done=self._on_ready, on_error=self._failed)

    # ----- layout ---------------------------------------------------------------------------------------------
    def _build_draw_page(self) -> QWidget:
        self.pad = DigitPad()
        self.clear_button = QPushButton("Clear")
        self.stroke = QSpinBox()
        self.stroke.setRange(4, 60)
        self.stroke.setValue(self.pad.stroke_width)
        self.stroke.setSuffix(" px stroke")
        self.stroke.valueChanged.connect(lambda v: setattr(self.pad, "stroke_width", v))
        self.clear_button.clicked.connect(self.pad.clear)
        self.pad.drawing_changed.connect(self.state.draw)
        self.pad.stroke_finished.connect(self._stroke_finished)
        self.pad.cleared.connect(lambda: self.state.draw(None))
        pad_box = QGroupBox("Draw a digit")
        pad_layout = QVBoxLayout(pad_box)
        pad_layout.addWidget(self.pad)
        row = QHBoxLayout()
        row.addWidget(self.clear_button)
        row.addWidget(self.stroke)
        pad_layout.addLayout(row)
        pad_layout.addStretch(1)

        self.index = QSpinBox()
        self.index.setPrefix("digit #")
        self.index.setEnabled(False)
        bind(self.index, self.state.events.index, lambda: self.index.setValue(self.state.index),
             self.index.valueChanged, self.state.show_heldout)
        self.shift = QSpinBox()
        self.shift.setRange(-6, 6)
        self.shift.setSuffix(" px right")
        self.shift.setToolTip("Move the digit sideways (zero fill) and watch which network keeps reading it")
        bind(self.shift, self.state.events.shift, lambda: self.shift.setValue(self.state.shift),
             self.shift.valueChanged, lambda v: setattr(self.state, "shift", v))
        self.true_label = QLabel("")
        self.true_label.setFont(style.font(style.TITLE_PT, bold=True))
        browse_box = QGroupBox("Held-out digits (never seen in training)")
        browse = QVBoxLayout(browse_box)
        browse.addWidget(self.index)
        browse.addWidget(self.true_label)

        self.preview = QLabel()
        self.preview.setFixedSize(28 * PREVIEW_ZOOM, 28 * PREVIEW_ZOOM)
        self.preview.setPixmap(_pixmap(np.zeros((28, 28), np.uint8)))
        self.preview.setToolTip("The 28×28 digit both networks read: drawings are scaled into a 20×20 box and "
                                "centred by their centre of mass, as MNIST's digits were")
        seen_box = QGroupBox("What the networks read (28×28)")
        seen = QVBoxLayout(seen_box)
        seen.addWidget(self.preview)
        seen.addWidget(self.shift)
        self.timing = QLabel("")
        self.timing.setFont(style.font(11))
        seen.addWidget(self.timing)

        middle = QVBoxLayout()
        middle.addWidget(seen_box)
        middle.addWidget(browse_box)
        middle.addStretch(1)
        self.bars = PredictionBars()

        page = QWidget()
        layout = QHBoxLayout(page)
        layout.addWidget(pad_box)
        layout.addLayout(middle)
        layout.addWidget(self.bars, 1)
        return page

    # ----- public ---------------------------------------------------------------------------------------------
    @property
    def digits(self) -> mnist.Digits | None:
        return None if self.models is None else self.models.heldout

    def show_heldout(self, index: int) -> None:
        self.state.show_heldout(index)

    def measure(self, direction: str = "right") -> None:
        """Measure held-out accuracy and the shift curves of both networks in the background."""
        if self.models is None:
            return
        self._measured = True
        self.comparison.set_busy(True)
        self.runner.submit("mnist-measure", tasks.measure_shifts, self.models, direction,
                           on_progress=self.comparison.set_progress, on_done=self._on_curve, on_error=self._failed)

    def shutdown(self) -> None:
        self._throttle.stop()

    def closeEvent(self, event) -> None:
        self.shutdown()
        super().closeEvent(event)

    # ----- state → work ---------------------------------------------------------------------------------------
    def _request_changed(self, *_: object) -> None:
        if self.state.prediction is not None and self.state.prediction.request != self.state.request():
            self.state.prediction = None  # it answers another digit now
        if self.state.source == "heldout" and self.digits is not None:
            self.true_label.setText(f"true label: {self.digits.labels[self.state.index]}")
            self.pad.show_digit(self.digits.images[self.state.index])
        else:
            self.true_label.setText("")
        if not self._throttle.isActive():
            self._throttle.start()  # a moving pen asks at most once per THROTTLE_MS

    def _stroke_finished(self, canvas: np.ndarray) -> None:
        self.state.draw(canvas)
        self._throttle.stop()
        self._predict()

    def _predict(self) -> None:
        s = self.state
        if self.models is None or (s.source == "drawing" and s.drawing is None):
            return
        image, normalize = ((s.drawing, True) if s.source == "drawing" else (self.digits.images[s.index], False))
        self.runner.submit("mnist-predict", tasks.predict_digit, self.models, s.request(), image, normalize, s.shift,
                           on_done=self._accept, on_error=self._failed)

    def _accept(self, prediction: tasks.Prediction) -> None:
        if prediction.request == self.state.request():
            self.state.prediction = prediction

    # ----- state → screen -------------------------------------------------------------------------------------
    def _show_prediction(self, *_: object) -> None:
        prediction = self.state.prediction
        if prediction is None:
            self.preview.setPixmap(_pixmap(np.zeros((28, 28), np.uint8)))
            self.bars.clear()
            self.timing.setText("")
            return
        self.preview.setPixmap(_pixmap(prediction.digit))
        self.bars.show_probabilities(prediction.probabilities)
        self.timing.setText(f"both networks: {prediction.ms:.1f} ms")
        self._publish()

    def _publish(self, *_: object) -> None:
        """While this tab is shown, the digit both networks read is what the Model Explorer runs on."""
        prediction = self.state.prediction
        if self.app.tab != "mnist" or prediction is None or (self.state.source == "drawing" and self.pad.is_drawing()):
            return
        source = "draw pad" if self.state.source == "drawing" else f"mnist:heldout#{self.state.index}"
        self.app.image.photo = images.from_array(prediction.digit, source)

    def _on_ready(self, models: tasks.MnistModels) -> None:
        self.models = models
        self.comparison.set_params(models.params, models.recorded)
        self.index.setRange(0, len(models.heldout) - 1)
        self.index.setEnabled(True)
        self._request_changed()

    def _on_curve(self, curve: mnist.ShiftCurve) -> None:
        self.comparison.set_curve(curve)
        self.app.status.show("Shift robustness measured: " + ", ".join(
            f"{name} {values[-1]:.0%} at {curve.shifts[-1]} px" for name, values in curve.accuracy.items()),
            topic="mnist")

    def _failed(self, message: str) -> None:
        self.comparison.set_busy(False)
        self.app.status.show(message, error=True, topic="mnist")

    def _tab_changed(self, index: int) -> None:
        if self.tabs.widget(index) is self.comparison and not self._measured:
            self.measure(self.comparison.direction.currentText())
