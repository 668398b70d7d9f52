"""`cnn-explorer rf` and the `exact` flag of `inspect --json`: the command-line contract, with hand-derived boxes
(tests/core/test_rf_exact.py proves the same boxes against brute force)."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from explorer.cli import main


def _model(path: Path) -> Path:
    """8×8 input -> ConvTranspose 4/2/1 ("up", 16×16) -> reflect Pad 2 -> Conv 3 ("c") -> GAP -> Gemm."""
    inits = [numpy_helper.from_array(np.ones((1, 1, 4, 4), np.float32), "up_W"),
             numpy_helper.from_array(np.array([0, 0, 2, 2, 0, 0, 2, 2], np.int64), "pads"),
             numpy_helper.from_array(np.ones((1, 1, 3, 3), np.float32), "c_W"),
             numpy_helper.from_array(np.ones((2, 1), np.float32), "fc_W")]
    nodes = [helper.make_node("ConvTranspose", ["x", "up_W"], ["up"], name="up", kernel_shape=[4, 4], strides=[2, 2],
                              pads=[1, 1, 1, 1]),
             helper.make_node("Pad", ["up", "pads"], ["padded"], name="pad", mode="reflect"),
             helper.make_node("Conv", ["padded", "c_W"], ["c"], name="c", kernel_shape=[3, 3]),
             helper.make_node("GlobalAveragePool", ["c"], ["gap"], name="gap"),
             helper.make_node("Flatten", ["gap"], ["flat"], name="flat"),
             helper.make_node("Gemm", ["flat", "fc_W"], ["fc"], name="fc")]
    graph = helper.make_graph(nodes, "rf", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 1, 8, 8])],
                              [helper.make_tensor_value_info("fc", TensorProto.FLOAT, None)], initializer=inits)
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8), path)
    return path


def _rf_json(capsys, *args: str) -> dict:
    assert main(["rf", *args, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_rf_json_gives_exact_boxes(tmp_path, capsys):
    model = str(_model(tmp_path / "m.onnx"))
    # ConvTranspose output y reads x = (y + 1 - t) / 2, t < 4: unit 5 reads input rows 2 and 3
    assert _rf_json(capsys, model, "--layer", "up", "--unit", "5", "5") == \
        {"layer": "up", "unit": [5, 5], "box": [2, 2, 3, 3]}
    # c unit (0, 7) reads padded rows 0..2 = up rows 2, 1, 0 (reflected) -> input rows {0}, {0, 1}, {0, 1};
    # padded columns 7..9 = up columns 5..7 -> input columns {2, 3}, {2, 3}, {3, 4}
    assert _rf_json(capsys, model, "--layer", "c", "--unit", "0", "7") == \
        {"layer": "c", "unit": [0, 7], "box": [0, 2, 1, 4]}
    assert _rf_json(capsys, model, "--layer", "gap", "--unit", "0", "0")["box"] is None  # the whole input


def test_rf_on_a_builtin_matches_the_published_triple(capsys):
    # VGG-16 pool5 is 212/32/90 (Araujo et al. 2019): unit 3 sees 3·32 − 90 = 6 … 6 + 211 = 217
    assert _rf_json(capsys, "vgg16", "--layer", "pool5", "--unit", "3", "3")["box"] == [6, 6, 217, 217]


def test_rf_text_says_rows_columns_and_size(tmp_path, capsys):
    model = str(_model(tmp_path / "m.onnx"))
    assert main(["rf", model, "--layer", "up", "--unit", "5", "6"]) == 0
    assert capsys.readouterr().out.strip() == "up unit (5, 6) sees input rows 2–3 and columns 2–3 (2×2 pixels)."
    assert main(["rf", model, "--layer", "gap", "--unit", "0", "0"]) == 0
    assert capsys.readouterr().out.strip() == "gap unit (0, 0) sees the whole input."


@pytest.mark.parametrize("args, words", [
    (["--layer", "up", "--unit", "16", "0"], "outside layer 'up', which has 16×16 units"),
    (["--layer", "up", "--unit", "0", "-1"], "choose Y in 0..15 and X in 0..15"),
    (["--layer", "fc", "--unit", "0", "0"], "no rows and columns"),
    (["--layer", "up"], "--unit"),
])
def test_rf_user_errors_are_one_line_exit_2(tmp_path, capsys, args, words):
    assert main(["rf", str(_model(tmp_path / "m.onnx")), *args]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and len(captured.err.strip().splitlines()) == 1 and words in captured.err


def test_rf_unknown_layer_in_a_real_process_has_no_traceback(tmp_path):
    result = subprocess.run([sys.executable, "-m", "explorer", "rf", str(_model(tmp_path / "m.onnx")), "--layer",
                             "nope", "--unit", "0", "0"], capture_output=True, text=True, timeout=300)
    assert result.returncode == 2 and result.stdout == "" and "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines() == ["cnn-explorer: No layer named 'nope'; 'cnn-explorer inspect MODEL' "
                                                  "lists the layers."]


def test_inspect_json_flags_fields_no_triple_describes(tmp_path, capsys):
    assert main(["inspect", str(_model(tmp_path / "m.onnx")), "--json"]) == 0
    layers = {layer["name"]: layer for layer in json.loads(capsys.readouterr().out)["layers"]}
    assert layers["up"]["rf"]["exact"] is False and layers["c"]["rf"]["exact"] is False
    assert layers["gap"]["rf"] is None and layers["fc"]["rf"] is None
    assert main(["inspect", "lenet5", "--json"]) == 0
    assert all("exact" not in (layer["rf"] or {}) for layer in json.loads(capsys.readouterr().out)["layers"])
