"""Top-five classes with their names, the published accuracy beside them, and the preprocessing that was applied;
an honest badge for random weights, and a warning when a digits-only network is shown something else."""
from __future__ import annotations

import re

from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from explorer.core import catalog
from explorer.core.model_facts import is_random
from explorer.ui import style
from explorer.workers.tasks import LoadedModel, RunResult

WARN = "color: #b35900;"
NUMBER = re.compile(r"\d+(\.\d+)?")


class PredictionsPanel(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.badge = QLabel()
        self.badge.setFont(style.font(style.LABEL_PT, bold=True))
        self.badge.setWordWrap(True)
        self.lines = QLabel()
        self.lines.setFont(style.font(style.LABEL_PT))
        self.lines.setWordWrap(True)
        self.published = QLabel()   # the paper's / zoo's accuracy: what these numbers are worth
        self.recipe = QLabel()      # the preprocessing this run applied
        for label in (self.published, self.recipe):
            label.setFont(style.font(style.LABEL_PT))
            label.setWordWrap(True)
            label.setStyleSheet("color: #555555;")
        box = QVBoxLayout(self)
        box.setContentsMargins(4, 4, 4, 4)
        title = QLabel("Prediction")
        title.setFont(style.font(style.TITLE_PT, bold=True))
        box.addWidget(title)
        box.addWidget(self.badge)
        box.addWidget(self.lines)
        box.addWidget(self.published)
        box.addWidget(self.recipe)
        box.addStretch(1)
        # The view gives it the height its text needs (at most 45 % of the column) and scrolls the rest, so a
        # 768 px projector still shows the layer table.

    def layout_key(self) -> tuple:
        """What the panel's height depends on besides its width: its texts with their numbers masked (a live
        frame's new percentages do not change how the lines wrap, and measuring that costs ~1 ms a frame), and the
        font size (zoom)."""
        labels = (self.badge, self.lines, self.published, self.recipe)
        return (self.lines.font().pointSizeF(), *(NUMBER.sub("#", label.text()) for label in labels),
                self.published.isVisibleTo(self))

    def clear(self) -> None:
        for label in (self.badge, self.lines, self.published, self.recipe):
            label.clear()

    def show_result(self, loaded: LoadedModel, result: RunResult) -> None:
        names = loaded.labels or []
        accuracy = loaded.entry.accuracy
        self.published.setText(catalog.accuracy_text(accuracy) if accuracy else "")
        self.published.setVisible(accuracy is not None)
        self.recipe.setText(f"preprocessing: {catalog.preprocess_text(result.preprocess)}")
        if is_random(loaded.weights):
            # Names would be fake: an untrained network's "top class" means nothing.
            self.badge.setText("Untrained: random weights — these outputs are not predictions.")
            style.restyle(self.badge, WARN)
            self.lines.setText("<br>".join(f"output {i}: {p:.1%}" for i, p in result.top))
            return
        check = result.digit_check
        if check is not None and not check.digit_like:
            self.badge.setText(f"{loaded.title} only knows digits, and this input does not look like one: "
                               f"{check.reason}. Its answer below says nothing about the picture.")
            style.restyle(self.badge, WARN)
        else:
            style.restyle(self.badge, "")
            self.badge.setText(f"Weights: {loaded.weights}" if loaded.weights else "Weights: from the model file")
        self.lines.setText("<br>".join(
            f"<b>{names[i].split(',')[0] if i < len(names) else f'output {i}'}</b>: {p:.1%}" for i, p in result.top))
