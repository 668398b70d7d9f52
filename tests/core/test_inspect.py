"""inspect_model: shapes, parameters and multiply-adds computed by hand, branching graphs, old and new ONNX."""
import numpy as np
import onnx
import pytest
from onnx import numpy_helper

from explorer.core.inspect import format_table, inspect_model, to_json
from explorer.core.receptive_field import RF
from model_factory import Builder


def by_name(info):
    return {layer.name: layer for layer in info.layers}


def test_tiny_cnn_by_hand():
    b = Builder((1, 3, 32, 32))
    x = b.relu(b.conv(b.input, 8, k=3, s=2, p=1, name="conv1"), name="relu1")
    x = b.pool(x, k=2, s=2, name="pool1")
    x = b.conv(x, 16, k=3, p=1, name="conv2")
    info = inspect_model(b.build(b.gap_fc(x, 10)))
    layers = by_name(info)
    assert [layer.name for layer in info.layers] == ["conv1", "relu1", "pool1", "conv2", "fc_gap", "fc_flatten", "fc"]
    assert layers["conv1"].shape == (1, 8, 16, 16) and layers["pool1"].shape == (1, 8, 8, 8)
    assert layers["fc"].shape == (1, 10)
    # conv1: 8*3*3*3 weights + 8 biases; 16*16 outputs * 8 filters * 27 taps
    assert layers["conv1"].params == 8 * 27 + 8 and layers["conv1"].macs == 16 * 16 * 8 * 27
    assert layers["conv2"].params == 16 * 8 * 9 + 16 and layers["conv2"].macs == 8 * 8 * 16 * 72
    assert layers["fc"].params == 10 * 16 + 10 and layers["fc"].macs == 160
    assert layers["relu1"].params == 0 and layers["pool1"].macs == 0
    assert info.params == 224 + 1168 + 170 and info.macs == 55296 + 73728 + 160
    assert layers["conv1"].attrs["strides"] == [2, 2] and layers["conv1"].attrs["pads"] == [1, 1, 1, 1]
    assert layers["conv1"].rf == RF((3, 3), (2, 2), (1, 1)) and layers["fc"].rf is None
    assert info.input_name == "input" and info.input_shape == (1, 3, 32, 32) and info.notes == []


def test_grouped_conv_and_matmul_macs():
    b = Builder((1, 4, 8, 8))
    x = b.conv(b.input, 8, k=3, p=1, group=2, bias=False, name="grouped")
    flat = b.op("Flatten", [x], name="flat", axis=1)
    out = b.op("MatMul", [flat, b.weight("mm_W", [8 * 64, 5])], name="mm", channels=5)
    layers = by_name(inspect_model(b.build(out)))
    assert layers["grouped"].params == 8 * 2 * 9 and layers["grouped"].macs == 64 * 8 * 2 * 9
    assert layers["mm"].params == 512 * 5 and layers["mm"].macs == 512 * 5


def test_residual_inception_and_dense_branches():
    b = Builder((1, 8, 16, 16))
    res = b.op("Add", [b.conv(b.relu(b.conv(b.input, 8, k=3, p=1)), 8, k=3, p=1), b.input], name="res_add")
    branches = [b.conv(res, 4, k=1), b.conv(b.conv(res, 2, k=1), 4, k=3, p=1),
                b.conv(b.conv(res, 2, k=1), 4, k=5, p=2), b.conv(b.pool(res, k=3, s=1, p=1), 4, k=1)]
    incep = b.concat(branches, name="inception")
    dense = b.concat([incep, b.conv(incep, 6, k=3, p=1, name="growth")], name="dense")
    info = inspect_model(b.build(dense))
    layers = by_name(info)
    assert layers["res_add"].shape == (1, 8, 16, 16)
    assert layers["inception"].shape == (1, 16, 16, 16) and layers["dense"].shape == (1, 22, 16, 16)
    assert layers["growth"].params == 6 * 16 * 9 + 6
    # res_add: two 3x3 convs (5/1/2) united with the identity (1/1/0) -> 5/1/2; the 5x5 branch adds 4 -> 9/1/4
    assert layers["res_add"].rf == RF((5, 5), (1, 1), (2, 2))
    assert layers["inception"].rf == RF((9, 9), (1, 1), (4, 4))
    assert len(info.layers) == len(b.nodes)
    names = [layer.name for layer in info.layers]
    assert names.index("res_add") < names.index("inception") < names.index("dense")


def _old_style_model() -> onnx.ModelProto:
    """IR 3, opset 9, initializers also listed as inputs; LRN, Sum, Constant and ConstantOfShape weights."""
    b = Builder((1, 3, 24, 24), ir_version=3, opset=9, initializers_as_inputs=True)
    c1 = b.conv(b.input, 4, k=5, s=2, p=2, name="conv1", weights_from="constant_of_shape")
    n1 = b.op("LRN", [b.relu(c1)], name="norm1", size=5, alpha=1e-4, beta=0.75)
    a = b.conv(n1, 4, k=3, p=1, name="branch_a", weights_from="constant")
    c = b.conv(n1, 4, k=1, name="branch_b")
    s = b.op("Sum", [a, c, n1], name="sum")
    return b.build(b.gap_fc(s, 3))


