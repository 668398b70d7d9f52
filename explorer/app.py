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
            self_test: bool = False) -> int:
    if screenshot or self_test:
        os.environ["QT_QPA_PLATFORM"] = "offscreen"  # render without a display, before Qt starts
    from explorer.core.memory import keep_freed_buffers_for_reuse

    keep_freed_buffers_for_reuse()  # slider drags re-allocate megabyte maps; see bench/README.md
    from PySide6.QtWidgets import QApplication

    import explorer.ui  # noqa: F401  (sets pyqtgraph's global options before any widget exists)
    from explorer.core import samples
    from explorer.core.errors import UserError
    from explorer.ui.main_window import MainWindow

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("CNN Explorer")
    app.setOrganizationName("cnn-explorer")
    _set_icon(app)
    if self_test:
        return _self_test(app)

    window = MainWindow()
    if image:
        if not window.load_image_file(image):
            raise UserError(window.message_text())
    else:
        window.set_image(samples.load_sample(samples.default_sample().name))
    if model:
        window.tabs.setCurrentWidget(window.explorer)
        window.explorer.select_model(model)
    window.resize(*SCREENSHOT_SIZE) if screenshot else None
    window.show()
    if screenshot:
        if model:
            _wait_until(app, window.explorer.has_results, WAIT_SECONDS)
        _settle(app)
        ok = window.grab().save(screenshot)
        window.close()
        if not ok:
            raise UserError(f"Could not write the screenshot to {screenshot}: choose another folder.")
        print(screenshot)
        return 0
    return app.exec()


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
    """Open the window offscreen, convolve a bundled sample, run LeNet-5 on the worker thread, save a screenshot.

    Exit 0 when every step works, 1 with a one-line reason otherwise: it is what CI runs on the packaged app.
    """
    from explorer.core import conv, samples
    from explorer.ui.main_window import MainWindow

    steps: list[str] = []

    def fail(reason: str) -> int:
        print(f"self-test FAILED: {reason}", file=sys.stderr)
        return 1

    window = MainWindow()
    window.resize(*SCREENSHOT_SIZE)
    window.show()
    sample = samples.load_sample(samples.default_sample().name)
    window.set_image(sample)
    _settle(app)
    output = window.playground.output_map()
    expected = conv.output_shape(*sample.pixels.shape[:2], window.playground.conv_params())
    if output is None or output.shape != expected:
        return fail(f"Playground output {None if output is None else output.shape}, expected {expected}")
    steps.append(f"playground convolution {expected[0]}×{expected[1]}")

    window.tabs.setCurrentWidget(window.explorer)
    window.explorer.select_model("lenet5")
    if not _wait_until(app, window.explorer.has_results, WAIT_SECONDS):
        return fail(f"LeNet-5 inference gave no result within {WAIT_SECONDS:.0f} s: {window.message_text()}")
    steps.append(f"LeNet-5 inference through the worker thread ({window.provider_text()})")
    _settle(app)
    shot = Path(tempfile.gettempdir()) / "cnn-explorer-self-test.png"
    if not window.grab().save(str(shot)):
        return fail(f"could not save the screenshot {shot}")
    steps.append(f"screenshot {shot}")
    window.close()
    print("self-test passed: " + "; ".join(steps))
    return 0
