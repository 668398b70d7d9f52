"""A word-wrapped label that claims the height its wrapped text needs.

Layouts size a wrapped QLabel's minimum from a guess, and a splitter pane sized to that minimum lets the next
widget overlap the label's last lines (the Playground's caption and formula at 1024×768 did).
"""
from __future__ import annotations

from PySide6.QtWidgets import QLabel, QWidget


class WrappedLabel(QLabel):
    def __init__(self, text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(text, parent)
        self.setWordWrap(True)

    def setText(self, text: str) -> None:  # noqa: N802 (Qt naming)
        super().setText(text)
        self._fit()

    def resizeEvent(self, event) -> None:  # noqa: N802
        super().resizeEvent(event)
        self._fit()

    def _fit(self) -> None:
        # QLabel's heightForWidth never answers less than the minimum height: clear it first, or a label that
        # once wrapped narrow keeps that height (blank lines) after it widens.
        self.setMinimumHeight(0)
        self.setMinimumHeight(max(0, self.heightForWidth(max(self.width(), 1))))