def test_old_style_ir3_model():
    model = _old_style_model()
    info = inspect_model(model)
    layers = by_name(info)
    assert info.input_name == "input"
    assert "conv1_W_fill" not in layers and "branch_a_W_const" not in layers  # weight builders are not layers
    # conv1: ConstantOfShape weights 4*3*5*5 + bias 4; branch_a: Constant weights 4*4*9 + 4; branch_b 16 + 4
    assert layers["conv1"].params == 300 + 4 and layers["conv1"].macs == 12 * 12 * 4 * 75
    assert layers["branch_a"].params == 144 + 4 and layers["branch_b"].params == 20
    assert layers["norm1"].shape == (1, 4, 12, 12) and layers["sum"].shape == (1, 4, 12, 12)
    assert info.params == 304 + 148 + 20 + 15
    # conv1 5/2/2; branch_a 3x3 p1: 5 + 2*2 = 9, padding 2 + 1*2 = 4; branch_b and norm1 stay 5/2/2
    # sum = union: padding 4, size max(9, 4 - 2 + 5) = 9
    assert layers["sum"].rf == RF((9, 9), (2, 2), (4, 4))
    assert layers["conv1"].rf == RF((5, 5), (2, 2), (2, 2))


def test_new_opset_batchnorm_shared_weights():
    b = Builder((1, 3, 16, 16), ir_version=10, opset=21)
    x = b.conv(b.input, 4, k=3, p=1, bias=False, name="conv")
    stats = [b.weight(f"bn_{k}", [4], 1.0) for k in ("scale", "bias", "mean", "var")]
    x = b.op("BatchNormalization", [x] + stats, name="bn")
    shared = b.weight("shared_W", [4, 4, 1, 1])
    y1 = b.op("Conv", [x, shared], name="tied1", kernel_shape=[1, 1])
    y2 = b.op("Conv", [y1, shared], name="tied2", kernel_shape=[1, 1])
    info = inspect_model(b.build(y2))
    layers = by_name(info)
    assert layers["bn"].params == 8  # running mean and variance are statistics, not parameters
    assert layers["tied1"].params == 16 and layers["tied2"].params == 0  # counted once
    assert layers["tied2"].macs == 16 * 16 * 4 * 4
    assert info.params == 4 * 27 + 8 + 16


def test_shape_holes_filled_by_one_probe_run():
    b = Builder((1, 2, 8, 8))
    x = b.conv(b.input, 3, k=3, p=1, name="conv")
    shape = b.op("Shape", [x], name="shape")
    batch = b.op("Gather", [shape, b.input + "_zero"], name="batch", axis=0)
    b.inits.append(numpy_helper.from_array(np.array(0, np.int64), b.input + "_zero"))
    b.inits.append(numpy_helper.from_array(np.array([-1], np.int64), "minus_one"))
    new_shape = b.op("Concat", [b.op("Unsqueeze", [batch, "axes0"], name="unsq"), "minus_one"], name="newshape",
                     axis=0)
    b.inits.append(numpy_helper.from_array(np.array([0], np.int64), "axes0"))
    flat = b.op("Reshape", [x, new_shape], name="reshape")
    info = inspect_model(b.build(flat))
    assert by_name(info)["reshape"].shape == (1, 192)
    assert any("probe run" in n for n in info.notes)


def test_unknown_operator_degrades_gracefully():
    b = Builder((1, 1, 8, 8))
    x = b.op("FancyBlur", [b.conv(b.input, 2, k=3, p=1, name="conv")], name="blur", domain="com.example")
    info = inspect_model(b.build(b.conv(x, 2, k=3, name="after")))
    layers = by_name(info)
    assert layers["conv"].shape == (1, 2, 8, 8) and layers["blur"].shape is None
    assert layers["after"].params == 2 * 2 * 9 + 2 and layers["after"].rf is None
    assert any("onnxruntime could not run" in n for n in info.notes)
    assert "blur" in format_table(info)


def test_dynamic_input_uses_224_and_says_so():
    b = Builder((1, 3, 16, 16), input_dims=["batch", 3, "height", "width"])
    info = inspect_model(b.build(b.conv(b.input, 2, k=3, s=2, p=1, name="c")))
    assert info.input_shape == (1, 3, 224, 224) and by_name(info)["c"].shape == (1, 2, 112, 112)
    assert any("224" in n for n in info.notes)


