"""Starting the GUI: the normal window, an offscreen screenshot, or the packaged app's self-test."""
from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

SCREENSHOT_SIZE = (1600, 1000)
WAIT_SECONDS = 120.0  # first use of a big built-in model builds it; a screenshot waits for that


def run_gui(image: str | None = None, model: str | None = None, screenshot: str | None = None,
            self_test: bool = False, video: str | None = None, camera: int | None = None,
            size: tuple[int, int] | None = None, tab: str | None = None, zoom: float | None = None,
            theme: str | None = None) -> int:
    if screenshot or self_test:
        os.environ["QT_QPA_PLATFORM"] = "offscreen"  # render without a display, before Qt starts
    _check_linux_display_libraries()
    from explorer.core.memory import keep_freed_buffers_for_reuse, spare_imported_code_from_full_collections

    keep_freed_buffers_for_reuse()  # slider drags re-allocate megabyte maps; see bench/README.md
    from PySide6.QtWidgets import QApplication

    import explorer.ui  # noqa: F401  (sets pyqtgraph's global options before any widget exists)
    from explorer.core import catalog, images, samples
    from explorer.core.errors import UserError
    from explorer.ui.main_window import MainWindow

    spare_imported_code_from_full_collections()
    # Bad arguments fail here, before any window or worker thread exists: one line, exit 2.
    loaded = images.load_image(image) if image else None
    if video or camera is not None:
        from explorer.core.video import check_source

        check_source(video, camera)
    if model:
        catalog.resolve(model)  # a name 'cnn-explorer models' lists or an .onnx file, else one line and exit 2

    _quiet_known_offscreen_warning()
    app = QApplication.instance() or QApplication(sys.argv[:1])
    # Python's cycle collector runs on whichever thread allocates: on a task thread it can destroy a Qt object
    # while the GUI thread holds that object's mutex, and both wait for ever (seen in the tests). Collect on a
    # timer in the GUI thread instead (pyqtgraph's helper disables the automatic collector).
    from pyqtgraph.util.garbage_collector import GarbageCollector

    collector = GarbageCollector(interval=1.0)  # noqa: F841 - lives as long as run_gui
    app.setApplicationName("CNN Explorer")
    app.setOrganizationName("cnn-explorer")
    _set_icon(app)
    if self_test:
        return _self_test(app)

    # A real session reopens where the user left it; a screenshot is reproducible from its arguments alone.
    window = MainWindow(settings=_throwaway_settings() if screenshot else None, restore_session=not screenshot)
    try:
        if loaded is not None:
            window.set_image(loaded, f"file:{Path(image).resolve()}")
        elif window.image is None and not window.state.image.loading:
            window.load_sample(samples.default_sample().name)
        if video or camera is not None:  # a screenshot shows the first frame, paused
            window.live.open_from_command_line(video, camera, playing=not screenshot)
            if screenshot and not _wait_until(app, window.live.has_frame, WAIT_SECONDS):
                raise UserError(f"No frame arrived from the video or camera: {window.message_text()}")
        if model:
            window.tabs.setCurrentWidget(window.explorer)
            window.explorer.select_model(model)
        if tab:
            window.state.tab = tab
        if zoom is not None:
            window.state.zoom = zoom
        if theme is not None:
            window.state.theme = theme
        if screenshot:
            return _save_screenshot(app, window, screenshot, wait_for_model=bool(model), size=size or SCREENSHOT_SIZE)
        window.show()
        return app.exec()
    finally:
        _dispose(app, window)


