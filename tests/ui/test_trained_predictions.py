"""The predictions panel on a trained network (a stand-in file in the cache): ImageNet names with probabilities
(softmax applied to the file's logits), the published accuracy beside them and the recipe that was applied."""
from __future__ import annotations

import numpy as np
import onnxruntime as ort

from explorer.core import catalog, preprocess, samples
from explorer.core.model_facts import read_labels
from trained_standin import install


def test_trained_logits_are_named_with_probabilities_accuracy_and_recipe(qtbot, explorer_view, tmp_path,
                                                                        monkeypatch):
    entry = install(monkeypatch, tmp_path / "cache")
    image = samples.load_sample("chelsea")
    explorer_view.state.image.set(image)
    explorer_view.select_model(entry.key)
    qtbot.waitUntil(explorer_view.has_results, timeout=30_000)
    # The expected top class, computed here without the app: onnxruntime on the prepared tensor, then softmax.
    session = ort.InferenceSession(str(catalog.model_path(entry)), providers=["CPUExecutionProvider"])
    logits = session.run(None, {"data": preprocess.prepare(image, entry.preprocess).tensor})[0].reshape(-1)
    p = np.exp(logits - logits.max()) / np.exp(logits - logits.max()).sum()
    names = read_labels(catalog.IMAGENET_LABELS, 1000)
    best = int(np.argmax(p))
    first = explorer_view.predictions.lines.text().split("\n")[0]
    assert first == f"{names[best].split(',')[0]}: {p[best]:.1%}"
    assert explorer_view.predictions.lines.text().count("\n") == 4
    assert explorer_view.predictions.published.text() == "published accuracy: top-1 67.78 %, top-5 88.34 %"
    assert explorer_view.predictions.recipe.text() == ("preprocessing: BGR, resized to 8×8, 0–255, "
                                              "minus (103.939, 116.779, 123.68), divided by (1, 1, 1)")
    assert explorer_view.predictions.weights.text().startswith("Weights: trained on ImageNet")


def test_lenet_on_a_photo_says_it_only_knows_digits(qtbot, explorer_view):
    explorer_view.state.image.set(samples.load_sample("chelsea"))
    explorer_view.select_model("lenet5")
    qtbot.waitUntil(explorer_view.has_results, timeout=30_000)
    assert explorer_view.predictions.weights.text().startswith("Weights:")
    assert explorer_view.predictions.digit_warning.isVisible()
    assert "only knows digits" in explorer_view.predictions.digit_warning.text()
    assert "its background is not dark" in explorer_view.predictions.digit_warning.text()
    assert explorer_view.predictions.lines.text().startswith("8: 96.")   # the answer stays visible, marked
    assert not explorer_view.predictions.published.isVisible()   # LeNet-5 has no published accuracy


def test_lenet_on_a_digit_shows_no_warning(qtbot, explorer_view):
    from explorer.core import mnist
    from explorer.core.images import from_array

    digits = mnist.heldout_digits()
    explorer_view.state.image.set(from_array(digits.images[0], "digit"))
    explorer_view.select_model("lenet5")
    qtbot.waitUntil(explorer_view.has_results, timeout=30_000)
    assert explorer_view.predictions.weights.text().startswith("Weights:")
    assert not explorer_view.predictions.digit_warning.isVisible()
    assert explorer_view.predictions.lines.text().startswith(f"{digits.labels[0]}: ")
