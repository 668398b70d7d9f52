"""All-activations sessions: completeness, agreement with truncated models, providers, cancel, errors."""
import gc
import importlib.util
import threading
import time
import weakref

import numpy as np
import onnx
import onnx.utils
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper, numpy_helper

from explorer.core import runtime
from explorer.core.errors import UserError
from explorer.core.preprocess import METADATA_KEY, Preprocess
from explorer.core.runtime import ActivationSession, RunCancelled, available_providers, compute_activations

OPSET = [helper.make_opsetid("", 17)]


def _model(nodes, inputs, outputs, inits, meta=None) -> onnx.ModelProto:
    model = helper.make_model(helper.make_graph(nodes, "tiny", inputs, outputs, inits), opset_imports=OPSET,
                              ir_version=8)
    if meta:
        helper.set_model_props(model, meta)
    return model


def tiny_cnn() -> onnx.ModelProto:
    """conv -> relu -> maxpool -> identity -> flatten -> gemm -> softmax, with a constant-foldable branch."""
    rng = np.random.default_rng(0)
    inits = [numpy_helper.from_array(rng.standard_normal((4, 3, 3, 3)).astype(np.float32), "w1"),
             numpy_helper.from_array(rng.standard_normal(4).astype(np.float32), "b1"),
             numpy_helper.from_array(rng.standard_normal((5, 4 * 4 * 4)).astype(np.float32), "fc_w"),
             numpy_helper.from_array(np.ones(5, np.float32), "fc_b"),
             numpy_helper.from_array(np.array([2.0], np.float32), "two")]
    nodes = [
        helper.make_node("Conv", ["x", "w1", "b1"], ["conv1_out"], name="conv1", pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["conv1_out"], ["relu1_out"], name="relu1"),
        helper.make_node("MaxPool", ["relu1_out"], ["pool1_out"], name="pool1", kernel_shape=[2, 2], strides=[2, 2]),
        helper.make_node("Identity", ["pool1_out"], ["id_out"], name="identity"),
        helper.make_node("Add", ["two", "two"], ["four"], name="const_add"),  # folded by ORT_ENABLE_BASIC
        helper.make_node("Mul", ["id_out", "four"], ["scaled"], name=""),     # unnamed node
        helper.make_node("Flatten", ["scaled"], ["flat"], name="flatten"),
        helper.make_node("Gemm", ["flat", "fc_w", "fc_b"], ["logits"], name="fc", transB=1),
        helper.make_node("Softmax", ["logits"], ["prob"], name="softmax"),
    ]
    return _model(nodes, [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 8, 8])],
                  [helper.make_tensor_value_info("prob", TensorProto.FLOAT, [1, 5])], inits,
                  {METADATA_KEY: Preprocess(size=(8, 8)).to_json()})


def node_outputs(model: onnx.ModelProto) -> list[str]:
    return [o for n in model.graph.node for o in n.output if o]


def reference(path, input_name, tensor_name, x):
    """A separate default-optimised run of the model truncated at tensor_name."""
    cut = str(path) + f".{abs(hash(tensor_name))}.onnx"
    onnx.utils.extract_model(str(path), cut, [input_name], [tensor_name])
    return ort.InferenceSession(cut, providers=["CPUExecutionProvider"]).run(None, {input_name: x})[0]


@pytest.fixture(scope="module")
def cpu_session():
    return ActivationSession(tiny_cnn(), providers=["CPUExecutionProvider"])


