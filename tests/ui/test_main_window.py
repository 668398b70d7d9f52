"""The main window as a user meets it: samples, files, bad files, drops, the clipboard, recent files, export."""
from __future__ import annotations

import cv2
import numpy as np
import pytest
from PySide6.QtCore import QMimeData, QPointF, QSettings, Qt, QUrl
from PySide6.QtGui import QDropEvent, QGuiApplication, QImage

from explorer.core import conv, lessons, samples
from explorer.state import session
from explorer.ui.main_window import MainWindow


@pytest.fixture
def window(qtbot, tmp_path):
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    win = MainWindow(settings=settings)
    qtbot.addWidget(win)
    win.set_image(samples.load_sample(samples.default_sample().name))
    yield win
    win.close()


def _open(window, qtbot, path) -> None:
    """Open a file the way the menu does (decoded on the task runner) and wait until it is on screen."""
    window.load_image_file(path)
    qtbot.waitUntil(lambda: not window.runner.is_busy("image"), timeout=10_000)


def _png(path, pixels):
    ok, data = cv2.imencode(".png", pixels)
    assert ok
    path.write_bytes(data.tobytes())
    return path


def test_opens_on_the_default_sample_and_the_playground_shows_its_convolution(window):
    sample = samples.load_sample(samples.default_sample().name)
    assert window.tabs.currentWidget() is window.playground
    np.testing.assert_array_equal(window.image.pixels, sample.pixels)
    expected = conv.output_shape(*sample.pixels.shape[:2], window.state.playground.conv_params())
    assert window.playground.output_map().shape == expected


def test_a_bad_file_gives_one_line_and_keeps_the_previous_image(window, qtbot, tmp_path):
    before = window.image
    bad = tmp_path / "holiday.png"
    bad.write_text("this is not a picture")
    _open(window, qtbot, bad)
    assert window.image is before
    assert "holiday.png" in window.message_text() and "\n" not in window.message_text()
    np.testing.assert_array_equal(window.playground.output_map().shape,
                                  conv.output_shape(*before.pixels.shape[:2], window.state.playground.conv_params()))


def test_opening_a_file_reaches_every_view_and_the_recent_menu(window, qtbot, tmp_path):
    path = _png(tmp_path / "edge.png", np.array([[255, 255, 255, 0, 0, 0]] * 6, np.uint8))
    _open(window, qtbot, path)
    assert window.image.pixels.shape == (6, 6)
    assert window.playground.output_map().shape == (4, 4)
    assert [a.text() for a in window._recent_menu.actions()] == ["edge.png"]


def test_dropping_an_image_file_loads_it(window, qtbot, tmp_path):
    path = _png(tmp_path / "drop.png", np.full((20, 30), 7, np.uint8))
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    event = QDropEvent(QPointF(10, 10), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                       Qt.KeyboardModifier.NoModifier)
    window.dropEvent(event)
    qtbot.waitUntil(lambda: window.image.pixels.shape == (20, 30), timeout=10_000)


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
    assert window.state.playground.conv_params() == item.params
    assert window.playground.caption.text() == item.explanation and window.playground.caption.isVisibleTo(window)


def _hover(window, unit) -> str:
    window.playground.flush()
    window.state.playground.hover_unit(unit)
    return window.playground.arithmetic.label.text()


def test_the_readout_never_describes_a_previous_example(window):
    """Alt+1, hover, Alt+2: the old panel kept "output[1,1] = 765" beside a map whose maximum is 4."""
    window.show_lesson("edge")
    assert "output[1, 1] = 765" in _hover(window, (1, 1))
    window.show_lesson("step-by-step")
    window.playground.flush()
    assert "765" not in window.playground.arithmetic.label.text()
    assert "output[1, 1] = 4" in _hover(window, (1, 1))


