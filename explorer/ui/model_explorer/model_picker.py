"""Choosing a model: the built-ins (parameters, where the weights come from), recent .onnx files, open a file."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings, Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QPushButton, QWidget

from explorer.core import zoo
from explorer.ui import style
from explorer.ui.model_explorer.layer_list import compact
from explorer.core.model_facts import is_random

RECENT_KEY = "explorer/recent_models"
MAX_RECENT = 8


def weights_badge(weights: str) -> tuple[str, str]:
    """(short text, CSS colour) telling where a model's weights come from."""
    if not weights:
        return "weights from file", "#555555"
    if is_random(weights):
        return "random initialisation", "#b35900"
    return "trained", "#1b7f3b"


class ModelPicker(QWidget):
    model_chosen = Signal(str)      # built-in name or .onnx path
    open_requested = Signal()

    def __init__(self, settings: QSettings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._settings = settings
        self.combo = QComboBox()
        self.combo.setFont(style.font(style.LABEL_PT))
        self.combo.setMinimumContentsLength(34)
        self.combo.setToolTip("Built-in architectures of the lecture and the .onnx files you opened recently.")
        self.badge = QLabel()
        self.badge.setFont(style.font(style.LABEL_PT, bold=True))
        self.open_button = QPushButton("Open ONNX model…")
        self.open_button.setFont(style.font(style.LABEL_PT))
        self.open_button.setToolTip("Open your own .onnx file (Ctrl+Shift+O, or drop it on the window).")
        box = QHBoxLayout(self)
        box.setContentsMargins(0, 0, 0, 0)
        label = QLabel("Model:")
        label.setFont(style.font(style.LABEL_PT, bold=True))
        box.addWidget(label)
        box.addWidget(self.combo)
        box.addWidget(self.badge)
        box.addWidget(self.open_button)
        self._fill()
        self.combo.activated.connect(self._activated)
        self.open_button.clicked.connect(self.open_requested)

    def recent(self) -> list[str]:
        value = self._settings.value(RECENT_KEY, [])
        return [value] if isinstance(value, str) else [str(v) for v in (value or [])]

    def add_recent(self, path: str) -> None:
        path = str(Path(path).resolve())
        self._settings.setValue(RECENT_KEY, ([path] + [p for p in self.recent() if p != path])[:MAX_RECENT])
        self._fill()

    def set_current(self, key: str, weights: str) -> None:
        """Show the loaded model (without emitting) and its weights badge."""
        index = self.combo.findData(key)
        if index < 0 and key not in zoo.BUILTINS:
            index = self.combo.findData(str(Path(key).resolve()))  # recent files are stored resolved
        if index >= 0:
            self.combo.setCurrentIndex(index)
        text, colour = weights_badge(weights)
        self.badge.setText(text)
        self.badge.setStyleSheet(f"color: {colour};")
        self.badge.setToolTip(weights or "The file does not say where its weights come from.")

    def _fill(self) -> None:
        current = self.combo.currentData()
        self.combo.clear()
        for entry in zoo.BUILTINS.values():
            badge = "random init." if is_random(entry.weights) else "trained"
            self.combo.addItem(f"{entry.title}  ·  {compact(entry.params)} params  ·  {badge}", entry.name)
            self.combo.setItemData(self.combo.count() - 1, f"{entry.paper}\nWeights: {entry.weights}",
                                   role=3)  # Qt.ToolTipRole
        recent = self.recent()
        if recent:
            self.combo.insertSeparator(self.combo.count())
            for path in recent:
                self.combo.addItem(Path(path).name, path)
                self.combo.setItemData(self.combo.count() - 1, path, role=3)
        index = self.combo.findData(current)
        self.combo.setCurrentIndex(max(index, 0))

    def _activated(self, index: int) -> None:
        key = self.combo.itemData(index)
        if key:
            self.model_chosen.emit(str(key))
