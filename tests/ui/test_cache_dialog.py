"""File ▸ Model Cache…: the user cache per model with sizes and a total, Delete / Delete all, and the user's own
mirror, which the explorer's Download then tries first."""
from __future__ import annotations

import pytest
from PySide6.QtCore import QItemSelectionModel
from PySide6.QtGui import QAction

from explorer.core import user_cache
from explorer.ui.cache_dialog import MIRROR_KEY, CacheDialog
from explorer.ui.main_window import MainWindow
from trained_standin import FILE, install
from zoo_server import tiny_model


@pytest.fixture
def cache(tmp_path, monkeypatch):
    """Two downloads and one built-in (file + sidecar) in a private cache."""
    monkeypatch.setenv("CNN_EXPLORER_CACHE_DIR", str(tmp_path / "cache"))
    user_cache.downloads_dir().mkdir(parents=True)
    user_cache.models_dir().mkdir(parents=True)
    (user_cache.downloads_dir() / "googlenet-12.onnx").write_bytes(bytes(1_500_000))
    (user_cache.downloads_dir() / "resnet34-v1-7.onnx").write_bytes(bytes(2_000_000))
    (user_cache.models_dir() / "vgg16-v3.onnx").write_bytes(bytes(500_000))
    (user_cache.models_dir() / "vgg16-v3.json").write_bytes(bytes(100))


def rows(dialog):
    return [tuple(dialog.table.item(r, c).text() for c in range(3)) for r in range(dialog.table.rowCount())]


def test_lists_sizes_and_deletes(qtbot, settings, cache):
    dialog = CacheDialog(settings)
    qtbot.addWidget(dialog)
    assert rows(dialog) == [("vgg16", "built-in", "0.5 MB"), ("googlenet-12", "download", "1.5 MB"),
                            ("resnet34-v1-7", "download", "2.0 MB")]
    assert dialog.total.text() == "3 entries, 4.0 MB in all"
    assert not dialog.delete_button.isEnabled()
    flags = QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows
    dialog.table.selectionModel().select(dialog.table.model().index(1, 0), flags)
    dialog.delete_button.click()
    assert not (user_cache.downloads_dir() / "googlenet-12.onnx").exists()
    assert [r[0] for r in rows(dialog)] == ["vgg16", "resnet34-v1-7"]
    assert dialog.total.text() == "2 entries, 2.5 MB in all"
    dialog.delete_all_button.click()
    assert user_cache.listing() == [] and rows(dialog) == []
    assert dialog.total.text() == "The cache is empty." and not dialog.delete_all_button.isEnabled()


def test_the_file_menu_opens_it(qtbot, settings, cache):
    window = MainWindow(settings=settings)
    qtbot.addWidget(window)
    action = next(a for a in window.findChildren(QAction) if a.text() == "Model &Cache…")
    action.trigger()
    dialog = window.findChild(CacheDialog)
    assert dialog is not None and dialog.isVisible() and len(rows(dialog)) == 3
    dialog.close()
    window.close()


def test_the_mirror_setting_is_where_the_download_comes_from(qtbot, explorer_view, tmp_path, monkeypatch):
    """The stand-in lists no public URL: only the mirror set in the dialog can provide the file."""
    install(monkeypatch, tmp_path / "cache", downloaded=False)
    folder = tmp_path / "classroom"
    folder.mkdir()
    (folder / FILE).write_bytes(tiny_model(features=16).SerializeToString())
    dialog = CacheDialog(explorer_view.settings)
    qtbot.addWidget(dialog)
    dialog.mirror_edit.setText(f"  {folder}  ")
    dialog.mirror_edit.editingFinished.emit()
    assert explorer_view.settings.value(MIRROR_KEY) == str(folder)
    explorer_view.select_model("googlenet-trained")
    explorer_view.picker.download_button.click()
    qtbot.waitUntil(lambda: explorer_view.state.explorer.shown_model() is not None, timeout=30_000)
    assert (user_cache.downloads_dir() / FILE).read_bytes() == (folder / FILE).read_bytes()
