"""The six architectures side by side (sortable, exportable); under the table, on two pages (``compare.page``),
the Inception calculator and ResNet-34 above plain-34 with the shortcuts highlighted.

Facts need the big built-ins built and inspected once (seconds to a minute), so they are fetched by a task the
first time the tab is shown, then come from the disk cache; the strips' rows come from the pair's structure (a
task, a fraction of a second, no weights). CPU timing runs only when asked: it keeps the machine busy for a
while, which a teacher should choose to do.
"""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QEvent, QSize, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from explorer.core import architectures
from explorer.state import AppState
from explorer.state.compare import PAGES
from explorer.ui import style
from explorer.ui.binding import bind, connect
from explorer.ui.lecture.inception_panel import InceptionPanel
from explorer.ui.lecture.shortcut_strips import PAIR, ShortcutStrips
from explorer.ui.wrapped_label import WrappedLabel
from explorer.workers import tasks
from explorer.workers.runner import TaskRunner

KEYS = tuple(a.key for a in architectures.ARCHITECTURES)
ATTRIBUTES = architectures.COLUMNS[1:]   # one row each; the architectures are the columns (side by side)


class FittedTable(QTableWidget):
    """Asks for the height of its rows (QTableWidget asks for a fixed 192 px whatever it holds)."""

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt naming)
        rows = sum(self.rowHeight(r) for r in range(self.rowCount()))
        return QSize(super().sizeHint().width(), rows + self.horizontalHeader().height() + 2 * self.frameWidth())

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 (Qt naming)
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange:   # zoom: rows sized for the old font cut the wrapped text
            self.resizeRowsToContents()
            self.updateGeometry()


