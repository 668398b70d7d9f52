"""Top-five classes with their names, the published accuracy beside them, and the preprocessing that was applied;
an honest badge for random weights, and a warning when a digits-only network is shown something else."""
from __future__ import annotations

import re

from PySide6.QtCore import QEvent, QSize, Qt
from PySide6.QtGui import QFont, QFontMetrics, QPainter, QPaintEvent
from PySide6.QtWidgets import QLabel, QSizePolicy, QVBoxLayout, QWidget

from explorer.core import catalog
from explorer.core.model_facts import is_random
from explorer.ui import style
from explorer.workers.tasks import LoadedModel, RunResult

WARN = "color: #b35900;"
NUMBER = re.compile(r"\d+(\.\d+)?")


class RankedLines(QWidget):
    """The top classes, one painted line each: "name: 12.3%", the name in bold (elided when the column is narrow,
    the whole lines in the tooltip). A live frame changes the numbers ~30 times a second; a QLabel would ask every
    layout up to the window each time (~2.5 ms a frame), this repaints itself and asks only when the count of lines
    changes."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._rows: list[tuple[str, str]] = []
        self._bold_names = True
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)

    def text(self) -> str:
        """The lines as shown, one per line: "name: value"."""
        return "\n".join(f"{name}: {value}" for name, value in self._rows)

    def set_rows(self, rows: list[tuple[str, str]], bold_names: bool = True) -> None:
        if rows == self._rows and bold_names == self._bold_names:
            return
        resize = len(rows) != len(self._rows)
        self._rows, self._bold_names = rows, bold_names
        self.setToolTip(self.text())
        if resize:
            self.updateGeometry()
        self.update()

    def clear(self) -> None:
        self.set_rows([])

    def _name_metrics(self) -> tuple[QFont, QFontMetrics]:
        font = QFont(self.font())
        font.setBold(self._bold_names)
        return font, QFontMetrics(font)

    def sizeHint(self) -> QSize:  # noqa: N802
        _, names = self._name_metrics()
        plain = self.fontMetrics()
        width = max((names.horizontalAdvance(name) + plain.horizontalAdvance(f": {value}")
                     for name, value in self._rows), default=0)
        return QSize(width + 4, len(self._rows) * plain.lineSpacing() + 4)

    def minimumSizeHint(self) -> QSize:  # noqa: N802
        return QSize(0, self.sizeHint().height())

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange:  # zoom
            self.updateGeometry()

    def paintEvent(self, _event: QPaintEvent) -> None:  # noqa: N802
        painter = QPainter(self)
        painter.setPen(self.palette().color(self.foregroundRole()))
        name_font, names = self._name_metrics()
        plain = self.fontMetrics()
        area = self.contentsRect().adjusted(2, 2, -2, -2)
        for i, (name, value) in enumerate(self._rows):
            baseline = area.top() + i * plain.lineSpacing() + plain.ascent()
            tail = f": {value}"
            shown = names.elidedText(name, Qt.TextElideMode.ElideRight,
                                     max(area.width() - plain.horizontalAdvance(tail), 0))
            painter.setFont(name_font)
            painter.drawText(area.left(), baseline, shown)
            painter.setFont(self.font())
            painter.drawText(area.left() + names.horizontalAdvance(shown), baseline, tail)


class PredictionsPanel(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        # Above the lines, what a model's numbers are worth: nothing when its weights are random. Below them, the
        # digits-only warning, which may come and go with every frame of a video: there it moves nothing above it.
        # Short: on a 720 px projector at zoom 1.5 the longer sentence took three of the panel's five lines.
        self.badge = QLabel("Untrained: random weights, not predictions.")
        self.badge.setToolTip("These weights were never trained, so the outputs below say nothing about the "
                              "picture. Choose its trained weights in the model list (Download fetches them).")
        self.digit_warning = QLabel()
        for label in (self.badge, self.digit_warning):
            label.setFont(style.font(style.LABEL_PT, bold=True))
            label.setWordWrap(True)
            label.setStyleSheet(WARN)
            label.hide()
        self.lines = RankedLines()
        self.lines.setFont(style.font(style.LABEL_PT))
        self.weights = QLabel()     # what the model was trained on
        self.published = QLabel()   # the paper's / zoo's accuracy: what these numbers are worth
        self.recipe = QLabel()      # the preprocessing this run applied
        for label in (self.weights, self.published, self.recipe):
            label.setFont(style.font(style.LABEL_PT))
            label.setWordWrap(True)
        for label in (self.published, self.recipe):
            label.setStyleSheet("color: #555555;")
        box = QVBoxLayout(self)
        box.setContentsMargins(4, 4, 4, 4)
        title = QLabel("Prediction")
        title.setFont(style.font(style.TITLE_PT, bold=True))
        box.addWidget(title)
        box.addWidget(self.badge)
        box.addWidget(self.lines)
        box.addWidget(self.digit_warning)
        box.addWidget(self.weights)
        box.addWidget(self.published)
        box.addWidget(self.recipe)
        box.addStretch(1)
        # The view gives it the height its text needs (at most 45 % of the column) and scrolls the rest, so a
        # 768 px projector still shows the layer table.

    def layout_key(self) -> tuple:
        """What the panel's height depends on besides its width: its texts with their numbers masked (a live
        frame's new percentages do not change how the lines wrap, and measuring that costs ~1 ms a frame), and the
        font size (zoom)."""
        labels = (self.lines, self.digit_warning, self.weights, self.published, self.recipe)
        return (self.lines.font().pointSizeF(), *(NUMBER.sub("#", label.text()) for label in labels),
                *(label.isVisibleTo(self) for label in (self.badge, self.digit_warning, self.weights, self.published)))

    def clear(self) -> None:
        for label in (self.lines, self.digit_warning, self.weights, self.published, self.recipe):
            label.clear()
        self.badge.hide()
        self.digit_warning.hide()

    def show_result(self, loaded: LoadedModel, result: RunResult) -> None:
        names = loaded.labels or []
        accuracy = loaded.entry.accuracy
        self.published.setText(catalog.accuracy_text(accuracy) if accuracy else "")
        self.published.setVisible(accuracy is not None)
        self.recipe.setText(f"preprocessing: {catalog.preprocess_text(result.preprocess)}")
        untrained = is_random(loaded.weights)
        self.badge.setVisible(untrained)
        self.weights.setVisible(not untrained)
        self.weights.setText(f"Weights: {loaded.weights}" if loaded.weights else "Weights: from the model file")
        if untrained:  # names would be fake: an untrained network's "top class" means nothing
            self.lines.set_rows([(f"output {i}", f"{p:.1%}") for i, p in result.top], bold_names=False)
        else:
            self.lines.set_rows([(names[i].split(",")[0] if i < len(names) else f"output {i}", f"{p:.1%}")
                                 for i, p in result.top])
        check = result.digit_check
        warn = not untrained and check is not None and not check.digit_like
        if warn:
            self.digit_warning.setText(f"{loaded.title} only knows digits, and this input does not look like one: "
                                       f"{check.reason}. Its answer above says nothing about the picture.")
        self.digit_warning.setVisible(warn)
