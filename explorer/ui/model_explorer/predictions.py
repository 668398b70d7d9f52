"""Top-five classes for models whose labels are meaningful; an honest badge for random weights."""
from __future__ import annotations

import numpy as np
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from explorer.ui import style
from explorer.core.model_facts import is_random

TOP = 5


def top_classes(output: np.ndarray, k: int = TOP) -> list[tuple[int, float]]:
    """(class index, probability) of the k largest outputs. The zoo's graphs end in Softmax; raw logits from
    other files are turned into probabilities so the percentages mean the same thing."""
    values = np.asarray(output, dtype=np.float64).reshape(-1)
    if values.size == 0:
        return []
    if values.min() < 0 or not np.isclose(values.sum(), 1.0, atol=1e-3):
        values = np.exp(values - values.max())
        values /= values.sum()
    order = np.argsort(-values)[:k]
    return [(int(i), float(values[i])) for i in order]


class PredictionsPanel(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.badge = QLabel()
        self.badge.setFont(style.font(style.LABEL_PT, bold=True))
        self.badge.setWordWrap(True)
        self.lines = QLabel()
        self.lines.setFont(style.font(style.LABEL_PT))
        self.lines.setWordWrap(True)
        box = QVBoxLayout(self)
        box.setContentsMargins(4, 4, 4, 4)
        title = QLabel("Prediction")
        title.setFont(style.font(style.TITLE_PT, bold=True))
        box.addWidget(title)
        box.addWidget(self.badge)
        box.addWidget(self.lines)
        box.addStretch(1)
        # Title, a two-line badge and five classes must never be squeezed by the table above.
        self.setMinimumHeight(11 * self.lines.fontMetrics().lineSpacing())

    def clear(self) -> None:
        self.badge.clear()
        self.lines.clear()

    def show_output(self, output: np.ndarray, labels: list[str] | None, weights: str) -> None:
        top = top_classes(output)
        if is_random(weights):
            # Names would be fake: an untrained network's "top class" means nothing.
            self.badge.setText("Untrained: random weights — these outputs are not predictions.")
            self.badge.setStyleSheet("color: #b35900;")
            self.lines.setText("<br>".join(f"output {i}: {p:.1%}" for i, p in top))
            return
        self.badge.setStyleSheet("")
        self.badge.setText(f"Weights: {weights}" if weights else "Weights: from the model file")
        names = labels or []
        self.lines.setText("<br>".join(
            f"<b>{names[i].split(',')[0] if i < len(names) else f'output {i}'}</b>: {p:.1%}" for i, p in top))
