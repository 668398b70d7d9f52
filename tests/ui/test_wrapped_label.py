"""WrappedLabel claims the height its wrapped text needs at its current width, in both directions."""
from __future__ import annotations

from explorer.ui.wrapped_label import WrappedLabel

TEXT = " ".join(["receptive field"] * 30)


def test_height_follows_the_width_down_and_back_up(qtbot):
    label = WrappedLabel(TEXT)
    qtbot.addWidget(label)
    label.show()
    label.resize(900, 10)
    wide = label.minimumHeight()
    label.resize(150, 10)
    narrow = label.minimumHeight()
    line = label.fontMetrics().lineSpacing()
    assert narrow >= wide + 5 * line  # many more lines when narrow
    label.resize(900, 10)
    # Before the fix the label kept its narrow height (QLabel.heightForWidth never answers below the minimum).
    assert label.minimumHeight() == wide
