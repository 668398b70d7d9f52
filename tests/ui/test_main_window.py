"""The main window as a user meets it: samples, files, bad files, drops, the clipboard, recent files, export."""
from __future__ import annotations

import cv2
import numpy as np
import pytest
from PySide6.QtCore import QMimeData, QPointF, QSettings, Qt, QUrl
from PySide6.QtGui import QDropEvent, QGuiApplication, QImage

from explorer.core import conv, lessons, samples
from explorer.ui.main_window import MainWindow


@pytest.fixture
def window(qtbot, tmp_path):
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    win = MainWindow(settings=settings)
    qtbot.addWidget(win)
    win.set_image(samples.load_sample(samples.default_sample().name))
    yield win
    win.close()


def _png(path, pixels):
    ok, data = cv2.imencode(".png", pixels)
    assert ok
    path.write_bytes(data.tobytes())
    return path


def test_opens_on_the_default_sample_and_the_playground_shows_its_convolution(window):
    sample = samples.load_sample(samples.default_sample().name)
    assert window.tabs.currentWidget() is window.playground
    np.testing.assert_array_equal(window.image.pixels, sample.pixels)
    expected = conv.output_shape(*sample.pixels.shape[:2], window.playground.conv_params())
    assert window.playground.output_map().shape == expected


def test_a_bad_file_gives_one_line_and_keeps_the_previous_image(window, tmp_path):
    before = window.image
    bad = tmp_path / "holiday.png"
    bad.write_text("this is not a picture")
    assert not window.load_image_file(bad)
    assert window.image is before
    assert "holiday.png" in window.message_text() and "\n" not in window.message_text()
    np.testing.assert_array_equal(window.playground.output_map().shape,
                                  conv.output_shape(*before.pixels.shape[:2], window.playground.conv_params()))


def test_opening_a_file_reaches_every_view_and_the_recent_menu(window, tmp_path):
    path = _png(tmp_path / "edge.png", np.array([[255, 255, 255, 0, 0, 0]] * 6, np.uint8))
    assert window.load_image_file(path)
    assert window.image.pixels.shape == (6, 6)
    assert window.playground.output_map().shape == (4, 4)
    assert [a.text() for a in window._recent_menu.actions()] == ["edge.png"]


def test_dropping_an_image_file_loads_it(window, tmp_path):
    path = _png(tmp_path / "drop.png", np.full((20, 30), 7, np.uint8))
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    event = QDropEvent(QPointF(10, 10), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                       Qt.KeyboardModifier.NoModifier)
    window.dropEvent(event)
    assert window.image.pixels.shape == (20, 30)


def test_pasting_an_image_from_the_clipboard(window):
    picture = QImage(40, 24, QImage.Format.Format_RGB888)
    picture.fill(Qt.GlobalColor.red)
    QGuiApplication.clipboard().setImage(picture)
    window.paste_image()
    assert window.image.source == "clipboard"
    assert window.image.pixels.shape == (24, 40, 3)
    assert tuple(window.image.pixels[0, 0]) == (255, 0, 0)


def test_export_view_writes_the_current_tab(window, tmp_path):
    out = tmp_path / "view.png"
    assert window.export_view_png(out)
    picture = cv2.imread(str(out))
    assert picture is not None and picture.shape[0] > 100


def test_every_tab_is_reachable_by_shortcut(window):
    view_menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&View")
    shortcuts = [a.shortcut().toString() for a in view_menu.actions() if not a.isSeparator()]
    assert shortcuts[: window.tabs.count()] == [f"Ctrl+{i + 1}" for i in range(window.tabs.count())]


@pytest.mark.parametrize("key", [item.key for item in lessons.LESSONS])
def test_each_lecture_example_sets_the_playground_to_its_numbers(window, key):
    item = lessons.lesson(key)
    window.show_lesson(key)
    image = item.image()
    expected = conv.playground_forward(image.pixels, item.kernel_array(), item.params, item.mode, item.pool).output
    np.testing.assert_array_equal(window.playground.output_map(), expected)
    assert window.playground.conv_params() == item.params
    assert window.playground.caption.text() == item.explanation and window.playground.caption.isVisibleTo(window)


def test_lecture_menu_lists_every_example_with_a_shortcut(window):
    menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&Lecture")
    assert [a.text() for a in menu.actions()] == [item.title for item in lessons.LESSONS]
    assert menu.actions()[0].shortcut().toString() == "Alt+1"


def test_the_explorer_keeps_its_recent_models_in_the_windows_settings(window, qtbot, tmp_path):
    from explorer.core.paths import onnx_models_dir

    path = str(onnx_models_dir() / "mlp500_mnist.onnx")
    window.explorer.open_model_file(path)
    qtbot.waitUntil(lambda: window.state.explorer.loaded is not None and window.state.explorer.loaded.key == path, timeout=60_000)
    assert window.explorer.picker.recent() == [path]
    assert window._settings.fileName().startswith(str(tmp_path))  # the fixture's file, not the user's
