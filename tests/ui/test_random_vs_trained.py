"""Random vs trained: GoogLeNet's random built-in beside a stand-in "trained GoogLeNet" file (no internet here:
a tiny 1000-class model in the cache, or served from 127.0.0.1). Checks what each side shows against the weights
and activations computed independently, the reuse of the explorer's loaded model, and the Download offer."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from onnx import numpy_helper

from explorer.core import samples, user_cache
from explorer.core.random_vs_trained import conv_layers, pair
from explorer.ui.model_explorer import random_vs_trained
from explorer.workers import tasks
from trained_standin import FILE, install
from zoo_server import serving, tiny_model

PANEL = random_vs_trained.PANEL
SHOTS = Path("/tmp/shots")


@pytest.fixture
def view(explorer_view):
    explorer_view.state.image.set(samples.load_sample("chelsea"))
    return explorer_view


def compared(qtbot, view, index=0):
    qtbot.waitUntil(lambda: random_vs_trained.answers(view.state.random_vs_trained.result, ("googlenet", "googlenet-trained"),
                                                       view.state.image.model_input(), index), timeout=60_000)
    return view.state.random_vs_trained.result


def test_pairs_come_from_the_catalog():
    assert pair("vgg16").keys == ("vgg16", "vgg16-trained") == pair("vgg16-trained").keys
    assert pair("lenet5") is None and pair("mlp500") is None and pair("/tmp/x.onnx") is None


def test_filters_and_activations_side_by_side(qtbot, view, tmp_path, monkeypatch):
    install(monkeypatch, tmp_path / "cache")
    loads = []
    original = tasks.load_model
    monkeypatch.setattr(tasks, "load_model", lambda ctx, key: loads.append(key) or original(ctx, key))
    view.select_model("googlenet")
    qtbot.waitUntil(view.has_results, timeout=60_000)
    assert view.state.random_vs_trained.loaded is None          # nothing loads for the comparison until its tab is shown
    view.state.explorer.panel = PANEL
    assert view.tabs.currentWidget() is view.compare
    result = compared(qtbot, view)
    assert loads == ["googlenet", "googlenet-trained"]  # the explorer's random GoogLeNet was reused
    random_side, trained_side = result.sides
    assert random_side.badge == "random initialisation" and trained_side.badge == "trained"
    # conv1 of the trained side is the file's weights exactly
    stored = numpy_helper.to_array(tiny_model(features=16).graph.initializer[0])
    np.testing.assert_array_equal(trained_side.first_filters.weights, stored)
    assert random_side.first_filters.weights.shape == (64, 3, 7, 7)
    # the random side's conv1 output is what the explorer itself computed for that tensor
    conv1 = conv_layers(view.state.explorer.loaded.info)[0]
    np.testing.assert_allclose(random_side.activation,
                               view.state.explorer.result.activations.tensors[conv1.tensor][0], rtol=1e-5)
    assert trained_side.activation.shape == (16, 6, 6)   # 3×3 without padding on 8×8
    assert view.compare.random_side.title.text() == "GoogLeNet — random initialisation"
    assert view.compare.layer.count() == len(conv_layers(view.state.explorer.loaded.info))
    SHOTS.mkdir(exist_ok=True)
    assert view.grab().save(str(SHOTS / "explorer_random_vs_trained.png"))

    view.compare.layer.activated.emit(1)               # the second convolution: the stand-in has only one
    result = compared(qtbot, view, index=1)
    assert view.state.random_vs_trained.layer == 1 and view.compare.layer.currentIndex() == 1
    assert result.sides[0].activation is not None and result.sides[1].activation is None
    assert "not a feature map here" in view.compare.trained_side.maps_plot.titleLabel.text


def test_a_missing_trained_file_is_said_and_downloaded(qtbot, view, tmp_path, monkeypatch):
    data = tiny_model(features=16).SerializeToString()
    with serving({FILE: data}) as server:
        install(monkeypatch, tmp_path / "cache", downloaded=False, urls=(f"{server.url}/ok/{FILE}",))
        view.state.explorer.panel = PANEL
        view.select_model("googlenet")
        assert "not on this machine yet" in view.compare.note.text()
        assert view.compare.download_button.isVisible()
        view.compare.download_button.click()
        result = compared(qtbot, view)
    assert (user_cache.downloads_dir() / FILE).read_bytes() == data
    assert result.sides[1].badge == "trained" and not view.compare.download_button.isVisible()


def test_a_damaged_trained_file_is_one_line_and_not_retried(qtbot, view, tmp_path, monkeypatch):
    install(monkeypatch, tmp_path / "cache")
    path = user_cache.downloads_dir() / FILE
    path.write_bytes(bytes(path.stat().st_size))   # the right size, not an ONNX file
    view.state.explorer.panel = PANEL
    view.select_model("googlenet")
    qtbot.waitUntil(lambda: view.state.status.error and view.state.status.topic == "compare", timeout=60_000)
    message = view.compare.note.text()
    assert message == view.state.status.text and "\n" not in message
    assert view.state.random_vs_trained.loaded is None and view.state.random_vs_trained.result is None
    view.state.image.set(samples.load_sample("coffee"))   # another image does not retry the same pair
    assert not view.runner.is_busy(random_vs_trained.LOAD)


def test_new_pictures_cost_the_closed_panel_nothing(view, monkeypatch):
    """A playing video hands over a picture 30 times a second; the panel, when not open, must not look at the
    cache for each (its availability check made a directory twice per frame)."""
    checks = []
    monkeypatch.setattr(random_vs_trained.catalog, "is_available", lambda entry: checks.append(entry) or False)
    view.state.explorer.choose("googlenet")
    assert view.state.explorer.panel != PANEL
    checks.clear()
    for name in ("chelsea", samples.default_sample().name, "chelsea"):
        view.state.image.set(samples.load_sample(name))
    assert checks == []
    view.state.explorer.panel = PANEL  # open, it checks again at once
    assert checks
