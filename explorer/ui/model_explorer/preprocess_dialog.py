"""Preprocessing for a model file that does not say how it wants its input, remembered per file."""
from __future__ import annotations

import hashlib
from pathlib import Path

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QSpinBox,
    QWidget,
)

from explorer.core.errors import UserError
from explorer.core.preprocess import Preprocess
from explorer.ui import style


def settings_key(path: str) -> str:
    """QSettings key for a model file: its path and size (a replaced file of another size asks again)."""
    p = Path(path)
    size = p.stat().st_size if p.exists() else 0
    return "preprocess/" + hashlib.sha1(f"{p.resolve()}|{size}".encode()).hexdigest()


def remembered(settings: QSettings, path: str) -> Preprocess | None:
    text = settings.value(settings_key(path))
    if not text:
        return None
    try:
        return Preprocess.from_json(str(text))
    except UserError:
        return None  # an old or damaged entry: ask again


def remember(settings: QSettings, path: str, recipe: Preprocess) -> None:
    settings.setValue(settings_key(path), recipe.to_json())


def _triple(values: tuple[float, ...], low: float, high: float) -> list[QDoubleSpinBox]:
    boxes = []
    for v in (tuple(values) * 3)[:3]:
        box = QDoubleSpinBox()
        box.setDecimals(4)
        box.setRange(low, high)
        box.setSingleStep(0.01)
        box.setValue(v)
        boxes.append(box)
    return boxes


class PreprocessDialog(QDialog):
    """Starts from a guess (core.preprocess.default_for_input) and returns the user's Preprocess."""

    def __init__(self, model_name: str, guess: Preprocess, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Preprocessing for {model_name}")
        self.setFont(style.font(style.LABEL_PT))
        self._guess = guess
        form = QFormLayout(self)
        intro = QLabel(f"{model_name} does not store how its input was prepared. Check these values "
                       "(the model's documentation has them); they are remembered for this file.")
        intro.setWordWrap(True)
        form.addRow(intro)
        self.height_box, self.width_box = QSpinBox(), QSpinBox()
        for box, value in ((self.height_box, guess.size[0]), (self.width_box, guess.size[1])):
            box.setRange(1, 4096)
            box.setValue(value)
        size_row = QHBoxLayout()
        size_row.addWidget(self.height_box)
        size_row.addWidget(QLabel("×"))
        size_row.addWidget(self.width_box)
        form.addRow("Input size (height × width)", size_row)
        self.resize_mode = QComboBox()
        self.resize_mode.addItem("stretch to size", "resize")
        self.resize_mode.addItem("scale and centre-crop", "center_crop")
        self.resize_mode.setCurrentIndex(0 if guess.resize == "resize" else 1)
        form.addRow("Resize", self.resize_mode)
        self.scale = QDoubleSpinBox()
        self.scale.setDecimals(6)
        self.scale.setRange(1e-6, 1000)
        self.scale.setValue(guess.scale)
        form.addRow("Scale (pixel × scale)", self.scale)
        self.mean = _triple(guess.mean, -1000, 1000)
        self.std = _triple(guess.std, 1e-4, 1000)
        for label, boxes in (("Mean (R, G, B)", self.mean), ("Std (R, G, B)", self.std)):
            row = QHBoxLayout()
            for b in boxes:
                row.addWidget(b)
            form.addRow(label, row)
        self.order = QComboBox()
        self.order.addItems(["RGB", "BGR"])
        self.order.setCurrentText(guess.channel_order)
        form.addRow("Channel order", self.order)
        self.grayscale = QCheckBox("Grayscale input (one channel)")
        self.grayscale.setChecked(guess.grayscale)
        form.addRow(self.grayscale)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def recipe(self) -> Preprocess:
        gray = self.grayscale.isChecked()
        channels = 1 if gray else 3
        return Preprocess(size=(self.height_box.value(), self.width_box.value()),
                          resize=self.resize_mode.currentData(), scale=self.scale.value(),
                          mean=tuple(b.value() for b in self.mean[:channels]),
                          std=tuple(b.value() for b in self.std[:channels]),
                          channel_order=self.order.currentText(), grayscale=gray, layout=self._guess.layout)