def test_nodes_out_of_order_and_unnamed():
    b = Builder((1, 1, 8, 8))
    c = b.conv(b.input, 1, k=3, name="conv")
    r = b.relu(c)
    model = b.build(r)
    nodes = list(model.graph.node)
    nodes[1].name = ""
    del model.graph.node[:]
    model.graph.node.extend(reversed(nodes))
    info = inspect_model(model)
    assert [layer.name for layer in info.layers] == ["conv", r]  # unnamed: its first output's name
    assert info.layers[1].name == nodes[1].output[0]


def test_builtin_name_and_path(tmp_path):
    zoo = pytest.importorskip("explorer.core.zoo")
    info = inspect_model("lenet5")
    assert info.params == zoo.BUILTINS["lenet5"].params and info.name == "lenet5"
    path = tmp_path / "tiny.onnx"
    b = Builder((1, 1, 8, 8))
    onnx.save(b.build(b.conv(b.input, 2, k=3)), path)
    assert inspect_model(path).name == "tiny" and inspect_model(str(path)).params == 20


def test_to_json_contract_exactly():
    b = Builder((1, 3, 16, 16))
    data = to_json(inspect_model(b.build(b.gap_fc(b.conv(b.input, 4, k=3, name="conv1"), 2))))
    assert list(data) == ["model", "input", "params", "macs", "layers"]
    assert data["input"] == {"name": "input", "shape": [1, 3, 16, 16]}
    first = data["layers"][0]
    assert list(first) == ["name", "op", "output", "shape", "params", "macs", "rf"]
    assert first == {"name": "conv1", "op": "Conv", "output": "conv1", "shape": [1, 4, 14, 14], "params": 112,
                     "macs": 14 * 14 * 4 * 27, "rf": {"size": [3, 3], "stride": [1, 1], "padding": [0, 0]}}
    assert data["layers"][-1]["rf"] is None
    import json

    assert json.loads(json.dumps(data)) == data


def test_format_table_fits_120_columns_and_truncates():
    b = Builder((1, 3, 16, 16))
    long = "inception_4e/" + "very_long_branch_name/" * 6 + "conv"
    x = b.conv(b.input, 4, k=3, name=long)
    info = inspect_model(b.build(b.gap_fc(x, 2)))
    table = format_table(info)
    lines = table.splitlines()
    assert all(len(line) <= 120 for line in lines)
    assert any("…" in line and "inception_4e/" in line for line in lines)
    assert "Total" in table and f"{info.params:,}" in table
    assert all(len(line) <= 80 for line in format_table(info, width=80).splitlines())


@pytest.mark.parametrize("op,attrs", [
    ("MaxPool", dict(kernel_shape=[3, 3], dilations=[2, 2], auto_pad="SAME_UPPER")),  # ONNX formula 10, ORT 8
    ("MaxPool", dict(kernel_shape=[3, 3], strides=[3, 3], dilations=[2, 2], auto_pad="SAME_LOWER")),
    ("AveragePool", dict(kernel_shape=[2, 2], strides=[2, 2], pads=[0, 0, 1, 1], ceil_mode=1)),  # 6 vs ORT 5
])
def test_shapes_are_the_tensors_onnxruntime_produces(op, attrs):
    import onnxruntime as ort

    b = Builder((1, 1, 10, 10))
    pooled = b.op(op, [b.conv(b.input, 2, k=1, name="c")], name="p", **attrs)
    model = b.build(b.conv(pooled, 1, k=3, p=1, name="after"))
    info = inspect_model(model)
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    produced = session.run(None, {"input": np.zeros((1, 1, 10, 10), np.float32)})[0]
    assert by_name(info)["after"].shape == produced.shape
    assert by_name(info)["p"].shape == produced.shape[:1] + (2,) + produced.shape[2:]
    assert any("probe run" in n for n in info.notes)


def test_table_marks_fields_no_triple_describes():
    b = Builder((1, 1, 12, 12), opset=19)
    pads = b.input + "_pads"
    b.inits.append(numpy_helper.from_array(np.array([0, 0, 2, 2, 0, 0, 2, 2], np.int64), pads))
    conv = b.conv(b.op("Pad", [b.input, pads], name="pad", mode="reflect"), 1, k=3, name="conv")
    info = inspect_model(b.build(conv))
    # reflect: padded row 0 is input row 2 and padded row 15 input row 9, so 9/1/6 is the smallest bounding triple
    assert by_name(info)["pad"].rf == RF((9, 9), (1, 1), (6, 6), exact=False)
    table = format_table(info)
    assert "9/1/6~" in table and "~ = bounds the field (no triple fits every unit)" in table
    assert all(len(line) <= 120 and not line.endswith("…") for line in table.splitlines())
    plain = Builder((1, 1, 12, 12))
    data = to_json(inspect_model(plain.build(plain.conv(plain.input, 1, k=3, name="plain"))))
    assert data["layers"][0]["rf"] == {"size": [3, 3], "stride": [1, 1], "padding": [0, 0]}