def test_a_pooled_readout_does_not_survive_a_smaller_map(window):
    window.show_lesson("pooling")
    assert "pooled output[101, 125]" in _hover(window, (101, 125))
    window.show_lesson("shrink")
    window.playground.flush()
    assert "pooled" not in window.playground.arithmetic.label.text()
    assert window.playground.output_canvas.marker.isVisible() is False


def test_taps_follow_an_edited_kernel_with_the_examples_dilation(window):
    window.show_lesson("dilation")
    _hover(window, (1, 1))
    window.playground.kernel_editor.set_cell(0, 0, 5.0)
    window.playground.flush()
    taps, _ = window.playground.taps.marked_taps()
    expected = conv.unit_receptive_field(1, 1, (7, 7), conv.ConvParams(3, 1, 0, 2)).taps
    assert sorted(map(tuple, taps)) == sorted(map(tuple, expected))
    assert "output[1, 1] = " in window.playground.arithmetic.label.text()
    assert float(window.playground.arithmetic.shown_sum) == float(window.playground.output_map()[1, 1])


def test_another_image_clears_the_readout_and_the_example(window, qtbot, tmp_path):
    window.show_lesson("edge")
    _hover(window, (1, 1))
    _open(window, qtbot, _png(tmp_path / "grey.png", np.full((9, 9), 128, np.uint8)))
    window.playground.flush()
    assert "765" not in window.playground.arithmetic.label.text()
    assert not window.playground.caption.isVisibleTo(window)


def test_captions_say_when_the_user_changed_the_example(window, qtbot):
    window.show()
    window.show_lesson("shrink")
    window.playground.shortcuts["Shift+P"].activated.emit()  # p 0 → "same": the map is 4×4 now
    assert window.playground.output_map().shape == (4, 4)
    assert "no longer apply" in window.playground.caption.text() and "p 0 → same" in window.playground.caption.text()
    window.playground.shortcuts["P"].activated.emit()  # back to the example's p = 0: its numbers hold again
    assert "only 2 positions fit" in window.playground.caption.text()
    window.show_lesson("edge")
    window.playground.kernel_editor.set_cell(0, 0, 2.0)
    assert "765" not in window.playground.caption.text() and "no longer apply" in window.playground.caption.text()


def test_title_and_status_write_the_size_the_same_way(window, qtbot, tmp_path):
    _open(window, qtbot, _png(tmp_path / "wide.png", np.zeros((15, 40), np.uint8)))
    window.playground.flush()
    assert "40×15" in window.message_text()
    assert "Input 40×15" in window.playground.input_canvas.plot.titleLabel.text


def test_the_window_reopens_where_the_user_left_it(qtbot, tmp_path, monkeypatch):
    monkeypatch.setenv(session.CONFIG_ENV, str(tmp_path / "config"))
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    first = MainWindow(settings=settings, restore_session=True)
    qtbot.addWidget(first)
    first.load_sample("coffee")
    first.state.playground.set_size(5)
    first.state.playground.stride = 2
    first.playground.magnify_box.setChecked(False)      # Z or the box: off, where the default is on
    first.state.tab = "mnist"
    first.close()
    second = MainWindow(settings=settings, restore_session=True)
    qtbot.addWidget(second)
    assert second.tabs.currentWidget() is second.mnist
    assert second.image.source == samples.load_sample("coffee").source
    assert second.state.playground.conv_params() == conv.ConvParams(5, 2, 0, 1)
    assert not second.playground.magnify_box.isChecked() and not second.state.playground.magnify
    second.close()


def test_a_damaged_session_gives_defaults_and_one_line(qtbot, tmp_path, monkeypatch):
    monkeypatch.setenv(session.CONFIG_ENV, str(tmp_path))
    (tmp_path / "session.json").write_text("{ half a session")
    window = MainWindow(settings=QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat),
                        restore_session=True)
    qtbot.addWidget(window)
    assert "session" in window.message_text() and "\n" not in window.message_text()
    assert window.state.playground.conv_params() == conv.ConvParams()
    window.close()


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
