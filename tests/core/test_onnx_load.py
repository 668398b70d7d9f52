"""Safe loading: a corpus of bad model files, each refused with a one-line UserError; image-input discovery."""
import json

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from explorer.core.errors import UserError
from explorer.core.onnx_load import find_image_input, load_model
from model_factory import Builder


def small_model() -> onnx.ModelProto:
    b = Builder((1, 3, 16, 16))
    return b.build(b.gap_fc(b.relu(b.conv(b.input, 4, k=3, p=1, name="conv1")), 5))


def test_good_model_roundtrips(tmp_path):
    path = tmp_path / "good.onnx"
    onnx.save(small_model(), path)
    model = load_model(path)
    assert [n.name for n in model.graph.node][0] == "conv1"


@pytest.mark.parametrize("content,fragment", [
    (b"", "empty"),
    (b"\x89PNG\r\n\x1a\n" + bytes(200), "PNG image"),
    (np.random.default_rng(0).bytes(4096), "not an ONNX model"),
    (b"hello, this is plain text and not a model\n" * 20, "not an ONNX model"),
])
def test_bad_files_are_refused_with_one_line(tmp_path, content, fragment):
    path = tmp_path / "bad.onnx"
    path.write_bytes(content)
    with pytest.raises(UserError) as err:
        load_model(path)
    assert fragment in str(err.value) and "\n" not in str(err.value)


@pytest.mark.parametrize("fraction", [0.3, 0.5, 0.9, 0.99])
def test_truncated_model_is_refused(tmp_path, fraction):
    data = small_model().SerializeToString()
    path = tmp_path / "cut.onnx"
    path.write_bytes(data[: int(len(data) * fraction)])
    with pytest.raises(UserError, match="truncated|not an ONNX|incomplete"):
        load_model(path)


def test_missing_file_and_folder(tmp_path):
    with pytest.raises(UserError, match="not found"):
        load_model(tmp_path / "nope.onnx")
    with pytest.raises(UserError, match="folder"):
        load_model(tmp_path)


def test_size_limit_refuses_unless_allowed(tmp_path):
    path = tmp_path / "big.onnx"
    onnx.save(small_model(), path)
    with pytest.raises(UserError, match="allow-large"):
        load_model(path, max_bytes=100)
    assert load_model(path, max_bytes=100, allow_large=True).graph.node


def _with_external(tmp_path, location: str) -> onnx.ModelProto:
    model = small_model()
    weight = next(t for t in model.graph.initializer if t.name == "conv1_W")
    weight.ClearField("float_data")
    weight.ClearField("raw_data")
    weight.data_location = TensorProto.EXTERNAL
    weight.external_data.add(key="location", value=location)
    return model


@pytest.mark.parametrize("location", ["../../etc/passwd", "/etc/passwd", "sub/../../secret.bin"])
def test_external_data_outside_the_folder_is_refused(tmp_path, location):
    folder = tmp_path / "models"
    folder.mkdir()
    (tmp_path / "secret.bin").write_bytes(bytes(1000))
    path = folder / "evil.onnx"
    path.write_bytes(_with_external(tmp_path, location).SerializeToString())
    with pytest.raises(UserError, match="outside its own folder"):
        load_model(path)


def test_external_data_inside_the_folder_loads_and_missing_is_reported(tmp_path):
    model = small_model()
    original = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}
    path = tmp_path / "ext.onnx"
    onnx.save(model, path, save_as_external_data=True, all_tensors_to_one_file=True, location="ext.data",
              size_threshold=0)
    loaded = load_model(path)
    for t in loaded.graph.initializer:
        np.testing.assert_array_equal(numpy_helper.to_array(t), original[t.name])
    with pytest.raises(UserError, match="allow-large"):
        load_model(path, max_bytes=path.stat().st_size + 10)  # the data file counts toward the limit
    (tmp_path / "ext.data").unlink()
    with pytest.raises(UserError, match="missing"):
        load_model(path)


def test_initializers_listed_as_inputs_are_skipped():
    b = Builder((1, 3, 16, 16), ir_version=3, opset=8, initializers_as_inputs=True)
    model = b.build(b.conv(b.input, 2, k=3))
    assert model.graph.input[0].name == "input" and len(model.graph.input) == 3
    model.graph.input.insert(0, model.graph.input.pop())  # the weight first: must still find the image
    assert find_image_input(model) == ("input", (1, 3, 16, 16))


def test_nhwc_and_dynamic_dims():
    notes: list[str] = []
    b = Builder((1, 32, 32, 3), input_dims=["N", 32, 32, 3])
    model = b.build(b.op("Relu", [b.input]))
    assert find_image_input(model, notes) == ("input", (1, 32, 32, 3))
    assert notes == []
    b = Builder((1, 3, 16, 16), input_dims=["N", 3, "H", "W"])
    model = b.build(b.conv(b.input, 2))
    assert find_image_input(model, notes) == ("input", (1, 3, 224, 224))
    assert "224" in notes[0]
    meta = {"cnn_explorer.preprocess": json.dumps({"size": [96, 128]})}
    assert find_image_input(b.build(b.conv(b.input, 2), metadata=meta)) == ("input", (1, 3, 96, 128))


def test_no_image_input_is_a_user_error():
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 100])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 100])
    graph = helper.make_graph([helper.make_node("Relu", ["x"], ["y"])], "g", [x], [y])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8)
    with pytest.raises(UserError, match="no image-like input"):
        find_image_input(model)
    x1 = helper.make_tensor_value_info("x", TensorProto.FLOAT, [100])
    graph = helper.make_graph([helper.make_node("Relu", ["x"], ["y"])], "g", [x1], [y])
    with pytest.raises(UserError, match="no image-like input"):
        find_image_input(helper.make_model(graph, ir_version=8))