def test_every_node_output_is_returned(cpu_session):
    x = np.random.default_rng(1).standard_normal((1, 3, 8, 8)).astype(np.float32)
    acts = cpu_session.run(x)
    model = tiny_cnn()
    assert list(acts.tensors) == node_outputs(model) and len(acts.tensors) == len(model.graph.node)
    # Identity and the folded constant survive optimisation because they are graph outputs.
    np.testing.assert_array_equal(acts.tensors["id_out"], acts.tensors["pool1_out"])
    np.testing.assert_array_equal(acts.tensors["four"], [4.0])
    assert acts.layer_tensor["conv1"] == "conv1_out" and acts.layer_tensor["scaled"] == "scaled"
    assert acts.output.shape == (1, 5) and acts.output is acts.tensors["prob"]
    assert acts.provider == "CPUExecutionProvider" and acts.timings["total_ms"] >= acts.timings["run_ms"] > 0
    assert cpu_session.input_name == "x" and tuple(cpu_session.input_shape) == (1, 3, 8, 8)


def test_caller_model_is_not_modified_and_injected_weights_match(monkeypatch):
    monkeypatch.setattr(runtime, "_INJECT_MIN_BYTES", 0)  # move every weight out, even tiny ones
    model = tiny_cnn()
    before = model.SerializeToString()
    session = ActivationSession(model, providers=["CPUExecutionProvider"])
    assert model.SerializeToString() == before
    x = np.random.default_rng(4).standard_normal((1, 3, 8, 8)).astype(np.float32)
    plain = ort.InferenceSession(before, providers=["CPUExecutionProvider"]).run(None, {"x": x})[0]
    np.testing.assert_allclose(session.run(x).output, plain, rtol=1e-5, atol=1e-6)


def test_activations_match_truncated_models(tmp_path, cpu_session):
    path = tmp_path / "tiny.onnx"
    onnx.save(tiny_cnn(), path)
    x = np.random.default_rng(2).standard_normal((1, 3, 8, 8)).astype(np.float32)
    acts = ActivationSession(path, providers=["CPUExecutionProvider"]).run(x)
    for name in ("conv1_out", "pool1_out", "scaled", "logits"):
        np.testing.assert_allclose(acts.tensors[name], reference(path, "x", name, x), rtol=1e-5, atol=1e-5)


ZOO = importlib.util.find_spec("explorer.core.zoo") is not None and \
    importlib.util.find_spec("explorer.core.zoo").origin is not None


@pytest.mark.skipif(not ZOO, reason="explorer.core.zoo has not landed")
@pytest.mark.parametrize("name", ["lenet5", "googlenet", "densenet121"])
def test_optimisation_level_changes_no_tensor(name, monkeypatch):
    """Every exposed tensor at the chosen level equals the same tensor from an unoptimised session."""
    from explorer.core import zoo

    model = zoo.build(name)
    optimised = ActivationSession(model, providers=["CPUExecutionProvider"])
    monkeypatch.setattr(runtime, "OPTIMIZATION_LEVEL", ort.GraphOptimizationLevel.ORT_DISABLE_ALL)
    plain = ActivationSession(model, providers=["CPUExecutionProvider"])
    x = np.random.default_rng(5).standard_normal(plain.input_shape).astype(np.float32)
    got, expected = optimised.run(x).tensors, plain.run(x).tensors
    assert list(got) == list(expected) == node_outputs(model)
    for tensor, value in expected.items():
        scale = max(1.0, float(np.abs(value).max())) if value.size else 1.0
        np.testing.assert_allclose(got[tensor], value, rtol=1e-4, atol=1e-5 * scale, err_msg=tensor)