class CompareView(QWidget):
    def __init__(self, state: AppState, runner: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state, self.runner = state, runner
        c = state.compare
        self._requested = False
        self.table = FittedTable(len(ATTRIBUTES), len(KEYS))
        self.table.setVerticalHeaderLabels(list(ATTRIBUTES))
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setWordWrap(True)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.horizontalHeader().sectionClicked.connect(lambda _: self.state.compare.sort_by("architecture"))
        rows = self.table.verticalHeader()
        rows.setSectionsClickable(True)
        rows.sectionClicked.connect(lambda i: self.state.compare.sort_by(ATTRIBUTES[i]))
        self.table.setToolTip("Click a row's name to order the architectures by it (again to reverse); "
                              f"top-1/top-5: {architectures.ZOO_SOURCE}.")

        self.progress = WrappedLabel(height_for_width=False)   # (the table scrolls; the calculator keeps its lines)
        self.measure = QPushButton("Measure CPU time here")
        self.measure.setToolTip("Run one image through each network on this machine's CPU (takes a while).")
        self.measure.clicked.connect(self.measure_times)
        csv_button, png_button = QPushButton("Export CSV…"), QPushButton("Export PNG…")
        csv_button.clicked.connect(lambda: self._export_dialog("CSV (*.csv)", "architectures.csv", self.export_csv))
        png_button.clicked.connect(lambda: self._export_dialog("PNG (*.png)", "architectures.png", self.export_png))
        buttons = QHBoxLayout()
        buttons.addWidget(self.progress, 1)
        for button in (self.measure, csv_button, png_button):
            buttons.addWidget(button)
        # One line, so the table keeps its rows above the page below at 768 px; the full source on hover.
        source = WrappedLabel("Top-1/top-5: the trained versions on ImageNet, from the ONNX Model Zoo. "
                              "Every other number: measured from our built-ins.", height_for_width=False)
        source.setToolTip(f"Accuracy of the trained versions (ImageNet, percent): {architectures.ZOO_SOURCE}. "
                          "Parameters, multiply-adds, depth and receptive fields: measured from our built-ins.")
        top = QWidget()
        top_layout = QVBoxLayout(top)
        top_layout.setContentsMargins(0, 0, 0, 0)
        top_layout.addLayout(buttons)
        top_layout.addWidget(self.table, 1)
        top_layout.addWidget(source)
        self.shortcuts = ShortcutStrips(state.compare)
        self.pages = QTabWidget()
        self.pages.setFont(style.font(style.LABEL_PT))
        self.pages.setDocumentMode(True)   # no frame around the page: its height goes to the table
        inception = InceptionPanel(state.compare)
        inception.setTitle("")   # the page's tab says it, and the frame's margins go to the table above
        inception.setFlat(True)
        inception.layout().setContentsMargins(4, 2, 4, 0)
        calculator = QWidget()           # the calculator at its natural height; a tall screen's spare room below it
        calculator_box = QVBoxLayout(calculator)
        calculator_box.setContentsMargins(0, 0, 0, 0)
        calculator_box.addWidget(inception)
        calculator_box.addStretch(1)
        for widget, title in ((calculator, "Inception: what a 1×1 squeeze saves"),
                              (self.shortcuts, "ResNet-34 and plain-34: the shortcuts")):  # in the order of PAGES
            self.pages.addTab(widget, title)
        bind(self.pages, state.compare.events.page, lambda: self.pages.setCurrentIndex(PAGES.index(c.page)),
             self.pages.currentChanged, lambda index: setattr(c, "page", PAGES[index]))
        layout = QVBoxLayout(self)
        layout.addWidget(top)            # as tall as its rows where the screen allows, shrinking (scrolling) where not
        layout.addWidget(self.pages, 1)  # a tall screen's remaining height goes to the strips, not to empty table

        for signal in (c.events.facts, c.events.times, c.events.sort, c.events.descending):
            connect(self, signal, self._repaint)
        connect(self, c.events.progress, lambda *_: self.progress.setText(c.progress))
        self._repaint()

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt naming)
        super().resizeEvent(event)
        self._fit_rows()

    def _fit_rows(self) -> None:
        """Rows as tall as their wrapped text; the table then asks for exactly that height (FittedTable)."""
        self.table.resizeRowsToContents()
        self.table.updateGeometry()

    # ----- work ------------------------------------------------------------------------------------------------
    def showEvent(self, event) -> None:  # noqa: N802 (Qt naming)
        super().showEvent(event)
        if not self._requested:          # only when a teacher opens the tab: building VGG-16 takes seconds
            self._requested = True
            self._submit("architecture-facts", tasks.architecture_facts, "facts")
            self._lay_out_pair()

    def _lay_out_pair(self) -> None:
        c = self.state.compare
        self.runner.submit("architecture-strips", tasks.inspect_builtins, list(PAIR),
                           on_partial=lambda found: setattr(c, "structures", {**c.structures, found[0]: found[1]}),
                           on_error=lambda message: self.state.status.show(message, error=True, topic="compare"))

    def measure_times(self) -> None:
        self._submit("architecture-times", tasks.architecture_times, "times")

    def _submit(self, kind: str, fn, field: str) -> None:
        c = self.state.compare

        def done(value: dict) -> None:
            c.progress = ""
            setattr(c, field, value)

        def failed(message: str) -> None:
            c.progress = message
            self.state.status.show(message, error=True, topic="compare")

        self.runner.submit(kind, fn, KEYS, on_done=done, on_error=failed,
                           on_progress=lambda f, text: setattr(c, "progress", f"{text} ({f:.0%})"))

    # ----- painting --------------------------------------------------------------------------------------------
    def _repaint(self, *_: object) -> None:
        c = self.state.compare
        columns = c.table()
        self.table.setHorizontalHeaderLabels([str(col["architecture"]) for col in columns])
        arrow = " ▼" if c.descending else " ▲"
        self.table.setVerticalHeaderLabels([a + (arrow if a == c.sort else "") for a in ATTRIBUTES])
        for i, col in enumerate(columns):
            for r, attribute in enumerate(ATTRIBUTES):
                item = QTableWidgetItem(architectures.cell_text(attribute, col[attribute]))
                if attribute in architectures.NUMERIC:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.table.setItem(r, i, item)
        self._fit_rows()

    def cell(self, architecture: int, attribute: str) -> str:
        """What the table shows for the i-th architecture from the left (for tests)."""
        return self.table.item(ATTRIBUTES.index(attribute), architecture).text()

    # ----- export ----------------------------------------------------------------------------------------------
    def _export_dialog(self, filter_: str, name: str, write) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export comparison", name, filter_)
        if path:
            write(path)

    def export_csv(self, path: str | Path) -> bool:
        try:
            Path(path).write_text(architectures.to_csv(self.state.compare.table()), encoding="utf-8")
        except OSError as exc:
            self.state.status.show(f"Could not save {path} ({exc.strerror}): choose another folder.", error=True,
                                   topic="compare")
            return False
        self.state.status.show(f"Saved {path}", topic="compare")
        return True

    def export_png(self, path: str | Path) -> bool:
        ok = self.table.grab().save(str(path))
        self.state.status.show(f"Saved {path}" if ok else f"Could not save {path}: choose another folder.",
                               error=not ok, topic="compare")
        return ok
