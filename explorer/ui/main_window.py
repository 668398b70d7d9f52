"""The main window: menus, the status bar and the views as tabs, over one AppState and one TaskRunner.

The window owns the application state and the task runner and hands both to every view. Opening an image is a
task (a 40 MP photo decodes for half a second); its result goes into ``state.image``, which every view follows.
Bad input becomes a one-line message in the status bar and the previous image stays. The session (image, tab,
every parameter) is restored at start when asked and saved on close.
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
from PySide6.QtCore import QSettings
from PySide6.QtGui import (
    QAction,
    QDragEnterEvent,
    QDropEvent,
    QGuiApplication,
    QImage,
    QKeySequence,
)
from PySide6.QtWidgets import (
    QFileDialog,
    QLabel,
    QMainWindow,
    QSizePolicy,
    QTabWidget,
    QWidget,
)

from explorer.core import images, lessons, samples
from explorer.core.errors import UserError
from explorer.state import AppState, session
from explorer.state.app import TABS
from explorer.state.image import size_text
from explorer.ui import presenter, zoom
from explorer.ui.binding import connect
from explorer.ui.cache_dialog import CacheDialog
from explorer.ui.lecture.compare_view import CompareView
from explorer.ui.lecture.lesson_view import LessonView
from explorer.ui.live_controls import LiveToolbar, add_source_actions
from explorer.ui.live_source import LiveController
from explorer.ui.model_explorer.live_runs import RUNS
from explorer.ui.model_explorer.readouts import short_provider
from explorer.workers import tasks
from explorer.workers.runner import TaskRunner

IMAGE_FILTER = "Images (*.png *.jpg *.jpeg *.bmp *.tif *.tiff *.webp);;All files (*)"
MAX_RECENT = 8


class MainWindow(QMainWindow):
    def __init__(self, settings: QSettings | None = None, parent: QWidget | None = None,
                 state: AppState | None = None, restore_session: bool = False) -> None:
        super().__init__(parent)
        self.setWindowTitle("CNN Explorer")
        self.setAcceptDrops(True)
        self._settings = settings or QSettings("cnn-explorer", "cnn-explorer")
        self._save_session = restore_session  # a window that did not start from the session must not overwrite it
        self.state = state or AppState()
        restore_note = session.load(self.state) if restore_session else ""
        self.runner = TaskRunner(self)

        from explorer.ui.mnist.view import MnistView
        from explorer.ui.model_explorer.view import ModelExplorerView
        from explorer.ui.playground.view import PlaygroundView

        self.playground = PlaygroundView(self.state, self.runner)
        self.explorer = ModelExplorerView(self.state, self.runner, settings=self._settings)
        self.mnist = MnistView(self.state, self.runner)
        self.tabs = QTabWidget()
        self.tabs.addTab(self.playground, "Convolution Playground")
        self.tabs.addTab(self.explorer, "Model Explorer")
        self.tabs.addTab(self.mnist, "MNIST: CNN vs fully connected")
        self.lesson = LessonView(self.state)
        self.compare = CompareView(self.state, self.runner)
        self.tabs.addTab(self.lesson, "Lesson")
        self.tabs.addTab(self.compare, "Compare architectures")

        self._message = QLabel()
        # A long message must not widen the window past a 1024 px projector: it is cut at the window's edge and
        # the tooltip holds all of it.
        self._message.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self._provider = QLabel("Provider: –")
        self._provider.setToolTip("The onnxruntime execution provider that really runs the models.")
        self.statusBar().addWidget(self._message, 1)
        self.statusBar().addPermanentWidget(self._provider)
        connect(self, self.state.explorer.events.loaded, self._show_provider)
        connect(self, self.state.image.events.image, self._image_changed)
        connect(self, self.state.status.events.text, self._show_status)
        self.tabs.setCurrentIndex(TABS.index(self.state.tab))
        self.tabs.currentChanged.connect(lambda i: setattr(self.state, "tab", TABS[i]))
        connect(self, self.state.events.tab, lambda *_: self.tabs.setCurrentIndex(TABS.index(self.state.tab)))

        self.live = LiveController(self.state, self.runner, self)
        self.live.allow_overlap(RUNS, self.explorer.live_runs.room_in)
        self.live_toolbar = LiveToolbar(self.live, self)
        self.addToolBar(self.live_toolbar)
        self._build_menus()
        # Before the presenter applies a restored zoom to the window: the views' fonts are still at zoom 1 here,
        # so their base sizes are read right (and chart titles start at LABEL_PT, not pyqtgraph's 9 pt).
        zoom.apply(self.tabs, self.state.zoom, self.state.theme)
        self.setCentralWidget(presenter.install(self, self.state, self.tabs))
        self.resize(1500, 950)
        if restore_session:
            self._reopen_image(restore_note)

    @property
    def image(self) -> images.LoadedImage | None:
        return self.state.image.image

    # ----- menus -----------------------------------------------------------------------------------------------
    def _action(self, text: str, slot, shortcut: QKeySequence | str | None = None, tip: str = "") -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        action.setStatusTip(tip)
        action.setToolTip(tip)
        action.triggered.connect(slot)
        return action

    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        file_menu.addAction(self._action("&Open Image…", self.open_image_dialog, QKeySequence.StandardKey.Open,
                                         "Open a photo or picture to convolve and feed to the models."))
        file_menu.addAction(self._action("Open &ONNX Model…", self._open_model_dialog, "Ctrl+Shift+O",
                                         "Open your own ONNX model in the Model Explorer."))
        file_menu.addAction(self._action("&Paste Image", self.paste_image, QKeySequence.StandardKey.Paste,
                                         "Use the image on the clipboard."))
        add_source_actions(file_menu, self.live, self)
        self._samples_menu = file_menu.addMenu("&Samples")
        for sample in samples.samples():
            action = self._action(sample.title, lambda _=False, s=sample: self.load_sample(s.name), tip=sample.description)
            self._samples_menu.addAction(action)
        self._recent_menu = file_menu.addMenu("&Recent Images")
        self._refresh_recent_menu()
        file_menu.addSeparator()
        file_menu.addAction(self._action("&Export Output Map…", self._export_output_dialog, "Ctrl+E",
                                         "Save the Playground's output map as a PNG."))
        file_menu.addAction(self._action("Export &View as Image…", self._export_view_dialog, "Ctrl+Shift+E",
                                         "Save a picture of the current view, e.g. for slides."))
        file_menu.addAction(self._action("Model &Cache…", lambda: CacheDialog(self._settings, self).open(),
                                         tip="See and delete cached models; set your own download mirror."))
        file_menu.addSeparator()
        file_menu.addAction(self._action("&Quit", self.close, QKeySequence.StandardKey.Quit))

        lecture_menu = self.menuBar().addMenu("&Lecture")
        for index, item in enumerate(lessons.LESSONS, start=1):
            lecture_menu.addAction(self._action(item.title, lambda _=False, key=item.key: self.show_lesson(key),
                                                f"Alt+{index}" if index <= 9 else None, item.explanation))

        view_menu = self.menuBar().addMenu("&View")
        for index in range(self.tabs.count()):
            view_menu.addAction(self._action(self.tabs.tabText(index), lambda _=False, i=index: self.tabs.setCurrentIndex(i),
                                             f"Ctrl+{index + 1}"))
        view_menu.addSeparator()
        view_menu.addAction(self._action("&Full Screen", self._toggle_full_screen, "F11",
                                         "Fill the screen, e.g. on a projector."))

        help_menu = self.menuBar().addMenu("&Help")
        help_menu.addAction(self._action("&About CNN Explorer", self._about))

    def _toggle_full_screen(self) -> None:
        self.showNormal() if self.isFullScreen() else self.showFullScreen()

    def _about(self) -> None:
        from explorer.ui.about import show_about  # noqa: PLC0415 (kept local: one hunk in a busy file)
        show_about(self, self.provider_text())

    # ----- images ----------------------------------------------------------------------------------------------
    def set_image(self, image: images.LoadedImage, origin: str = "") -> None:
        """Make ``image`` the one every view shows; ``origin`` says how a later session can reopen it."""
        self.state.image.set(image, origin)

    def _image_changed(self, *_: object) -> None:
        image = self.state.image.image
        notes = f" — {'; '.join(image.notes)}" if image.notes else ""
        self.state.status.show(f"{image.source}: {size_text(image.pixels.shape)}{notes}", topic="image")

    def load_image_file(self, path: str | Path) -> None:
        """Decode on the task runner (a 40 MP photo takes ~0.5 s); the current image stays until it is ready."""
        path = Path(path)
        self.state.image.loading = path.name
        self.state.status.show(f"Opening {path.name}…", topic="image")

        def opened(image: images.LoadedImage) -> None:
            self.state.image.loading = ""
            self.set_image(image, f"file:{path.resolve()}")
            self._remember_recent(path)

        def failed(message: str) -> None:
            self.state.image.loading = ""
            self.state.status.show(message, error=True, topic="image")
            if self.image is None:  # nothing on screen yet (a restored session's file has gone): a sample instead
                self.load_sample(samples.default_sample().name)

        self.runner.submit("image", tasks.decode_image, str(path), on_done=opened, on_error=failed)

    def load_sample(self, name: str) -> None:
        self.set_image(samples.load_sample(name), f"sample:{name}")

    def _reopen_image(self, note: str) -> None:
        """The session's picture: a sample or a file (decoded as a task); a lecture example is set up again."""
        origin = self.state.image.origin
        kind, _, value = origin.partition(":")
        try:
            if kind == "sample":
                self.load_sample(value)
            elif kind == "lesson":
                self.set_image(lessons.lesson(value).image(), origin)
            elif kind == "file":
                self.load_image_file(value)
        except UserError as exc:
            note = note or f"Could not reopen the last image: {exc}"
        if note:
            self.state.status.show(note, error=True, topic="session")

    def open_image_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open image", self._last_folder(), IMAGE_FILTER)
        if path:
            self.load_image_file(path)

    def show_lesson(self, key: str) -> None:
        """One of the lecture's worked examples in the Playground: its image, kernel and parameters together."""
        item = lessons.lesson(key)
        self.state.tab = "playground"
        self.set_image(item.image(), f"lesson:{key}")
        self.state.playground.apply_lesson(item)  # its caption stays on screen; the status bar is shared

    def paste_image(self) -> None:
        clipboard = QGuiApplication.clipboard()
        mime = clipboard.mimeData()
        if mime is not None and mime.hasUrls():
            for url in mime.urls():
                if url.isLocalFile():
                    self._open_dropped(Path(url.toLocalFile()))
                    return
        qimage = clipboard.image()
        if qimage.isNull():
            self.show_message("The clipboard holds no image: copy a picture (or an image file) first, then paste.")
            return
        try:
            self.set_image(images.from_array(qimage_to_rgba(qimage), "clipboard"))
        except UserError as exc:
            self.show_message(str(exc))

    def _show_provider(self, *_: object) -> None:
        loaded = self.state.explorer.loaded
        if loaded is not None:
            self._provider.setText(f"Provider: {short_provider(loaded.provider)}")

    # ----- drag and drop ---------------------------------------------------------------------------------------
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802 (Qt naming)
        if event.mimeData().hasUrls() or event.mimeData().hasImage():
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802
        mime = event.mimeData()
        for url in mime.urls():
            if url.isLocalFile():
                self._open_dropped(Path(url.toLocalFile()))
                event.acceptProposedAction()
                return
        if mime.hasImage():
            self.set_image(images.from_array(qimage_to_rgba(QImage(mime.imageData())), "dropped image"))
            event.acceptProposedAction()

    def _open_dropped(self, path: Path) -> None:
        if path.suffix.lower() == ".onnx":
            self.tabs.setCurrentWidget(self.explorer)
            self.explorer.open_model_file(str(path))
        else:
            self.load_image_file(path)

    def _open_model_dialog(self) -> None:
        self.tabs.setCurrentWidget(self.explorer)
        self.explorer.open_model_dialog()

    # ----- export ----------------------------------------------------------------------------------------------
    def _export_output_dialog(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export output map", "output-map.png", "PNG (*.png)")
        if path:
            self.playground.export_output_png(path)

    def _export_view_dialog(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export view", "cnn-explorer-view.png", "PNG (*.png)")
        if path:
            self.export_view_png(path)

    def export_view_png(self, path: str | Path) -> bool:
        ok = self.tabs.currentWidget().grab().save(str(path))
        self.show_message(f"Saved {path}" if ok else f"Could not save {path}: choose another folder.", error=not ok)
        return ok

    # ----- recent files ----------------------------------------------------------------------------------------
    def _recent(self) -> list[str]:
        value = self._settings.value("recent_images", [])
        return [value] if isinstance(value, str) else list(value or [])

    def _remember_recent(self, path: Path) -> None:
        entries = [str(path.resolve())] + [p for p in self._recent() if p != str(path.resolve())]
        self._settings.setValue("recent_images", entries[:MAX_RECENT])
        self._refresh_recent_menu()

    def _refresh_recent_menu(self) -> None:
        self._recent_menu.clear()
        for entry in self._recent():
            self._recent_menu.addAction(self._action(Path(entry).name, lambda _=False, p=entry: self.load_image_file(p),
                                                     tip=entry))
        self._recent_menu.setEnabled(bool(self._recent()))

    def _last_folder(self) -> str:
        recent = self._recent()
        return str(Path(recent[0]).parent) if recent else str(Path.home())

    # ----- messages and shutdown -------------------------------------------------------------------------------
    def show_message(self, text: str, error: bool = True) -> None:
        self.state.status.show(text, error=error, topic="window")

    def _show_status(self, *_: object) -> None:
        status = self.state.status
        self._message.setStyleSheet("color: #b00020; font-weight: bold;" if status.error else "")
        self._message.setText(status.text)
        self._message.setToolTip(status.text)

    def message_text(self) -> str:
        return self._message.text()

    def provider_text(self) -> str:
        return self._provider.text()

    def closeEvent(self, event) -> None:  # noqa: N802
        # Background work stops before the Qt objects go; a task stuck in a native call is abandoned after 1 s.
        for view in (self.live, self.playground, self.explorer, self.mnist):
            view.shutdown()
        self.runner.shutdown(1.0)
        if self._save_session:
            try:
                session.save(self.state)
            except OSError as exc:
                print(f"Could not save the session: {exc}", file=sys.stderr)
        super().closeEvent(event)


def qimage_to_rgba(qimage: QImage) -> np.ndarray:
    """Copy a QImage into an (H,W,4) uint8 RGBA array; core ``from_array`` flattens transparency like it does for files."""
    converted = qimage.convertToFormat(QImage.Format.Format_RGBA8888)
    h, w, stride = converted.height(), converted.width(), converted.bytesPerLine()
    buffer = np.frombuffer(converted.constBits(), dtype=np.uint8, count=h * stride).reshape(h, stride)
    return buffer[:, : w * 4].reshape(h, w, 4).copy()
