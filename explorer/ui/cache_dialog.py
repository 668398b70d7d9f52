"""File ▸ Model Cache…: what the user cache holds (size per model and in all), deleting entries, and the user's own
mirror (a folder or URL tried first by every download; stored in QSettings, read by the explorer's download)."""
from __future__ import annotations

from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from explorer.core import paths, user_cache
from explorer.ui import style

MIRROR_KEY = "downloads/mirror"
COLUMNS = ("Model", "Kind", "Size")


def mirror(settings: QSettings) -> str | None:
    """The user's mirror setting (a folder or URL), None when unset."""
    value = str(settings.value(MIRROR_KEY, "") or "").strip()
    return value or None


def size_text(size: int) -> str:
    return f"{size / 1e6:,.1f} MB"


class CacheDialog(QDialog):
    def __init__(self, settings: QSettings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Model cache")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)  # opened anew from the menu each time
        self.resize(720, 480)
        self._settings = settings
        self.items: list[user_cache.CacheItem] = []   # what the table shows, row for row
        where = QLabel(f"Folder: {paths.cache_dir()}")
        where.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.total = QLabel()
        self.delete_button = QPushButton("Delete")
        self.delete_button.setToolTip("Delete the selected models' files; built-ins are rebuilt when opened, "
                                      "downloads must be downloaded again.")
        self.delete_all_button = QPushButton("Delete all")
        self.mirror_edit = QLineEdit(mirror(settings) or "")
        self.mirror_edit.setPlaceholderText("a folder or http(s) URL holding the zoo files under their own names")
        from explorer.core.downloads import MIRROR_ENV  # pooch loads only when someone opens this dialog

        self.mirror_edit.setToolTip(f"Tried before the public mirrors, like the {MIRROR_ENV} environment variable "
                                    "(this setting first).")
        choose = QPushButton("Folder…")
        for widget in (where, self.table, self.total, self.delete_button, self.delete_all_button, self.mirror_edit,
                       choose):
            widget.setFont(style.font(style.LABEL_PT))
        buttons = QHBoxLayout()
        buttons.addWidget(self.total, 1)
        buttons.addWidget(self.delete_button)
        buttons.addWidget(self.delete_all_button)
        mirror_row = QHBoxLayout()
        mirror_label = QLabel("Your mirror:")
        mirror_label.setFont(style.font(style.LABEL_PT, bold=True))
        mirror_row.addWidget(mirror_label)
        mirror_row.addWidget(self.mirror_edit, 1)
        mirror_row.addWidget(choose)
        box = QVBoxLayout(self)
        box.addWidget(where)
        box.addWidget(self.table, 1)
        box.addLayout(buttons)
        box.addLayout(mirror_row)

        self.delete_button.clicked.connect(self.delete_selected)
        self.delete_all_button.clicked.connect(self.delete_all)
        self.table.itemSelectionChanged.connect(self._enable)
        self.mirror_edit.editingFinished.connect(lambda: self.set_mirror(self.mirror_edit.text()))
        choose.clicked.connect(self._choose_folder)
        self.refresh()

    def refresh(self) -> None:
        self.items = user_cache.listing()
        self.table.setRowCount(len(self.items))
        for row, item in enumerate(self.items):
            for column, text in enumerate((item.name, item.kind, size_text(item.size))):
                cell = QTableWidgetItem(text)
                if column == 2:
                    cell.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.table.setItem(row, column, cell)
        total = sum(item.size for item in self.items)
        self.total.setText(f"{len(self.items)} entries, {size_text(total)} in all" if self.items
                           else "The cache is empty.")
        self._enable()

    def _enable(self) -> None:
        self.delete_button.setEnabled(bool(self.table.selectionModel().selectedRows()))
        self.delete_all_button.setEnabled(bool(self.items))

    def delete_selected(self) -> None:
        rows = sorted(index.row() for index in self.table.selectionModel().selectedRows())
        user_cache.clear([self.items[row].name for row in rows])
        self.refresh()

    def delete_all(self) -> None:
        user_cache.clear()
        self.refresh()

    def set_mirror(self, value: str) -> None:
        value = value.strip()
        self.mirror_edit.setText(value)
        self._settings.setValue(MIRROR_KEY, value)

    def _choose_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Folder holding the zoo files", self.mirror_edit.text())
        if folder:
            self.set_mirror(folder)
