"""ResNet-34 above its plain twin, the shortcuts in red: the same layers in the same places, gaps where the
Adds were. The rows come from the built-ins' structure (a task fills ``CompareState.structures``)."""
from __future__ import annotations

from PySide6.QtCore import QSize
from PySide6.QtGui import QTransform
from PySide6.QtWidgets import QGridLayout, QLabel, QWidget

from explorer.core import zoo
from explorer.state.compare import CompareState
from explorer.ui import style
from explorer.ui.binding import connect
from explorer.ui.model_explorer.architecture_strip import ArchitectureStrip, StripLegend
from explorer.ui.model_explorer.rows import rows_of
from explorer.ui.model_explorer.strip_layout import SUM_OPS

PAIR = ("resnet34", "plain34")   # the residual network on top, its twin without shortcuts below


class ShortcutStrips(QWidget):
    def __init__(self, state: CompareState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.strips = {key: ArchitectureStrip(shortcuts=True, fit_whole=True, legend=False) for key in PAIR}
        self.captions = {key: QLabel() for key in PAIR}
        self.legend = StripLegend()   # one for both: the same colours, and both strips keep the same width
        grid = QGridLayout(self)
        grid.setContentsMargins(4, 4, 4, 4)
        grid.setSpacing(2)
        for i, key in enumerate(PAIR):
            self.captions[key].setFont(style.font(style.LABEL_PT))
            self.captions[key].setWordWrap(True)
            self.strips[key].setMinimumHeight(70)
            grid.addWidget(self.captions[key], 2 * i, 0, 1, 2 if i == 0 else 1)  # the long caption: full width
            grid.addWidget(self.strips[key], 2 * i + 1, 0)
            grid.setRowStretch(2 * i + 1, 1)
        grid.addWidget(self.legend, 1, 1, 3, 1)
        top, below = (self.strips[key] for key in PAIR)
        self._following = False
        for source, target in ((top, below), (below, top)):
            bar = source.horizontalScrollBar()   # the range changes on a zoom, the value on a scroll
            for signal in (bar.rangeChanged, bar.valueChanged):
                signal.connect(lambda *_, s=source, t=target: self._follow(s, t))
        connect(self, state.events.structures, self._repaint)
        self._repaint()

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt naming)
        """Only the height the strips need: on a 768 px screen the table above keeps its rows; a taller screen's
        spare height still comes here (the Compare tab stretches this page)."""
        return QSize(super().sizeHint().width(), self.minimumSizeHint().height())

    def _follow(self, source: ArchitectureStrip, target: ArchitectureStrip) -> None:
        """``target`` takes ``source``'s horizontal zoom and scroll: both scenes start at the same x and the
        layers are aligned by name, so the same layer stays above itself (the height keeps its own fit)."""
        if self._following:   # the target's own signals, while it follows
            return
        self._following = True
        if source.zoomed:
            target.zoomed = True
            target.setTransform(QTransform.fromScale(source.transform().m11(), target.transform().m22()))
        elif target.zoomed:
            target.fit_all()
        target.horizontalScrollBar().setValue(source.horizontalScrollBar().value())
        self._following = False

    def _repaint(self, *_: object) -> None:
        infos = self.state.structures
        if not all(key in infos for key in PAIR):
            for key in PAIR:
                self.strips[key].show_placeholder(f"Laying out {zoo.BUILTINS[key].title}…")
                self.captions[key].setText(zoo.BUILTINS[key].title)
            return
        top, below = (self.strips[key] for key in PAIR)
        top.set_rows(rows_of(infos[PAIR[0]]))
        below.set_rows(rows_of(infos[PAIR[1]]), align_with=top)
        self.legend.set_entries(top.legend_entries())   # the residual net shows every colour its twin does
        adds = sum(top.nodes[i].op in SUM_OPS for i in top.marked.nodes)
        projections = sum(top.nodes[i].op == "Conv" for i in top.marked.nodes)
        self.captions[PAIR[0]].setText(f"{zoo.BUILTINS[PAIR[0]].title}: {adds} shortcuts (red) add a block's "
                                        f"input to its output, {projections} through a 1×1 projection")
        self.captions[PAIR[1]].setText("Plain-34: the same layers in the same places, no shortcuts")