@pytest.mark.skipif(not ZOO, reason="explorer.core.zoo has not landed")
@pytest.mark.parametrize("name", ["lenet5", "resnet34"])
def test_zoo_activations_match_truncated_models(name, tmp_path):
    from explorer.core import zoo

    model = zoo.build(name)
    path = tmp_path / f"{name}.onnx"
    onnx.save(model, path)
    session = ActivationSession(path, providers=["CPUExecutionProvider"])
    x = np.random.default_rng(3).standard_normal(session.input_shape).astype(np.float32)
    acts = session.run(x)
    assert len(acts.tensors) == len(node_outputs(model))
    names = node_outputs(model)
    convs = [n.output[0] for n in model.graph.node if n.op_type == "Conv"]
    for tensor in {convs[0], convs[len(convs) // 2], names[len(names) // 2], names[-1]}:
        expected = reference(path, session.input_name, tensor, x)
        # Fused (default-optimised) kernels sum in another order: compare relative to the tensor's scale.
        np.testing.assert_allclose(acts.tensors[tensor], expected, rtol=1e-4,
                                   atol=1e-5 * max(1.0, float(np.abs(expected).max())))


def test_providers_and_cuda_fallback():
    assert available_providers()[-1] == "CPUExecutionProvider"
    assert available_providers()[0] == ("CUDAExecutionProvider" if "CUDAExecutionProvider" in
                                        ort.get_available_providers() else "CPUExecutionProvider")
    cpu = ActivationSession(tiny_cnn(), providers=["CPUExecutionProvider"])
    assert cpu.provider == "CPUExecutionProvider" and not cpu.fell_back and cpu.note is None and cpu.notes == []
    # This machine has no CUDA: asking for it must end on CPU, and say so.
    cuda = ActivationSession(tiny_cnn(), providers=["CUDAExecutionProvider", "CPUExecutionProvider"])
    assert cuda.provider == "CPUExecutionProvider" and cuda.fell_back and "CUDAExecutionProvider" in cuda.note
    assert cuda.notes[-1] == cuda.note
    assert cuda.run(np.zeros((1, 3, 8, 8), np.float32)).provider == "CPUExecutionProvider"


def slow_model(layers: int = 30, channels: int = 256, size: int = 64) -> onnx.ModelProto:
    w0 = numpy_helper.from_array(np.full((channels, 3, 3, 3), 1e-3, np.float32), "w0")
    w = numpy_helper.from_array(np.full((channels, channels, 3, 3), 1e-3, np.float32), "w")
    nodes, prev = [], "x"
    for i in range(layers):
        nodes.append(helper.make_node("Conv", [prev, "w" if i else "w0"], [f"c{i}"], name=f"conv{i}",
                                      pads=[1, 1, 1, 1]))
        prev = f"c{i}"
    return _model(nodes, [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, size, size])],
                  [helper.make_tensor_value_info(prev, TensorProto.FLOAT, [1, channels, size, size])], [w0, w])


def test_cancel_from_another_thread():
    session = ActivationSession(slow_model(), providers=["CPUExecutionProvider"])

    def cancel_once_running() -> None:
        deadline = time.monotonic() + 10
        while not session._in_flight and time.monotonic() < deadline:
            time.sleep(0.002)
        time.sleep(0.02)  # let it get into the convolutions
        session.cancel()

    canceller = threading.Thread(target=cancel_once_running)
    canceller.start()
    try:
        with pytest.raises(RunCancelled):
            session.run(np.ones(session.input_shape, np.float32))
    finally:
        canceller.join()
    session.cancel()  # nothing in flight: a no-op
    small = ActivationSession(slow_model(layers=2, size=8), providers=["CPUExecutionProvider"])
    assert len(small.run(np.ones(small.input_shape, np.float32)).tensors) == 2


def test_release_frees_tensors(cpu_session):
    acts = cpu_session.run(np.ones((1, 3, 8, 8), np.float32))
    ref = weakref.ref(acts.tensors["conv1_out"])
    acts.release(["conv1_out", "not-a-tensor"])
    gc.collect()
    assert "conv1_out" not in acts.tensors and ref() is None and "relu1_out" in acts.tensors


def test_unsupported_operator_is_a_user_error():
    model = _model([helper.make_node("FancyOp", ["x"], ["y"])],
                   [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 8, 8])],
                   [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 3, 8, 8])], [])
    with pytest.raises(UserError, match=r"operator 'FancyOp' that onnxruntime .* cannot run") as info:
        ActivationSession(model, providers=["CPUExecutionProvider"])
    assert "\n" not in str(info.value)