def _save_screenshot(app, window, path: str, wait_for_model: bool, size: tuple[int, int] = SCREENSHOT_SIZE) -> int:
    from explorer.core.errors import UserError

    window.resize(*size)
    window.show()
    _check_size(window, size)
    if wait_for_model and not _wait_until(app, window.explorer.has_results, WAIT_SECONDS):
        raise UserError(f"The model gave no activations within {WAIT_SECONDS:.0f} s: {window.message_text()}")
    window.playground.flush()  # the Playground's map is a background task too: draw the finished one
    _settle(app, 0.5)          # pyqtgraph widens an axis for its tick text on one paint and draws it on the next
    _check_size(window, size)  # again: views filled in after showing can widen the window past the size asked for
    if not window.grab().save(path):
        raise UserError(f"Could not write the screenshot to {path}: choose another folder.")
    print(path)
    return 0


def _check_size(window, size: tuple[int, int]) -> None:
    from explorer.core.errors import UserError

    if (window.width(), window.height()) != size:
        hint = window.minimumSizeHint()
        raise UserError(f"The window cannot be {size[0]}×{size[1]} (its minimum is {hint.width()}×{hint.height()}): "
                        "choose a larger --size or a smaller --zoom.")


def _throwaway_settings():
    """Screenshots and the self-test must not add to the user's recent files or remembered recipes."""
    from PySide6.QtCore import QSettings

    path = Path(tempfile.gettempdir()) / f"cnn-explorer-offscreen-{os.getpid()}.ini"
    path.unlink(missing_ok=True)
    return QSettings(str(path), QSettings.Format.IniFormat)


def _dispose(app, window) -> None:
    """Close (stopping worker threads) and delete the window while the QApplication still exists.

    Left to interpreter shutdown, Python destroys the widgets in no particular order after Qt has begun tearing
    down, which segfaulted about 1 exit in 15 here; deleting them here makes teardown deterministic."""
    from PySide6.QtCore import QEvent

    window.close()
    window.deleteLater()
    app.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    app.processEvents()


# Qt's X11 plugin needs these system libraries; no pip package provides them (Debian/Ubuntu package names).
XCB_LIBRARIES = {"xcb-cursor": "libxcb-cursor0", "xcb-icccm": "libxcb-icccm4", "xcb-keysyms": "libxcb-keysyms1"}


def _check_linux_display_libraries() -> None:
    """Without them Qt aborts with "no Qt platform plugin could be initialized"; say instead what to install."""
    import ctypes.util

    from explorer.core.errors import UserError

    platform = os.environ.get("QT_QPA_PLATFORM", "")
    uses_xcb = platform == "xcb" or (not platform and not os.environ.get("WAYLAND_DISPLAY"))
    if not sys.platform.startswith("linux") or not uses_xcb:
        return
    if not os.environ.get("DISPLAY"):
        raise UserError("No display to open the window on (DISPLAY is not set): start it from a desktop session, "
                        "or use --screenshot OUT.png to render offscreen.")
    missing = [package for library, package in XCB_LIBRARIES.items()
               if not _bundled_library(library) and ctypes.util.find_library(library) is None]
    if missing:
        raise UserError(f"The window needs the system libraries {', '.join(missing)}: install them "
                        f"(e.g. 'sudo apt install {' '.join(missing)}') and start again.")


def _bundled_library(name: str) -> bool:
    """The frozen app carries the libraries its build machine had (PyInstaller copies them next to Qt's)."""
    bundle = getattr(sys, "_MEIPASS", None)
    return bool(bundle) and any(Path(bundle).glob(f"lib{name}.so*"))


def _quiet_known_offscreen_warning() -> None:
    """Qt's offscreen platform prints "This plugin does not support propagateSizeHints()" for every window: harmless,
    but it is all a user of --screenshot would see. Drop exactly that line; pass every other message on."""
    from PySide6.QtCore import qInstallMessageHandler

    def handler(_mode, _context, message: str) -> None:
        if "propagateSizeHints" not in message:
            print(message, file=sys.stderr)

    qInstallMessageHandler(handler)


def _set_icon(app) -> None:
    from PySide6.QtGui import QIcon

    from explorer.core.paths import assets_dir

    icon = assets_dir() / "icon.png"
    if icon.exists():
        app.setWindowIcon(QIcon(str(icon)))


