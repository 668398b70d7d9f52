"""The Inception bottleneck calculator: six editable numbers, the formula written out with them, two bars."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QGridLayout, QGroupBox, QLabel, QProgressBar, QSpinBox, QVBoxLayout, QWidget

from explorer.state.compare import CompareState
from explorer.ui import style
from explorer.ui.binding import bind, connect
from explorer.ui.wrapped_label import WrappedLabel

# (state field, label, upper limit); every value is at least 1
FIELDS = (("height", "height", 4096), ("width", "width", 4096), ("channels", "input channels", 8192),
          ("filters", "filters", 8192), ("size", "filter size k", 31), ("reduced", "1×1 reduces to", 8192))


class InceptionPanel(QGroupBox):
    def __init__(self, state: CompareState, parent: QWidget | None = None) -> None:
        super().__init__("Inception: what a 1×1 squeeze saves (multiplications)", parent)
        self.state = state
        grid = QGridLayout()
        self.spins: dict[str, QSpinBox] = {}
        for i, (name, label, high) in enumerate(FIELDS):
            spin = QSpinBox()
            spin.setRange(1, high)
            spin.setFont(style.font())
            spin.setKeyboardTracking(False)
            bind(spin, getattr(state.events, name), lambda s=spin, n=name: s.setValue(getattr(state, n)),
                 spin.valueChanged, lambda v, n=name: setattr(state, n, v))
            grid.addWidget(QLabel(label), 0, i)
            grid.addWidget(spin, 1, i)
            self.spins[name] = spin
        # All three lines whatever the zoom: the saving line was cut at 1280×720, zoom 1.5.
        self.formula = WrappedLabel(height_for_width=False)
        self.formula.setFont(style.font(style.FORMULA_PT - 2, mono=True))
        self.formula.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.direct_bar, self.bottleneck_bar = QProgressBar(), QProgressBar()
        for bar, fmt in ((self.direct_bar, "directly: %v"), (self.bottleneck_bar, "with the 1×1 squeeze: %v")):
            bar.setRange(0, 1000)
            bar.setFormat(fmt)
            bar.setTextVisible(True)
        layout = QVBoxLayout(self)
        layout.addLayout(grid)
        layout.addWidget(self.formula)
        layout.addWidget(self.direct_bar)
        layout.addWidget(self.bottleneck_bar)
        for name, _, _ in FIELDS:
            connect(self, getattr(state.events, name), self._repaint)
        self._repaint()

    def _repaint(self, *_: object) -> None:
        cost = self.state.cost()
        self.formula.setText("\n".join(cost.formula_lines()))
        longer = max(cost.direct, cost.bottleneck)
        # bars share one scale, so the squeeze's bar is visibly about a tenth of the direct one
        self.direct_bar.setValue(round(1000 * cost.direct / longer))
        self.bottleneck_bar.setValue(round(1000 * cost.bottleneck / longer))
        self.direct_bar.setFormat(f"directly: {cost.direct:,}")
        self.bottleneck_bar.setFormat(f"with the 1×1 squeeze: {cost.bottleneck:,}")
