"""The MNIST tab: draw a digit and watch both networks read it, browse the held-out digits, compare LeNet-5 with
a fully connected network, and do the lecture's weight arithmetic.

Every number comes from explorer.core.mnist, run on the MnistController's thread; this widget only arranges
and paints. It is a source of images for the rest of the app (``image_ready``), not a sink: it has no set_image.
"""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt, QTimer, Signal
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

from explorer.core import images
from explorer.core.mnist import Digits
from explorer.ui import style
from explorer.ui.mnist.calculator import WeightCalculator
from explorer.ui.mnist.comparison_view import ComparisonView
from explorer.ui.mnist.digit_pad import DigitPad
from explorer.ui.mnist.predictions import PredictionBars
from explorer.workers.mnist_worker import MnistController, ModelsReady, Prediction

THROTTLE_MS = 30     # at most one live prediction per 30 ms while the pen moves
PREVIEW_ZOOM = 6


def _pixmap(digit: np.ndarray, zoom: int = PREVIEW_ZOOM) -> QPixmap:
    digit = np.ascontiguousarray(digit, np.uint8)
    h, w = digit.shape
    image = QImage(digit.data, w, h, w, QImage.Format.Format_Grayscale8).copy()
    return QPixmap.fromImage(image).scaled(w * zoom, h * zoom, Qt.AspectRatioMode.KeepAspectRatio,
                                           Qt.TransformationMode.FastTransformation)


class MnistView(QWidget):
    status_message = Signal(str)
    image_ready = Signal(object)   # explorer.core.images.LoadedImage: the 28×28 digit both networks just read

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = MnistController(self)
        self.digits: Digits | None = None
        self._source: tuple[str, object] | None = None   # ("drawing", canvas) or ("heldout", index)
        self._publish_id = -1       # request whose answer should also go out as image_ready
        self._measured = False
        self._pending_canvas: np.ndarray | None = None
        self._throttle = QTimer(self)
        self._throttle.setSingleShot(True)
        self._throttle.setInterval(THROTTLE_MS)
        self._throttle.timeout.connect(self._send_pending_drawing)

        self.tabs = QTabWidget()
        self.tabs.addTab(self._build_draw_page(), "Draw && test")
        self.comparison = ComparisonView()
        self.tabs.addTab(self.comparison, "CNN vs fully connected")
        self.calculator = WeightCalculator()
        self.tabs.addTab(self.calculator, "Weight explosion")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.tabs)

        self.comparison.measure_requested.connect(self.measure)
        self.tabs.currentChanged.connect(self._tab_changed)
        self.controller.ready.connect(self._on_ready)
        self.controller.prediction.connect(self._on_prediction)
        self.controller.progress.connect(self.comparison.set_progress)
        self.controller.curve.connect(self._on_curve)
        self.controller.failed.connect(self._on_failed)
        self.controller.start()

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
        self.pad.drawing_changed.connect(self._drawing_changed)
        self.pad.stroke_finished.connect(self._stroke_finished)
        self.pad.cleared.connect(self._cleared)
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
        self.index.valueChanged.connect(self.show_heldout)
        self.shift = QSpinBox()
        self.shift.setRange(-6, 6)
        self.shift.setSuffix(" px right")
        self.shift.setToolTip("Move the digit sideways (zero fill) and watch which network keeps reading it")
        self.shift.valueChanged.connect(self._resend)
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
    def show_heldout(self, index: int) -> None:
        """Show held-out digit ``index`` and both networks' reading of it."""
        if self.digits is None:
            return
        self._source = ("heldout", index)
        self.true_label.setText(f"true label: {self.digits.labels[index]}")
        self._publish_id = self._send()

    def measure(self, direction: str = "right") -> None:
        """Measure held-out accuracy and the shift curves of both networks on the worker."""
        self._measured = True
        self.comparison.set_busy(True)
        self.controller.measure(direction)

    def shutdown(self) -> None:
        self._throttle.stop()
        self.controller.shutdown()

    def closeEvent(self, event) -> None:
        self.shutdown()
        super().closeEvent(event)

    # ----- drawing --------------------------------------------------------------------------------------------
    def _drawing_changed(self, canvas: np.ndarray) -> None:
        self._source = ("drawing", canvas)
        self.true_label.setText("")
        self._pending_canvas = canvas
        if not self._throttle.isActive():
            self._throttle.start()

    def _send_pending_drawing(self) -> None:
        if self._pending_canvas is not None:
            self._pending_canvas = None
            self._send()

    def _stroke_finished(self, canvas: np.ndarray) -> None:
        self._throttle.stop()
        self._pending_canvas = None
        self._source = ("drawing", canvas)
        self._publish_id = self._send()

    def _cleared(self) -> None:
        self._throttle.stop()
        self._pending_canvas = None
        self._source = None
        self.preview.setPixmap(_pixmap(np.zeros((28, 28), np.uint8)))
        self.bars.clear()

    def _resend(self) -> None:
        if self._source is not None:
            self._send()

    def _send(self) -> int:
        kind, value = self._source
        shift = (self.shift.value(), 0)
        if kind == "drawing":
            return self.controller.predict(value, normalize=True, shift=shift)
        return self.controller.predict(self.digits.images[value], normalize=False, shift=shift)

    # ----- worker results -------------------------------------------------------------------------------------
    def _on_ready(self, ready: ModelsReady) -> None:
        self.digits = ready.heldout
        self.comparison.set_params(ready.params, ready.recorded)
        self.index.setRange(0, len(ready.heldout) - 1)
        self.index.setEnabled(True)
        self.status_message.emit(f"MNIST networks ready on {ready.provider}.")
        if self._source is None:
            self.show_heldout(self.index.value())

    def _on_prediction(self, prediction: Prediction) -> None:
        self.preview.setPixmap(_pixmap(prediction.digit))
        self.bars.show_probabilities(prediction.probabilities)
        self.timing.setText(f"both networks: {prediction.ms:.1f} ms")
        if prediction.request_id == self._publish_id:
            source = "draw pad" if self._source and self._source[0] == "drawing" else \
                f"mnist:heldout#{self.index.value()}"
            self.image_ready.emit(images.from_array(prediction.digit, source))

    def _on_curve(self, curve) -> None:
        self.comparison.set_curve(curve)
        self.status_message.emit("Shift robustness measured: " + ", ".join(
            f"{name} {values[-1]:.0%} at {curve.shifts[-1]} px" for name, values in curve.accuracy.items()))

    def _on_failed(self, message: str) -> None:
        self.comparison.set_busy(False)
        self.status_message.emit(message)

    def _tab_changed(self, index: int) -> None:
        if self.tabs.widget(index) is self.comparison and not self._measured:
            self.measure(self.comparison.direction.currentText())
