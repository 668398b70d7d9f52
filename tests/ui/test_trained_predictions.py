"""The predictions panel on a trained network (a stand-in file in the cache): ImageNet names with probabilities
(softmax applied to the file's logits), the published accuracy beside them and the recipe that was applied."""
from __future__ import annotations

import numpy as np
import onnxruntime as ort
import pytest
from PySide6.QtCore import QSettings

from explorer.core import catalog, preprocess, samples
from explorer.core.model_facts import read_labels
from explorer.state import AppState
from explorer.ui.model_explorer.view import ModelExplorerView
from explorer.workers.runner import TaskRunner
from trained_standin import install


@pytest.fixture
def view(qtbot, tmp_path):
    runner = TaskRunner()
    v = ModelExplorerView(AppState(), runner, settings=QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(v)
    v.show()
    yield v
    v.shutdown()
    runner.shutdown(2.0)


def test_trained_logits_are_named_with_probabilities_accuracy_and_recipe(qtbot, view, tmp_path, monkeypatch):
    entry = install(monkeypatch, tmp_path / "cache")
    image = samples.load_sample("chelsea")
    view.state.image.set(image)
    view.select_model(entry.key)
    qtbot.waitUntil(view.has_results, timeout=30_000)
    # The expected top class, computed here without the app: onnxruntime on the prepared tensor, then softmax.
    session = ort.InferenceSession(str(catalog.model_path(entry)), providers=["CPUExecutionProvider"])
    logits = session.run(None, {"data": preprocess.prepare(image, entry.preprocess).tensor})[0].reshape(-1)
    p = np.exp(logits - logits.max()) / np.exp(logits - logits.max()).sum()
    names = read_labels(catalog.IMAGENET_LABELS, 1000)
    best = int(np.argmax(p))
    first = view.predictions.lines.text().split("<br>")[0]
    assert first == f"<b>{names[best].split(',')[0]}</b>: {p[best]:.1%}"
    assert view.predictions.lines.text().count("<br>") == 4
    assert view.predictions.published.text() == "published accuracy: top-1 67.78 %, top-5 88.34 %"
    assert view.predictions.recipe.text() == ("preprocessing: BGR, resized to 8×8, 0–255, "
                                              "minus (103.939, 116.779, 123.68), divided by (1, 1, 1)")
    assert view.predictions.badge.text().startswith("Weights: trained on ImageNet")


def test_lenet_on_a_photo_says_it_only_knows_digits(qtbot, view):
    view.state.image.set(samples.load_sample("chelsea"))
    view.select_model("lenet5")
    qtbot.waitUntil(view.has_results, timeout=30_000)
    assert "only knows digits" in view.predictions.badge.text()
    assert "its background is not dark" in view.predictions.badge.text()
    assert view.predictions.lines.text().startswith("<b>8</b>: 96.")   # the answer stays visible, marked
    assert not view.predictions.published.isVisible()                  # LeNet-5 has no published ImageNet accuracy


def test_lenet_on_a_digit_shows_no_warning(qtbot, view):
    from explorer.core import mnist
    from explorer.core.images import from_array

    digits = mnist.heldout_digits()
    view.state.image.set(from_array(digits.images[0], "digit"))
    view.select_model("lenet5")
    qtbot.waitUntil(view.has_results, timeout=30_000)
    assert view.predictions.badge.text().startswith("Weights:")
    assert view.predictions.lines.text().startswith(f"<b>{digits.labels[0]}</b>")
