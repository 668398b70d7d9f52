"""The parameter panel: filter size, stride, padding, dilation, channel mode and pooling, bound to the
Playground state. It only collects numbers; impossible combinations are core's to judge (the view shows its line).
"""
from __future__ import annotations

from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QGroupBox,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from explorer.state.playground import PlaygroundState
from explorer.ui.binding import bind, connect

SAME = -1  # padding spin box value shown as "same"
LIMITS = {"size": (1, 15), "stride": (1, 8), "padding": (0, 10), "dilation": (1, 6), "pool_size": (1, 8),
          "pool_stride": (1, 8)}

MODES = [("gray", "Gray (luminance)"), ("r", "R plane"), ("g", "G plane"), ("b", "B plane"),
         ("volume", "Volume (R+G+B summed)")]
POOL_KINDS = [("none", "None"), ("max", "Max"), ("avg", "Average")]


def _spin(name: str, tip: str, lo: int | None = None) -> QSpinBox:
    box = QSpinBox()
    low, high = LIMITS[name]
    box.setRange(low if lo is None else lo, high)
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
    def __init__(self, state: PlaygroundState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.size = _spin("size", "Filter size f: the kernel is f×f pixels (keys ] / [).")
        self.stride = _spin("stride", "Stride s: how far the window jumps between outputs (keys S / Shift+S).")
        self.padding = _spin("padding", "Padding p: zeros added around the image; 'same' keeps ⌈n/s⌉ "
                                        "(keys P / Shift+P).", lo=SAME)
        self.padding.setSpecialValueText("same")
        self.dilation = _spin("dilation", "Dilation d: gap between kernel taps, widening the view at no extra cost "
                                          "(keys D / Shift+D).")
        self.mode = _combo(MODES, "Which input the kernel reads: one plane, or all three planes summed (volume) "
                                  "(key M).")
        self.pool_kind = _combo(POOL_KINDS, "Pooling applied to the convolution output: none, max or average.")
        self.pool_size = _spin("pool_size", "Pooling window size k (k×k).")
        self.pool_stride = _spin("pool_stride", "Pooling stride: how far the pooling window jumps.")

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

        e = state.events
        bind(self.size, e.size, lambda: self.size.setValue(state.size), self.size.valueChanged, state.set_size)
        for name in ("stride", "dilation", "pool_size", "pool_stride"):
            box = getattr(self, name)
            bind(box, getattr(e, name), lambda b=box, n=name: b.setValue(getattr(state, n)), box.valueChanged,
                 lambda v, n=name: setattr(state, n, v))
        bind(self.padding, e.padding,
             lambda: self.padding.setValue(SAME if state.padding == "same" else int(state.padding)),
             self.padding.valueChanged, lambda v: setattr(state, "padding", "same" if v == SAME else v))
        for name in ("mode", "pool_kind"):
            combo = getattr(self, name)
            bind(combo, getattr(e, name), lambda c=combo, n=name: c.setCurrentIndex(c.findData(getattr(state, n))),
                 combo.currentIndexChanged, lambda _, c=combo, n=name: setattr(state, n, c.currentData()))
        self._enable_pool_fields()
        connect(self, e.pool_kind, self._enable_pool_fields)

    def _enable_pool_fields(self, *_: object) -> None:
        on = self.state.pool_kind != "none"
        self.pool_size.setEnabled(on)
        self.pool_stride.setEnabled(on)
