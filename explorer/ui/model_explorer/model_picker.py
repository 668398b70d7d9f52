"""Choosing a model: the catalog (each architecture with random and trained weights, their size, licence and
whether they are on this machine), recent .onnx files, open a file."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings, Qt, Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QPushButton, QWidget

from explorer.core import catalog
from explorer.ui import style
from explorer.ui.model_explorer.layer_list import compact

RECENT_KEY = "explorer/recent_models"
MAX_RECENT = 8


class ModelPicker(QWidget):
    model_chosen = Signal(str)      # catalog key or .onnx path
    open_requested = Signal()
    download_requested = Signal()
    cancel_requested = Signal()

    def __init__(self, settings: QSettings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._settings = settings
        self.combo = QComboBox()
        self.combo.setFont(style.font(style.LABEL_PT))
        # Long titles elide where the row is short of room: the whole top row must fit 1024 px at zoom 1.3
        # (at least 22 characters made it 1099 px there); where there is room, the whole title shows.
        self.combo.setMinimumContentsLength(14)
        self.combo.setToolTip("Built-in architectures of the lecture and the .onnx files you opened recently.")
        self.badge = QLabel()
        self.badge.setFont(style.font(style.LABEL_PT, bold=True))
        self.download_button = QPushButton("Download")
        self.download_button.setToolTip("Fetch the published trained weights (checked by their sha256) into the "
                                        "model cache; CNN_EXPLORER_MIRROR names a classroom copy to try first.")
        self.cancel_button = QPushButton("Cancel download")
        self.cancel_button.setToolTip("Stop the download; nothing partial is kept.")
        for button in (self.download_button, self.cancel_button):
            button.setFont(style.font(style.LABEL_PT))
            button.hide()
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
        box.addWidget(self.download_button)
        box.addWidget(self.cancel_button)
        box.addWidget(self.open_button)
        self._fill()
        self.combo.activated.connect(self._activated)
        self.open_button.clicked.connect(self.open_requested)
        self.download_button.clicked.connect(self.download_requested)
        self.cancel_button.clicked.connect(self.cancel_requested)

    def recent(self) -> list[str]:
        value = self._settings.value(RECENT_KEY, [])
        return [value] if isinstance(value, str) else [str(v) for v in (value or [])]

    def add_recent(self, path: str) -> None:
        """A file that loaded: first in the list (it is the chosen model, so the picker keeps showing it)."""
        path = str(Path(path).resolve())
        self._settings.setValue(RECENT_KEY, ([path] + [p for p in self.recent() if p != path])[:MAX_RECENT])
        self._fill(path)

    def set_current(self, key: str) -> None:
        """Show the chosen model (without emitting); a file not yet in the recent list gets a provisional entry."""
        self._fill(key)

    def set_download(self, needed: bool, running: bool) -> None:
        """Download is offered while the chosen model's file is missing; Cancel while it downloads."""
        self.download_button.setVisible(needed and not running)
        self.cancel_button.setVisible(running)

    def set_badge(self, text: str, colour: str, tooltip: str) -> None:
        self.badge.setText(text)
        style.restyle(self.badge, f"color: {colour};")
        self.badge.setToolTip(tooltip)

    def _fill(self, current: str | None = None) -> None:
        current = self.combo.currentData() if current is None else current
        self.combo.clear()
        listed = catalog.entries()
        for entry in listed:
            self.combo.addItem(entry_text(entry), entry.key)
            self.combo.setItemData(self.combo.count() - 1, entry_tip(entry), role=Qt.ItemDataRole.ToolTipRole)
        files = self.recent()
        if current and current not in {e.key for e in listed} and current not in files:
            files.append(current)
        if files:
            self.combo.insertSeparator(self.combo.count())
            for path in files:
                self.combo.addItem(Path(path).name, path)
                self.combo.setItemData(self.combo.count() - 1, path, role=Qt.ItemDataRole.ToolTipRole)
        self.combo.setCurrentIndex(max(self.combo.findData(current), 0))

    def _activated(self, index: int) -> None:
        key = self.combo.itemData(index)
        if key:
            self.model_chosen.emit(str(key))


def entry_text(entry: catalog.ModelEntry) -> str:
    """One picker line: title, size, where the weights come from, and what a download would cost."""
    parts = [entry.title]
    if entry.params:
        parts.append(f"{compact(entry.params)} params")
    parts.append("trained" if entry.trained else "random init.")
    if isinstance(entry.weights, catalog.Download) and not catalog.is_available(entry):
        parts.append(f"download {entry.weights.size / 1e6:.0f} MB")
    return "  ·  ".join(parts)


def entry_tip(entry: catalog.ModelEntry) -> str:
    lines = [entry.paper, f"Weights: {entry.weights_text}", f"Licence: {entry.licence}"]
    if entry.note:
        lines.append(entry.note)
    return "\n".join(line for line in lines if line)
