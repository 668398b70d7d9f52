"""Render one lesson step offscreen, as the class would see it after clicking to it (the app's --screenshot has
no way to pick a step; this drives the same state the clicker does).

    .venv/bin/python -m tools.lesson_screenshot sparse /tmp/sparse.png --size 1024x768 [--zoom 1.5 --theme projector]
    (from the repository root)
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile

os.environ["QT_QPA_PLATFORM"] = "offscreen"

from PySide6.QtCore import QSettings  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

import explorer.ui  # noqa: E402,F401  (pyqtgraph options, as the app sets them)
from explorer.app import _dispose, _settle  # noqa: E402
from explorer.core import lesson_steps, samples  # noqa: E402
from explorer.state.lesson import go_to  # noqa: E402
from explorer.ui.main_window import MainWindow  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("step", choices=[s.key for s in lesson_steps.STEPS])
    parser.add_argument("out")
    parser.add_argument("--size", default="1024x768", help="window size WxH")
    parser.add_argument("--zoom", type=float, default=1.0, help="presentation zoom, e.g. 1.5")
    parser.add_argument("--theme", choices=("normal", "projector"), default="normal")
    args = parser.parse_args()
    width, height = (int(v) for v in args.size.lower().split("x"))
    app = QApplication(sys.argv[:1])
    settings = QSettings(tempfile.mktemp(suffix=".ini"), QSettings.Format.IniFormat)  # not the user's
    window = MainWindow(settings=settings)
    window.state.zoom, window.state.theme = args.zoom, args.theme
    window.resize(width, height)
    window.show()
    try:
        window.set_image(samples.load_sample(samples.default_sample().name))
        go_to(window.state, [s.key for s in lesson_steps.STEPS].index(args.step))
        window.playground.flush()
        _settle(app)
        window.grab().save(args.out)
        print(args.out)
    finally:
        _dispose(app, window)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
