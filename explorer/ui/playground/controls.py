"""The parameter panel: filter size, stride, padding, dilation, channel mode and pooling.

It only collects numbers; validation of impossible combinations belongs to core (the view shows core's message).
"""
from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QGroupBox,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from explorer.core.conv import ConvParams, PoolParams

SAME = -1  # padding spin box value shown as "same"

MODES = [("gray", "Gray (luminance)"), ("r", "R plane"), ("g", "G plane"), ("b", "B plane"),
         ("volume", "Volume (R+G+B summed)")]
POOL_KINDS = [("none", "None"), ("max", "Max"), ("avg", "Average")]


def _spin(lo: int, hi: int, value: int, tip: str) -> QSpinBox:
    box = QSpinBox()
    box.setRange(lo, hi)
    box.setValue(value)
    box.setToolTip(tip)
    box.setMinimumHeight(34)
    box.setMinimumWidth(90)
    box.setKeyboardTracking(False)  # typing "12" must not compute f=1 first
    return box


def _combo(items: list[tuple[str, str]], tip: str) -> QComboBox:
    box = QComboBox()
    for key, text in items:
        box.addItem(text, key)
    box.setToolTip(tip)
    box.setMinimumHeight(34)
    return box


class ParamControls(QWidget):
    """Spin boxes and combos; emits ``changed`` on any edit (the view coalesces the recomputes)."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.size = _spin(1, 15, 3, "Filter size f: the kernel is f×f pixels (keys ] / [).")
        self.stride = _spin(1, 8, 1, "Stride s: how far the window jumps between outputs (keys S / Shift+S).")
        self.padding = _spin(SAME, 10, 0, "Padding p: zeros added around the image; 'same' keeps ⌈n/s⌉ (keys P / Shift+P).")
        self.padding.setSpecialValueText("same")
        self.dilation = _spin(1, 6, 1, "Dilation d: gap between kernel taps, widening the view at no extra cost (keys D / Shift+D).")
        self.mode = _combo(MODES, "Which input the kernel reads: one plane, or all three planes summed (volume) (key M).")
        self.pool_kind = _combo(POOL_KINDS, "Pooling applied to the convolution output: none, max or average.")
        self.pool_size = _spin(1, 8, 2, "Pooling window size k (k×k).")
        self.pool_stride = _spin(1, 8, 2, "Pooling stride: how far the pooling window jumps.")

        conv_box = QGroupBox("Convolution")
        form = QFormLayout(conv_box)
        form.addRow("Filter size f", self.size)
        form.addRow("Stride s", self.stride)
        form.addRow("Padding p", self.padding)
        form.addRow("Dilation d", self.dilation)
        form.addRow("Input", self.mode)
        pool_box = QGroupBox("Pooling after the convolution")
        pform = QFormLayout(pool_box)
        pform.addRow("Pooling", self.pool_kind)
        pform.addRow("Size k", self.pool_size)
        pform.addRow("Stride", self.pool_stride)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(conv_box)
        layout.addWidget(pool_box)

        for box in (self.size, self.stride, self.padding, self.dilation, self.pool_size, self.pool_stride):
            box.valueChanged.connect(self.changed)
        for combo in (self.mode, self.pool_kind):
            combo.currentIndexChanged.connect(self.changed)
        self.pool_kind.currentIndexChanged.connect(self._enable_pool_fields)
        self._enable_pool_fields()

    def conv_params(self) -> ConvParams:
        p = self.padding.value()
        return ConvParams(size=self.size.value(), stride=self.stride.value(),
                          padding="same" if p == SAME else p, dilation=self.dilation.value())

    def pool_params(self) -> PoolParams:
        return PoolParams(kind=self.pool_kind.currentData(), size=self.pool_size.value(),
                          stride=self.pool_stride.value())

    def set_values(self, params: ConvParams, pool: PoolParams, mode: str) -> None:
        """Set every control (e.g. from a lecture example); each change emits ``changed`` and the view coalesces."""
        self.size.setValue(params.size)
        self.stride.setValue(params.stride)
        self.padding.setValue(SAME if params.padding == "same" else int(params.padding))
        self.dilation.setValue(params.dilation)
        self.mode.setCurrentIndex(self.mode.findData(mode))
        self.pool_kind.setCurrentIndex(self.pool_kind.findData(pool.kind))
        self.pool_size.setValue(pool.size)
        self.pool_stride.setValue(pool.stride)

    def channel_mode(self) -> str:
        return self.mode.currentData()

    def cycle_mode(self) -> None:
        self.mode.setCurrentIndex((self.mode.currentIndex() + 1) % self.mode.count())

    def _enable_pool_fields(self) -> None:
        on = self.pool_kind.currentData() != "none"
        self.pool_size.setEnabled(on)
        self.pool_stride.setEnabled(on)
