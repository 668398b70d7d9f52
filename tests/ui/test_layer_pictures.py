"""A big layer's mosaic is made on the task runner: stepping to it or resizing the window never stalls the GUI
thread (VGG-16's conv1_1, 3.2 M values, took 31-68 ms there). Small layers still come at once, and until a big one
is ready the panel shows the layer before it whole, never one layer's title over another's maps."""
from __future__ import annotations

import threading

import pytest

from explorer.core import layer_picture, samples
from explorer.core.mosaic import channel_mosaic, grid_for
from explorer.ui.model_explorer import layer_pictures


@pytest.fixture
def lenet(qtbot, view, monkeypatch):
    monkeypatch.setattr(layer_pictures, "PICTURE_AT_ONCE", 1000)  # LeNet-5's c1 (6×28×28) counts as big, s4 not
    view.state.image.set(samples.load_sample(samples.default_sample().name))
    view.select_model("lenet5")
    qtbot.waitUntil(view.has_results, timeout=60_000)
    return view


@pytest.fixture
def made_on_gui_thread(monkeypatch) -> list[bool]:
    """For every mosaic made from now on: was it made on the GUI thread?"""
    made: list[bool] = []
    real = layer_picture.channel_mosaic
    monkeypatch.setattr(layer_picture, "channel_mosaic", lambda *args, **kwargs: (
        made.append(threading.current_thread() is threading.main_thread()), real(*args, **kwargs))[1])
    return made


def _row(view, name: str) -> int:
    return next(i for i, row in enumerate(view.rows) if row.name == name)


def test_a_big_layer_is_made_off_the_gui_thread_and_the_panel_waits_for_it_whole(lenet, qtbot, made_on_gui_thread):
    panel, ex = lenet.activations, lenet.state.explorer
    small, big = _row(lenet, "s4"), _row(lenet, "c1")
    lenet.select_row(small)
    assert made_on_gui_thread == [True] and panel.row is lenet.rows[small]  # 400 values: at once
    assert panel.mosaic.tile == (5, 5)

    made_on_gui_thread.clear()
    lenet.select_row(big)
    assert panel.row is lenet.rows[small] and panel.mosaic.tile == (5, 5)  # the layer before, whole
    assert not lenet.has_results()  # screenshots and scripts wait for the picture too
    qtbot.waitUntil(lenet.has_results, timeout=5000)
    assert panel.row is lenet.rows[big]
    assert made_on_gui_thread == [False]
    values = ex.result.activations.tensors[lenet.rows[big].tensor][0]
    expected = channel_mosaic(values, normalize=ex.normalize, aspect=ex.mosaic_aspect)
    assert panel.mosaic.grid == expected.grid and (panel.mosaic.image == expected.image).all()
    assert panel.stats.text().startswith(f"min {values.min():.3g}   max {values.max():.3g}")
    assert "6 channels, 28×28" in panel.mosaic_plot.titleLabel.text


def test_a_resize_that_changes_a_big_layers_grid_lays_it_out_again_off_the_gui_thread(lenet, qtbot,
                                                                                      made_on_gui_thread):
    panel, ex = lenet.activations, lenet.state.explorer
    lenet.select_row(_row(lenet, "c1"))
    qtbot.waitUntil(lambda: panel.row is lenet.rows[_row(lenet, "c1")], timeout=5000)
    before = panel.mosaic
    wide = 6.0  # the panel writes its box's shape into the state as the window is dragged
    assert grid_for(6, 28, 28, before.gap, wide) != before.grid
    made_on_gui_thread.clear()
    ex.mosaic_aspect = wide
    assert panel.mosaic is before  # still painted until the new layout is ready
    qtbot.waitUntil(lambda: panel.mosaic is not before, timeout=5000)
    assert made_on_gui_thread == [False] and panel.mosaic.grid == grid_for(6, 28, 28, before.gap, wide)