def _settle(app, seconds: float = 0.1) -> None:
    """Let queued paints and timers run so a grab shows the finished window."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        app.processEvents()
        time.sleep(0.01)


def _wait_until(app, condition, timeout: float) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        app.processEvents()
        if condition():
            return True
        time.sleep(0.01)
    return False


def _self_test(app) -> int:
    """Open the window offscreen, convolve a bundled sample and a generated clip's frame, run LeNet-5 on the worker
    thread on the sample and live on the clip, save a screenshot.

    Exit 0 when every step works, 1 with a one-line reason otherwise: it is what CI runs on the packaged app.
    """
    from explorer.ui.main_window import MainWindow

    window = MainWindow(settings=_throwaway_settings())
    try:
        failure, steps = _self_test_steps(app, window)
    finally:
        _dispose(app, window)
    if failure:
        print(f"self-test FAILED: {failure}", file=sys.stderr)
        return 1
    print("self-test passed: " + "; ".join(steps))
    return 0


def _self_test_steps(app, window) -> tuple[str | None, list[str]]:
    """Run the steps in order; (the first failure or None, what passed)."""
    from explorer.core import conv, samples, video

    steps: list[str] = []
    window.resize(*SCREENSHOT_SIZE)
    window.show()
    sample = samples.load_sample(samples.default_sample().name)
    window.set_image(sample)
    _settle(app)
    output = window.playground.output_map()
    expected = conv.output_shape(*sample.pixels.shape[:2], window.state.playground.conv_params())
    if output is None or output.shape != expected:
        return f"Playground output {None if output is None else output.shape}, expected {expected}", steps
    steps.append(f"playground convolution {expected[0]}×{expected[1]}")

    clip = video.write_video(Path(tempfile.gettempdir()) / "cnn-explorer-self-test.avi", video.moving_bars(5, (320, 240)))
    window.live.open_video(clip, playing=False)
    window.live.step()  # the first frame through the reader task, OpenCV's FFmpeg and the Playground
    if not _wait_until(app, window.live.has_frame, WAIT_SECONDS) or window.state.live.shown == 0:
        return f"no frame from a generated video: {window.message_text()}", steps
    output = window.playground.output_map()
    expected = conv.output_shape(240, 320, window.state.playground.conv_params())
    window.live.still_image()
    if output is None or output.shape != expected:
        return f"Playground output on a video frame {None if output is None else output.shape}, expected {expected}", steps
    steps.append("video frame through the live reader")

    window.tabs.setCurrentWidget(window.explorer)
    window.explorer.select_model("lenet5")
    if not _wait_until(app, window.explorer.has_results, WAIT_SECONDS):
        return f"LeNet-5 inference gave no result within {WAIT_SECONDS:.0f} s: {window.message_text()}", steps
    steps.append(f"LeNet-5 inference through the worker thread ({window.provider_text()})")

    # The clip again, playing: live runs fetch the shown layer and the prediction alone (workers/live_tasks.py).
    window.live.open_video(clip)
    painted = _wait_until(app, lambda: getattr(window.state.explorer.result, "live", False), WAIT_SECONDS)
    window.live.still_image()
    if not painted:
        return f"no live LeNet-5 prediction on a generated video: {window.message_text()}", steps
    steps.append("LeNet-5 live on a video (shown layer and prediction)")
    if not _wait_until(app, window.explorer.has_results, WAIT_SECONDS):  # every activation of the still again
        return f"LeNet-5 gave no result on the still image after the video: {window.message_text()}", steps
    _settle(app)
    # A private folder: a fixed /tmp name belongs to whichever user ran the self-test first.
    shot = Path(tempfile.mkdtemp(prefix="cnn-explorer-self-test-")) / "self-test.png"
    if not window.grab().save(str(shot)):
        return f"could not save the screenshot {shot}", steps
    steps.append(f"screenshot {shot}")
    return None, steps
