"""`cnn-explorer explain` and `cnn-explorer erf`: the files hold exactly what the core computes; errors exit 2."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import onnx
import pytest

from explorer.cli import main
from explorer.core import erf, explain, images, mnist, zoo
from tests.core.test_explain import square_model, textured_image


def _png(path: Path, pixels: np.ndarray) -> Path:
    ok, data = cv2.imencode(".png", pixels[:, :, ::-1] if pixels.ndim == 3 else pixels)
    assert ok
    path.write_bytes(data.tobytes())
    return path


@pytest.fixture(scope="module")
def digit(tmp_path_factory) -> Path:
    return _png(tmp_path_factory.mktemp("digit") / "digit.png", mnist.heldout_digits().images[0])


@pytest.mark.parametrize("method", explain.METHODS)
def test_explain_writes_the_core_map_and_its_overlay(tmp_path, digit, method, capsys):
    out, npy = tmp_path / "heat.png", tmp_path / "heat.npy"
    assert main(["explain", "lenet5", str(digit), "--method", method, "--out", str(out), "--npy", str(npy)]) == 0
    heat = np.load(npy)
    expected = explain.explain(zoo.build("lenet5"), images.load_image(digit), method).heat
    assert heat.dtype == np.float32 and heat.shape == (28, 28)
    np.testing.assert_array_equal(heat, expected)
    assert cv2.imread(str(out)).shape == (28, 28, 3)
    printed = capsys.readouterr()
    assert "for class 0 (0)" in printed.out and "random" not in printed.err  # trained weights: no note


def test_explain_class_and_layer_options_reach_the_core(tmp_path, digit, capsys):
    npy = tmp_path / "heat.npy"
    assert main(["explain", "lenet5", str(digit), "--method", "score-cam", "--layer", "c3/tanh", "--class", "6",
                 "--out", str(tmp_path / "h.png"), "--npy", str(npy)]) == 0
    expected = explain.score_cam(zoo.build("lenet5"), images.load_image(digit), layer="c3/tanh", class_index=6)
    np.testing.assert_array_equal(np.load(npy), expected.heat)
    assert "score-cam at c3/tanh for class 6" in capsys.readouterr().out


def test_erf_writes_the_measured_field_at_the_model_input_size(tmp_path, digit, capsys):
    npy = tmp_path / "erf.npy"
    assert main(["erf", "lenet5", "--layer", "c3", "--unit", "2", "4", "5", "--image", str(digit),
                 "--out", str(tmp_path / "erf.png"), "--npy", str(npy)]) == 0
    expected = erf.effective_receptive_field(zoo.build("lenet5"), "c3", (2, 4, 5), images.load_image(digit))
    field = np.load(npy)
    assert field.dtype == np.float32 and field.shape == (32, 32)
    np.testing.assert_array_equal(field, expected.magnitude)
    assert cv2.imread(str(tmp_path / "erf.png")) is not None
    assert "theoretical box (8, 10, 21, 23)" in capsys.readouterr().out


def test_a_random_network_is_named_on_stderr(tmp_path):
    model = square_model(weights=zoo.random_weights_label())
    path = tmp_path / "random.onnx"
    onnx.save(model, str(path))
    image = _png(tmp_path / "tex.png", textured_image())
    done = run_cli("explain", str(path), str(image), "--method", "eigen-cam", "--out", str(tmp_path / "h.png"))
    assert done.returncode == 0, done.stderr
    assert "explains a random network" in done.stderr and "Traceback" not in done.stderr


@pytest.mark.parametrize("model", ["lenet5", "mlp500"])
def test_our_own_models_are_explained_in_process(tmp_path, digit, model, monkeypatch):
    """Built-ins and bundled files need no child process (its start-up would cost seconds per explanation)."""
    from explorer.core import sandbox

    monkeypatch.setattr(sandbox, "run_limited", lambda *a, **k: pytest.fail("our own model went to the sandbox"))
    assert main(["explain", model, str(digit), "--method", "occlusion", "--out", str(tmp_path / "h.png")]) == 0
    assert main(["erf", model, "--layer", "c1" if model == "lenet5" else "hidden", "--unit", "0", "0", "0",
                 "--out", str(tmp_path / "e.png")]) == 0


@pytest.mark.parametrize("method", ["occlusion", "score-cam"])
def test_a_users_file_is_explained_in_the_sandbox_exactly_as_in_process(tmp_path, method, monkeypatch):
    """A user's file runs in core/sandbox.py's child; what comes back is the core's own map, bit for bit."""
    from explorer.core import sandbox

    path = tmp_path / "square.onnx"
    onnx.save(square_model(), str(path))
    image = _png(tmp_path / "tex.png", textured_image())
    children = []
    real = sandbox.run_limited
    monkeypatch.setattr(sandbox, "run_limited", lambda fn, *a, **k: children.append(fn) or real(fn, *a, **k))
    npy = tmp_path / "heat.npy"
    assert main(["explain", str(path), str(image), "--method", method, "--out", str(tmp_path / "h.png"),
                 "--npy", str(npy)]) == 0
    assert len(children) == 1  # it did go through the sandbox
    np.testing.assert_array_equal(np.load(npy), explain.explain(str(path), images.load_image(image), method).heat)


def test_a_users_file_has_its_field_measured_in_the_sandbox_exactly_as_in_process(tmp_path, monkeypatch):
    from explorer.core import sandbox

    path = tmp_path / "square.onnx"
    onnx.save(square_model(), str(path))
    children = []
    real = sandbox.run_limited
    monkeypatch.setattr(sandbox, "run_limited", lambda fn, *a, **k: children.append(fn) or real(fn, *a, **k))
    npy = tmp_path / "erf.npy"
    assert main(["erf", str(path), "--layer", "pool1", "--unit", "1", "3", "4", "--out", str(tmp_path / "e.png"),
                 "--npy", str(npy)]) == 0
    assert len(children) == 1
    expected = erf.effective_receptive_field(str(path), "pool1", (1, 3, 4))
    np.testing.assert_array_equal(np.load(npy), expected.magnitude)


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "explorer", *args], capture_output=True, text=True, timeout=300)


@pytest.mark.parametrize("args, words", [
    (["explain", "lenet5", "{digit}", "--method", "grad-cam", "--out", "o.png"], "invalid choice: 'grad-cam'"),
    (["explain", "lenet5", "{digit}", "--method", "score-cam", "--layer", "c9", "--out", "o.png"], "No layer named"),
    (["explain", "lenet5", "{digit}", "--method", "occlusion", "--class", "10", "--out", "o.png"], "classes 0 to 9"),
    (["erf", "lenet5", "--layer", "c3", "--unit", "16", "0", "0", "--out", "o.png"], "0 <= C < 16"),
    (["erf", "lenet5", "--layer", "c3", "--unit", "0", "0", "--out", "o.png"], "expected 3 arguments"),
])
def test_user_errors_exit_2_with_one_line(tmp_path, digit, args, words):
    done = run_cli(*[a.replace("{digit}", str(digit)).replace("o.png", str(tmp_path / "o.png")) for a in args])
    assert done.returncode == 2
    assert words in done.stderr and len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr
