"""Render the README's screenshots (docs/*.png) offscreen with the real app: run after visible changes.

    .venv/bin/python tools/make_screenshots.py
"""
from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

os.environ["QT_QPA_PLATFORM"] = "offscreen"

import cv2  # noqa: E402
from PySide6.QtCore import QSettings  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

import explorer.ui  # noqa: E402,F401  (pyqtgraph options, as the app sets them)
from explorer.app import _dispose, _settle, _wait_until  # noqa: E402
from explorer.core import samples  # noqa: E402
from explorer.ui.main_window import MainWindow  # noqa: E402

DOCS = Path(__file__).resolve().parents[1] / "docs"
SIZE = (1600, 1000)
SHOWN = (1200, 750)  # README width; INTER_AREA keeps text legible


def save(window: MainWindow, name: str) -> None:
    path = DOCS / name
    window.grab().save(str(path))
    shrunk = cv2.resize(cv2.imread(str(path)), SHOWN, interpolation=cv2.INTER_AREA)
    cv2.imwrite(str(path), shrunk, [cv2.IMWRITE_PNG_COMPRESSION, 9])
    print(path)


def main() -> int:
    app = QApplication(sys.argv[:1])
    settings = QSettings(tempfile.mktemp(suffix=".ini"), QSettings.Format.IniFormat)  # not the user's
    window = MainWindow(settings=settings)
    window.resize(*SIZE)
    window.show()
    try:
        window.show_lesson("dilation")
        _settle(app)
        window.playground.hover_output(1, 2)
        _settle(app)
        save(window, "screenshot-playground.png")

        window.set_image(samples.load_sample(samples.default_sample().name))
        window.tabs.setCurrentWidget(window.explorer)
        window.explorer.select_model("googlenet")
        if not _wait_until(app, window.explorer.has_results, 120):
            print("GoogLeNet gave no activations in 120 s", file=sys.stderr)
            return 1
        window.explorer.select_row(15)  # inception_3a/3x3: a mid-network layer with a larger receptive field
        _settle(app, 0.5)
        save(window, "screenshot-explorer.png")
    finally:
        _dispose(app, window)
    return 0


if __name__ == "__main__":
    started = time.perf_counter()
    code = main()
    print(f"{time.perf_counter() - started:.1f} s")
    raise SystemExit(code)
