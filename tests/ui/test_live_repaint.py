"""What one more live frame costs the window: painting the new values, never a layout pass of the window.

A QLabel's new text climbs every layout up to the main window, whose relayout repaints all of it; on a video that
was 5–10 ms of the GUI thread per frame. The explorer's per-frame readouts must not do that, and the bar plot keeps
its value axis while new frames fit it (a new range each frame redraws every tick).
"""
from __future__ import annotations

import time

import pytest
from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QApplication

from explorer.core import samples
from explorer.ui.model_explorer.activation_panel import range_still_fits


class LayoutRequests(QObject):
    """Counts the layout requests any widget receives (the app-wide event filter sees them all)."""

    def __init__(self) -> None:
        super().__init__()
        self.count = 0

    def eventFilter(self, _obj, event) -> bool:  # noqa: N802
        self.count += event.type() == QEvent.Type.LayoutRequest
        return False


@pytest.fixture
def lenet(qtbot, view):
    view.state.image.set(samples.load_sample(samples.default_sample().name))
    view.select_model("lenet5")
    qtbot.waitUntil(view.has_results, timeout=60_000)
    return view


def frames_of_the_shown_layer(view, row_index: int, frames: int, scale=lambda i: 1.0 + 0.01 * i) -> LayoutRequests:
    """Show the layer, settle, then hand the panel ``frames`` new tensors of it as live frames do."""
    app = QApplication.instance()
    view.select_row(row_index)
    panel, result = view.activations, view.state.explorer.result
    row = view.rows[row_index]
    values = result.activations.tensors[row.tensor][0]
    for _ in range(20):  # the layer switch's own layout passes and deferred statistics
        app.processEvents()
        time.sleep(0.005)
    counter = LayoutRequests()
    app.installEventFilter(counter)
    try:
        for i in range(frames):
            panel.show_layer(row, values * scale(i), result.prepared, "channel", False, None, None)
            app.processEvents()
    finally:
        app.removeEventFilter(counter)
    return counter


@pytest.mark.parametrize("layer", ["c3", "c5"])  # a map mosaic; a 120-value vector drawn as bars
def test_new_frames_of_the_shown_layer_lay_nothing_out_again(lenet, layer):
    index = next(i for i, row in enumerate(lenet.rows) if row.name == layer)
    counter = frames_of_the_shown_layer(lenet, index, frames=6)
    assert counter.count == 0
    assert lenet.activations.stats.text().startswith("min ")  # the numbers are there, not a placeholder


def test_small_layers_show_their_statistics_with_the_maps(lenet):
    """LeNet-5's layers are small: their numbers come in the same pass (a screenshot showed "min …" before)."""
    lenet.select_row(1)
    values = lenet.state.explorer.result.activations.tensors[lenet.rows[1].tensor][0]
    assert lenet.activations.stats.text() == f"min {values.min():.3g}   max {values.max():.3g}   " \
        f"mean {values.mean():.3g}   zeros {(values == 0).mean():.0%}"


def test_the_bars_keep_their_value_axis_while_new_frames_fit_it(lenet):
    last = len(lenet.rows) - 1
    frames_of_the_shown_layer(lenet, last, frames=1)
    bars = lenet.activations.bars_view
    first = bars.viewRange()[1]
    frames_of_the_shown_layer(lenet, last, frames=3, scale=lambda i: 0.9 + 0.02 * i)
    assert bars.viewRange()[1] == first                      # values within it: the axis stays
    frames_of_the_shown_layer(lenet, last, frames=1, scale=lambda i: 3.0)
    grown = bars.viewRange()[1]
    assert grown[1] - grown[0] > 2.5 * (first[1] - first[0])  # values outside it: fitted again
    frames_of_the_shown_layer(lenet, last, frames=1, scale=lambda i: 0.1)
    shrunk = bars.viewRange()[1]
    assert shrunk[1] - shrunk[0] < 0.5 * (first[1] - first[0])  # values in a sliver of it: fitted again


@pytest.mark.parametrize(("values", "shown", "fits"), [
    ((-1.0, 1.0), (-1.1, 1.1), True),
    ((-1.0, 1.2), (-1.1, 1.1), False),   # above the axis
    ((-2.0, 0.0), (-1.1, 1.1), False),   # below it
    ((0.0, 1.1), (-1.1, 1.1), True),     # exactly half of it
    ((0.0, 1.0), (-1.1, 1.1), False),    # less than half
])
def test_range_still_fits(values, shown, fits):
    assert range_still_fits(values, shown) is fits
