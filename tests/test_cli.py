"""The command line: results equal the core's, and user errors exit 2 with one line and no traceback."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import onnx
import pytest

from explorer.cli import main

LECTURE_EDGE = np.array([[255, 255, 255, 0, 0, 0]] * 6, dtype=np.uint8)


def _write_png(path: Path, pixels: np.ndarray) -> Path:
    ok, data = cv2.imencode(".png", pixels)
    assert ok
    path.write_bytes(data.tobytes())
    return path


def run_cli(*args: str) -> subprocess.CompletedProcess:
    """A real process: proves the exit status and that stderr holds no traceback."""
    return subprocess.run([sys.executable, "-m", "explorer", *args], capture_output=True, text=True, timeout=300)


def test_conv_reproduces_the_lecture_edge_example(tmp_path):
    image = _write_png(tmp_path / "edge.png", LECTURE_EDGE)
    out, npy = tmp_path / "out.png", tmp_path / "out.npy"
    assert main(["conv", str(image), "--kernel", "[[1,0,-1],[1,0,-1],[1,0,-1]]", "--out", str(out),
                 "--npy", str(npy)]) == 0
    expected = np.zeros((4, 4), np.float32)
    expected[:, 1:3] = 765
    np.testing.assert_array_equal(np.load(npy), expected)
    assert cv2.imread(str(out)) is not None


def test_conv_stride_padding_dilation_and_pooling_shapes(tmp_path):
    image = _write_png(tmp_path / "noise.png", np.random.default_rng(0).integers(0, 255, (40, 50), dtype=np.uint8))
    npy = tmp_path / "o.npy"
    assert main(["conv", str(image), "--kernel", "sobel x", "--size", "5", "--stride", "2", "--padding", "1",
                 "--dilation", "2", "--pool", "max", "--pool-size", "2", "--pool-stride", "2",
                 "--out", str(tmp_path / "o.png"), "--npy", str(npy)]) == 0
    # conv: floor((40 + 2 - 2*4 - 1)/2) + 1 = 17, floor((50 + 2 - 8 - 1)/2) + 1 = 22; max-pool 2/2: 8 × 11
    assert np.load(npy).shape == (8, 11)


def test_conv_same_padding_keeps_ceil_n_over_s(tmp_path):
    image = _write_png(tmp_path / "g.png", np.full((7, 9), 10, np.uint8))
    npy = tmp_path / "o.npy"
    assert main(["conv", str(image), "--padding", "same", "--stride", "2", "--size", "3", "--out",
                 str(tmp_path / "o.png"), "--npy", str(npy)]) == 0
    assert np.load(npy).shape == (4, 5)


@pytest.mark.parametrize("args, words", [
    (["conv", "{missing}", "--out", "{out}"], "missing.png"),
    (["conv", "{text}", "--out", "{out}"], "notes.png"),
    (["conv", "{image}", "--size", "9", "--out", "{out}"], "filter"),
    (["conv", "{image}", "--stride", "0", "--out", "{out}"], "stride"),
    (["conv", "{image}", "--padding", "lots", "--out", "{out}"], "padding"),
    (["conv", "{image}", "--kernel", "blurry", "--out", "{out}"], "preset"),
    (["inspect", "{text}"], "notes.png"),
    (["inspect", "no-such-model"], "built-in"),
    (["export", "no-such-model", "--out", "{out}"], "no-such-model"),
    (["frobnicate"], "invalid choice"),
])
def test_user_errors_exit_2_with_one_line(tmp_path, args, words):
    image = _write_png(tmp_path / "edge.png", LECTURE_EDGE)
    text = tmp_path / "notes.png"
    text.write_text("not a picture")
    values = {"missing": str(tmp_path / "missing.png"), "text": str(text), "image": str(image),
              "out": str(tmp_path / "out.png")}
    result = run_cli(*[a.format(**values) for a in args])
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    assert words.lower() in lines[0].lower()


def test_models_lists_every_builtin_with_its_parameter_count(capsys):
    from explorer.core import zoo

    assert main(["models"]) == 0
    printed = capsys.readouterr().out
    for entry in zoo.BUILTINS.values():
        assert entry.name in printed and f"{entry.params:,}" in printed


def test_inspect_json_follows_the_design_contract(capsys):
    assert main(["inspect", "lenet5", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert set(report) == {"model", "input", "params", "macs", "layers"}
    assert report["params"] == 61_706
    assert set(report["input"]) == {"name", "shape"}
    for layer in report["layers"]:
        assert set(layer) == {"name", "op", "output", "shape", "params", "macs", "rf"}
    c1 = next(layer for layer in report["layers"] if layer["name"] == "c1")
    assert c1["rf"] == {"size": [5, 5], "stride": [1, 1], "padding": [0, 0]}
    # C1: 28×28 outputs × 6 filters × 5×5 taps = 117,600 multiply-adds
    assert c1["macs"] == 117_600


def test_inspect_table_fits_120_columns(capsys):
    assert main(["inspect", "lenet5"]) == 0
    out = capsys.readouterr().out
    assert "c1" in out and max(len(line) for line in out.splitlines()) <= 120


def test_export_writes_a_model_onnxruntime_opens(tmp_path):
    import onnxruntime as ort

    out = tmp_path / "lenet.onnx"
    assert main(["export", "lenet5", "--out", str(out)]) == 0
    session = ort.InferenceSession(str(out), providers=["CPUExecutionProvider"])
    result = session.run(None, {session.get_inputs()[0].name: np.zeros((1, 1, 32, 32), np.float32)})
    assert onnx.load(str(out)).graph.node and result[0].shape[-1] == 10


def test_activations_writes_mosaic_and_every_tensor(tmp_path):
    image = _write_png(tmp_path / "edge.png", LECTURE_EDGE)
    out, npz = tmp_path / "mosaic.png", tmp_path / "all.npz"
    assert main(["activations", "lenet5", str(image), "--layer", "c1", "--out", str(out), "--npz", str(npz)]) == 0
    saved = np.load(npz)
    assert saved["c1"].shape == (1, 6, 28, 28)
    from explorer.core import zoo

    model = onnx.load(str(zoo.materialize("lenet5")))
    assert len(saved.files) == sum(len(node.output) for node in model.graph.node)
    assert cv2.imread(str(out)) is not None


def test_inspect_a_model_with_an_unknown_operator_prints_the_table_and_no_runtime_log(tmp_path):
    """The shape probe fails in onnxruntime; the table still comes, with a note, and stderr stays clean."""
    from onnx import TensorProto, helper

    weight = helper.make_tensor("w", TensorProto.FLOAT, (4, 1, 3, 3), np.ones(36, np.float32))
    graph = helper.make_graph(
        [helper.make_node("Conv", ["x", "w"], ["c"], name="conv1"),
         helper.make_node("Swizzle", ["c"], ["y"], name="mystery", domain="com.example")],
        "custom", [helper.make_tensor_value_info("x", TensorProto.FLOAT, (1, 1, 16, 16))],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)], [weight])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid("com.example", 1)])
    model.ir_version = 8
    path = tmp_path / "custom.onnx"
    onnx.save(model, str(path))
    result = run_cli("inspect", str(path))
    assert result.returncode == 0, result.stderr
    assert "conv1" in result.stdout and "mystery" in result.stdout
    assert result.stderr == ""
