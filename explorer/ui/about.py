"""Help ▸ About: version, the onnxruntime execution provider, what the app stores, and the third-party notices."""
from __future__ import annotations

import html
import platform

import numpy as np
import onnx
import PySide6
from PySide6.QtCore import Qt
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QPlainTextEdit, QPushButton, QVBoxLayout, QWidget

from explorer import __version__
from explorer.core import paths, runtime


def show_about(parent: QWidget | None, provider: str) -> AboutDialog:
    """Open the About dialog (window-modal, returns at once). ``provider``: the one really in use, or ''."""
    dialog = AboutDialog(parent, provider)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.open()
    return dialog


class AboutDialog(QDialog):
    def __init__(self, parent: QWidget | None, provider: str) -> None:
        super().__init__(parent)
        self.setWindowTitle("About CNN Explorer")
        in_use = provider.removeprefix("Provider: ").strip(" –") or "none yet (no model has run)"
        versions = (f"Python {platform.python_version()}, Qt {PySide6.__version__}, onnxruntime "
                    f"{runtime.ort.__version__}, onnx {onnx.__version__}, numpy {np.__version__}")
        self.text = QLabel(
            f"<h2>CNN Explorer {html.escape(__version__)}</h2>"
            "<p>Convolution, receptive fields and the classic architectures, made visible.</p>"
            f"<p><b>Execution provider:</b> {html.escape(in_use)}<br>"
            f"asked for, in this order: {html.escape(', '.join(runtime.available_providers()))} (CUDA runs only "
            "where its libraries load)</p>"
            f"<p>{html.escape(versions)}</p>"
            "<p>MIT licence. Nothing is sent anywhere: the app uses no network and onnxruntime's telemetry is "
            f"switched off. Built-in models are cached in {html.escape(str(paths.cache_dir()))}.</p>"
            "<p>Qt and PySide6 are used under the GNU LGPL 3.0; the licences of every bundled component are in the "
            "third-party notices.</p>")
        self.text.setWordWrap(True)
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        notices = QPushButton("Third-party notices…")
        notices.clicked.connect(self.show_notices)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.addButton(notices, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.text)
        layout.addWidget(buttons)

    def show_notices(self) -> QDialog:
        """The full THIRD_PARTY_NOTICES text in a read-only viewer."""
        viewer = QDialog(self)
        viewer.setWindowTitle("Third-party notices")
        viewer.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        view = QPlainTextEdit(viewer)
        view.setReadOnly(True)
        view.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        path = paths.notices_file()
        try:
            view.setPlainText(path.read_text(encoding="utf-8"))
        except OSError as exc:
            view.setPlainText(f"The notices file {path} cannot be read ({exc.strerror or exc}): reinstall the app.")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(viewer.reject)
        layout = QVBoxLayout(viewer)
        layout.addWidget(view)
        layout.addWidget(buttons)
        viewer.resize(900, 700)
        viewer.open()
        return viewer