def test_wrong_input_shape_is_a_user_error(cpu_session):
    with pytest.raises(UserError, match="expects an input of shape"):
        cpu_session.run(np.zeros((1, 3, 9, 9), np.float32))


def test_compute_activations_uses_model_recipe():
    image = np.full((16, 16, 3), 255, np.uint8)
    acts = compute_activations(tiny_cnn(), image)
    assert acts.output.shape == (1, 5)
    np.testing.assert_allclose(acts.output.sum(), 1.0, rtol=1e-5)


def test_dynamic_input_size_runs_any_size():
    w = numpy_helper.from_array(np.ones((2, 3, 3, 3), np.float32), "w")
    model = _model([helper.make_node("Conv", ["x", "w"], ["y"], name="conv")],
                   [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 3, "H", "W"])],
                   [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)], [w])
    session = ActivationSession(model, providers=["CPUExecutionProvider"])
    assert session.input_shape == (1, 3, 224, 224) and any("dynamic" in n for n in session.notes)
    assert session.run(np.ones((1, 3, 16, 12), np.float32)).tensors["y"].shape == (1, 2, 14, 10)


def test_onnxruntime_stays_quiet_unless_asked(tmp_path):
    """A fresh process (onnxruntime logs its failed CUDA library load there, at ERROR) writes nothing to stderr;
    with CNN_EXPLORER_ORT_VERBOSE=1 onnxruntime's own log appears."""
    import os
    import subprocess
    import sys

    code = (
        "import numpy as np\n"
        "from explorer.core.runtime import ActivationSession, available_providers\n"
        "from explorer.core import zoo\n"
        "s = ActivationSession(zoo.build('lenet5'), providers=available_providers())\n"
        "s.run(np.zeros((1, 1, 32, 32), np.float32))\n"
        "print(s.provider)\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "CNN_EXPLORER_ORT_VERBOSE"}
    quiet = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert quiet.returncode == 0 and quiet.stderr == "", quiet.stderr
    loud = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                          env={**env, "CNN_EXPLORER_ORT_VERBOSE": "1"})
    assert loud.returncode == 0 and "onnxruntime" in loud.stderr


def test_weights_given_as_arrays_are_used_and_checked():
    """A structure-only initializer (dims, no data) runs with the array given for it, exactly as the full model;
    an array that does not fit its initializer is refused by name."""
    full = tiny_cnn()
    bare = tiny_cnn()
    fc_w = next(t for t in bare.graph.initializer if t.name == "fc_w")
    given = {"fc_w": numpy_helper.to_array(fc_w).copy()}
    fc_w.ClearField("raw_data")
    x = np.random.default_rng(6).standard_normal((1, 3, 8, 8)).astype(np.float32)
    expected = ActivationSession(full, providers=["CPUExecutionProvider"]).run(x).tensors
    got = ActivationSession(bare, providers=["CPUExecutionProvider"], weights=given).run(x).tensors
    assert list(got) == list(expected)
    for name, value in expected.items():
        np.testing.assert_array_equal(got[name], value, err_msg=name)
    with pytest.raises(ValueError, match="'fc_w' is float32\\[5, 16\\], not FLOAT\\[5, 64\\]"):
        ActivationSession(bare, weights={"fc_w": given["fc_w"][:, :16]})


def test_onnxruntime_keeps_its_own_copy_of_the_weights():
    """The session does not hold the caller's arrays: onnxruntime copied them (AddExternalInitializers), so
    changing them afterwards changes nothing."""
    model = tiny_cnn()
    weights = {t.name: numpy_helper.to_array(t).copy() for t in model.graph.initializer}
    session = ActivationSession(model, providers=["CPUExecutionProvider"], weights=weights)
    x = np.random.default_rng(7).standard_normal((1, 3, 8, 8)).astype(np.float32)
    before = session.run(x).output
    for array in weights.values():
        array[...] = 0
    np.testing.assert_array_equal(session.run(x).output, before)
