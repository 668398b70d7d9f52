"""The MNIST tab: drawing gives live predictions from the worker, the comparison measures both networks."""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt

from explorer.state import AppState
from explorer.ui.mnist.calculator import WeightCalculator
from explorer.ui.mnist.view import MnistView
from explorer.workers.runner import TaskRunner

SHOTS = Path(os.environ.get("CNN_EXPLORER_SHOTS", "/tmp/shots"))


@pytest.fixture
def view(qtbot):
    runner = TaskRunner()
    v = MnistView(AppState(tab="mnist"), runner)
    qtbot.addWidget(v)
    v.resize(1400, 820)
    v.show()
    qtbot.waitUntil(lambda: v.models is not None, timeout=30_000)
    qtbot.waitUntil(lambda: v.bars.verdict.text().startswith("LeNet-5"))  # held-out digit #0 is read first
    yield v
    v.shutdown()
    assert runner.shutdown(5.0)


def _predictions(view) -> list:
    seen: list = []
    view.state.events.prediction.connect(lambda p: seen.append(p) if p is not None else None)
    return seen


def shot(qtbot, widget, name: str) -> None:
    qtbot.wait(50)  # let pending layout requests run so the picture shows the final geometry
    SHOTS.mkdir(parents=True, exist_ok=True)
    widget.grab().save(str(SHOTS / f"mnist_{name}.png"))


SEVEN = [QPoint(70, 60), QPoint(150, 60), QPoint(210, 60), QPoint(190, 110), QPoint(160, 170), QPoint(130, 230)]


def test_the_pad_shows_the_digit_the_bars_read(view):
    """The pad used to open black while the bars already read "0 (100 %)" for a digit nobody could see."""
    first = view.digits.images[0]
    shown = view.pad.pixels()[::10, ::10]  # the pad paints each digit pixel as a 10×10 block
    assert np.array_equal(shown, first)
    assert np.array_equal(view.state.prediction.digit, first)


def test_drawing_on_the_pad_predicts_while_drawing(qtbot, view):
    """Predictions arrive (throttled) while the pen is still down, not only when it is lifted."""
    seen = _predictions(view)
    qtbot.mousePress(view.pad, Qt.MouseButton.LeftButton, pos=SEVEN[0])
    for p in SEVEN[1:3]:
        qtbot.mouseMove(view.pad, p)
    qtbot.waitUntil(lambda: bool(seen), timeout=10_000)
    assert view.pad.is_drawing() and seen[-1].request[0] == "drawing"  # answered before the pen was lifted
    assert seen[-1].digit.any()
    assert view.app.image.photo.source != "draw pad"  # a half-drawn digit is not handed to the models
    qtbot.mouseRelease(view.pad, Qt.MouseButton.LeftButton, pos=SEVEN[2])


def draw_seven(qtbot, pad) -> None:
    """A '7': a top bar, then a diagonal down to the bottom left, as a real mouse would send it."""
    qtbot.mousePress(pad, Qt.MouseButton.LeftButton, pos=SEVEN[0])
    for p in SEVEN[1:]:
        qtbot.mouseMove(pad, p)
    qtbot.mouseRelease(pad, Qt.MouseButton.LeftButton, pos=SEVEN[-1])


def test_drawing_on_the_pad_gives_a_prediction_and_an_image(qtbot, view):
    draw_seven(qtbot, view.pad)
    qtbot.waitUntil(lambda: view.state.prediction is not None and view.state.prediction.request[0] == "drawing"
                    and view.app.image.photo is not None, timeout=10_000)
    prediction = view.state.prediction
    assert set(prediction.probabilities) == {"LeNet-5", "Fully connected"}
    for p in prediction.probabilities.values():
        assert p.shape == (10,) and p.sum() == pytest.approx(1, abs=1e-4)
    assert int(np.argmax(prediction.probabilities["LeNet-5"])) == 7
    assert prediction.digit.shape == (28, 28) and prediction.digit.max() > 200
    published = view.app.image.photo  # what the Model Explorer runs on while this tab is shown
    assert published.pixels.shape == (28, 28) and published.source == "draw pad"
    assert "LeNet-5: 7" in view.bars.verdict.text()
    shot(qtbot, view, "draw")
    view.pad.clear()
    assert view.pad.is_empty() and "Draw a digit" in view.bars.verdict.text()


def test_browsing_heldout_digits(qtbot, view):
    view.index.setValue(3)
    qtbot.waitUntil(lambda: view.state.prediction is not None and view.state.prediction.request == view.state.request())
    assert view.true_label.text() == f"true label: {view.digits.labels[3]}"
    view.shift.setValue(4)
    qtbot.waitUntil(lambda: view.state.prediction is not None and view.state.prediction.request == view.state.request())
    moved = view.state.prediction.digit
    assert (moved[:, :4] == 0).all()
    assert (moved[:, 4:] == view.digits.images[3][:, :-4]).all()
    shot(qtbot, view, "heldout_shifted")


def test_comparison_measures_both_networks(qtbot, view, monkeypatch):
    curves: list = []
    monkeypatch.setattr(view.comparison, "set_curve", curves.append)
    view.tabs.setCurrentWidget(view.comparison)   # the first visit starts the measurement
    qtbot.waitUntil(lambda: bool(curves), timeout=60_000)
    curve = curves[0]
    type(view.comparison).set_curve(view.comparison, curve)
    lenet, fc = curve.accuracy["LeNet-5"], curve.accuracy["Fully connected"]
    assert curve.shifts == tuple(range(7)) and lenet[0] >= 0.95
    assert lenet[4] > fc[4]
    assert view.comparison.cells[(1, "LeNet-5")].text() == "61,706"
    assert view.comparison.cells[(1, "Fully connected")].text() == "397,510"
    assert view.comparison.cells[(2, "LeNet-5")].text() == f"{lenet[0]:.1%}"
    assert view.comparison.measure_button.isEnabled()
    shot(qtbot, view, "comparison")
    view.tabs.setCurrentWidget(view.calculator)
    shot(qtbot, view, "calculator")


def test_calculator_shows_the_lectures_numbers(qtbot):
    calc = WeightCalculator()
    qtbot.addWidget(calc)
    assert "2,048,000 weights" in calc.fc_text.text()
    calc.set_image_size(64, 64, 3)
    assert "6,144,000 weights" in calc.fc_text.text()
    conv = calc.conv_text.text()
    calc.set_image_size(640, 640, 3)
    assert calc.conv_text.text() == conv  # the convolution does not grow with the image
