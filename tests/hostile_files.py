"""Hostile and unusual inputs, generated on the spot (onnx.helper, numpy, cv2): shared by the tests and
bench/hostile_inputs.py. Every model sets its IR version and opset explicitly."""
from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
import zlib
from pathlib import Path

import cv2
import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

IR, OPSET = 8, 17


def _model(nodes, inputs, outputs, inits=(), ir: int = IR, opset: int = OPSET) -> onnx.ModelProto:
    graph = helper.make_graph(nodes, "hostile", inputs, outputs, initializer=list(inits))
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)], ir_version=ir)


def _image_input(name: str = "x", dims=(1, 1, 8, 8), elem=TensorProto.FLOAT) -> onnx.ValueInfoProto:
    return helper.make_tensor_value_info(name, elem, list(dims))


def _out(name: str, elem=TensorProto.FLOAT) -> onnx.ValueInfoProto:
    return helper.make_tensor_value_info(name, elem, None)


def _conv_nodes(x: str = "x", cin: int = 1, cout: int = 2, seed: int = 0) -> tuple[list, list]:
    w = (np.random.default_rng(seed).standard_normal((cout, cin, 3, 3)) * 0.1).astype(np.float32)
    return ([helper.make_node("Conv", [x, "w"], ["conv1"], name="conv1", kernel_shape=[3, 3], pads=[1, 1, 1, 1])],
            [numpy_helper.from_array(w, "w")])


def constant_of_shape(elements: int = 1_500_000_000) -> onnx.ModelProto:
    """1 KB on disk, ``elements`` float32 zeros when run: the size is a constant."""
    conv, inits = _conv_nodes()
    inits.append(numpy_helper.from_array(np.array([elements], np.int64), "big_shape"))
    nodes = conv + [helper.make_node("ConstantOfShape", ["big_shape"], ["big"], name="big",
                                     value=numpy_helper.from_array(np.array([1.0], np.float32)))]
    return _model(nodes, [_image_input()], [_out("conv1"), _out("big")], inits)


def constant_of_shape_from_input(scale=(1, 1, 200, 150)) -> onnx.ModelProto:
    """The allocation's size comes from the input's shape at run time: Shape(x) · scale (224² input: 1.5·10⁹)."""
    conv, inits = _conv_nodes()
    inits.append(numpy_helper.from_array(np.array(scale, np.int64), "scale"))
    nodes = conv + [helper.make_node("Shape", ["x"], ["x_shape"], name="x_shape"),
                    helper.make_node("Mul", ["x_shape", "scale"], ["big_shape"], name="big_shape"),
                    helper.make_node("ConstantOfShape", ["big_shape"], ["big"], name="big",
                                     value=numpy_helper.from_array(np.array([1.0], np.float32)))]
    return _model(nodes, [_image_input(dims=(1, 1, "h", "w"))], [_out("conv1"), _out("big")], inits)


def hidden_allocation(elements: int = 1_500_000_000) -> onnx.ModelProto:
    """ConstantOfShape behind an Abs, which shape inference's data propagation does not follow: only the
    sandbox's memory cap can stop this one."""
    conv, inits = _conv_nodes()
    inits.append(numpy_helper.from_array(np.array([-elements], np.int64), "minus_shape"))
    nodes = conv + [helper.make_node("Abs", ["minus_shape"], ["big_shape"], name="abs"),
                    helper.make_node("ConstantOfShape", ["big_shape"], ["big"], name="big",
                                     value=numpy_helper.from_array(np.array([1.0], np.float32)))]
    return _model(nodes, [_image_input()], [_out("conv1"), _out("big")], inits)


def endless_loop(trips: int = 10**15, hidden: bool = False) -> onnx.ModelProto:
    """A Loop with ``trips`` iterations whose scan output has no length shape inference could know.
    ``hidden``: the count comes out of an Abs, so no static check sees it and only a timeout stops it."""
    conv, inits = _conv_nodes()
    inits.append(numpy_helper.from_array(np.array(True), "cond"))
    if hidden:
        inits.append(numpy_helper.from_array(np.array(-trips, np.int64), "minus_trips"))
        conv.append(helper.make_node("Abs", ["minus_trips"], ["trips"], name="abs"))
    else:
        inits.append(numpy_helper.from_array(np.array(trips, np.int64), "trips"))
    body = helper.make_graph(
        [helper.make_node("Identity", ["c_in"], ["c_out"]), helper.make_node("Identity", ["i"], ["scan"])],
        "body",
        [helper.make_tensor_value_info("i", TensorProto.INT64, []),
         helper.make_tensor_value_info("c_in", TensorProto.BOOL, [])],
        [helper.make_tensor_value_info("c_out", TensorProto.BOOL, []),
         helper.make_tensor_value_info("scan", TensorProto.INT64, [])])
    nodes = conv + [helper.make_node("Loop", ["trips", "cond"], ["counts"], name="loop", body=body)]
    return _model(nodes, [_image_input()], [_out("conv1"), _out("counts", TensorProto.INT64)], inits)


def huge_input(side: int) -> onnx.ModelProto:
    """A plain conv net that declares a side×side input."""
    conv, inits = _conv_nodes()
    return _model(conv, [_image_input(dims=(1, 1, side, side))], [_out("conv1")], inits)


def weights_as_inputs() -> onnx.ModelProto:
    """An old (IR 3) export: every initializer is listed as a graph input too."""
    conv, inits = _conv_nodes(cin=3, cout=4)
    inputs = [_image_input(dims=(1, 3, 16, 16)), helper.make_tensor_value_info("w", TensorProto.FLOAT, [4, 3, 3, 3])]
    return _model(conv, inputs, [_out("conv1")], inits, ir=3, opset=8)


def typed_input(elem: int) -> onnx.ModelProto:
    """A conv net whose image input is uint8 (cast inside) or float16 (float16 weights)."""
    if elem == TensorProto.FLOAT16:
        w = (np.random.default_rng(0).standard_normal((2, 3, 3, 3)) * 0.1).astype(np.float16)
        nodes = [helper.make_node("Conv", ["x", "w"], ["conv1"], name="conv1", kernel_shape=[3, 3])]
        return _model(nodes, [_image_input(dims=(1, 3, 16, 16), elem=elem)], [_out("conv1", elem)],
                      [numpy_helper.from_array(w, "w")])
    conv, inits = _conv_nodes("xf", cin=3)
    nodes = [helper.make_node("Cast", ["x"], ["xf"], name="cast", to=TensorProto.FLOAT)] + conv
    return _model(nodes, [_image_input(dims=(1, 3, 16, 16), elem=elem)], [_out("conv1")], inits)


def qlinear_conv() -> onnx.ModelProto:
    """float input -> QuantizeLinear -> QLinearConv (int8 weights) -> DequantizeLinear, as quantisation tools export."""
    rng = np.random.default_rng(0)
    w = rng.integers(-20, 20, (4, 3, 3, 3)).astype(np.int8)
    inits = [numpy_helper.from_array(v, n) for v, n in [
        (np.array(0.02, np.float32), "x_scale"), (np.array(0, np.uint8), "x_zero"),
        (w, "w"), (np.array(0.01, np.float32), "w_scale"), (np.array(0, np.int8), "w_zero"),
        (np.array(0.05, np.float32), "y_scale"), (np.array(0, np.uint8), "y_zero")]]
    nodes = [helper.make_node("QuantizeLinear", ["x", "x_scale", "x_zero"], ["xq"], name="quant"),
             helper.make_node("QLinearConv", ["xq", "x_scale", "x_zero", "w", "w_scale", "w_zero", "y_scale",
                                              "y_zero"], ["yq"], name="qconv1", kernel_shape=[3, 3], pads=[1, 1, 1, 1],
                              strides=[2, 2]),
             helper.make_node("DequantizeLinear", ["yq", "y_scale", "y_zero"], ["y"], name="dequant")]
    return _model(nodes, [_image_input(dims=(1, 3, 16, 16))], [_out("y")], inits, opset=13)


def cycle() -> onnx.ModelProto:
    """Two nodes that feed each other: a -> b -> a."""
    conv, inits = _conv_nodes()
    nodes = conv + [helper.make_node("Add", ["conv1", "b"], ["a"], name="a"),
                    helper.make_node("Relu", ["a"], ["b"], name="b")]
    return _model(nodes, [_image_input()], [_out("b")], inits)


def versioned(ir: int = IR, opset: int = OPSET) -> onnx.ModelProto:
    """A valid little conv net stamped with an IR version or opset no onnxruntime knows."""
    conv, inits = _conv_nodes()
    return _model(conv, [_image_input()], [_out("conv1")], inits, ir=ir, opset=opset)


def odd_tensor_names() -> onnx.ModelProto:
    """Tensor names that collide with numpy.savez's keyword arguments or look like paths."""
    names = ["file", "allow_pickle", "/a/b:0", "x.npy"]
    nodes, prev = [], "x"
    for name in names:
        nodes.append(helper.make_node("Relu", [prev], [name], name=f"node_{len(nodes)}"))
        prev = name
    conv, inits = _conv_nodes(prev)
    return _model(nodes + conv, [_image_input(dims=(1, 1, 16, 16))], [_out("conv1")], inits)


def scored(model: onnx.ModelProto) -> onnx.ModelProto:
    """The same hostile model with its second output feeding the class scores (conv1 flattened + 0 · sum of it),
    so explanations, which run only what the scores need, run the hostile part too. Its one output is "score"."""
    graph = model.graph
    hostile_out = graph.output[1].name
    nodes = list(graph.node) + [
        helper.make_node("Flatten", ["conv1"], ["flat"], name="flat"),
        helper.make_node("Cast", [hostile_out], ["hostile_f"], name="hostile_f", to=TensorProto.FLOAT),
        helper.make_node("ReduceSum", ["hostile_f"], ["hostile_sum"], name="hostile_sum", keepdims=0),
        helper.make_node("Mul", ["hostile_sum", "zero"], ["nothing"], name="nothing"),
        helper.make_node("Add", ["flat", "nothing"], ["score"], name="score")]
    inits = list(graph.initializer) + [numpy_helper.from_array(np.array(0.0, np.float32), "zero")]
    return _model(nodes, list(graph.input), [_out("score")], inits)


def save(model: onnx.ModelProto, path: Path) -> Path:
    path.write_bytes(model.SerializeToString())  # no checker: some of these are invalid on purpose
    return path


# --- images -------------------------------------------------------------------------------------------------


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return len(data).to_bytes(4, "big") + kind + data + zlib.crc32(kind + data).to_bytes(4, "big")


def big_png_16bit_rgba(path: Path, side: int = 6324) -> Path:
    """A legal side×side 16-bit RGBA PNG of a few hundred KB: every row is filter 0 + zeros (transparent black),
    compressed row by row so building it never holds the raw image."""
    header = side.to_bytes(4, "big") * 2 + bytes([16, 6, 0, 0, 0])  # 16-bit, colour type 6 (RGBA)
    compressor = zlib.compressobj(9)
    row = bytes(1 + side * 8)
    idat = b"".join(compressor.compress(row) for _ in range(side)) + compressor.flush()
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", header) + _png_chunk(b"IDAT", idat)
                     + _png_chunk(b"IEND", b""))
    return path


def truncated_gif(path: Path) -> Path:
    """A 64×64 GIF cut in the middle of its image data."""
    data = gif_bytes()
    path.write_bytes(data[: len(data) // 2])
    return path


def gif_bytes() -> bytes:
    """A valid 64×64 GIF (OpenCV can write GIF from 4.11; otherwise a hand-made one-colour GIF)."""
    image = (np.indices((64, 64)).sum(0) % 256).astype(np.uint8)
    try:
        ok, buffer = cv2.imencode(".gif", cv2.cvtColor(image, cv2.COLOR_GRAY2BGR))
        if ok:
            return buffer.tobytes()
    except cv2.error:
        pass
    raise RuntimeError("this OpenCV cannot write GIF")


# --- measuring a command ------------------------------------------------------------------------------------

# Runs the command given after it, then prints (as JSON) its exit status, wall time, stderr and the peak
# resident memory (KB) of it and every process it waited for (the sandbox's child included):
# getrusage(RUSAGE_CHILDREN) of a fresh parent.
_MEASURE = """
import json, resource, subprocess, sys, time
started = time.monotonic()
done = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
print(json.dumps([done.returncode, time.monotonic() - started,
                  resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, done.stderr]))
"""


@dataclasses.dataclass(frozen=True)
class Measured:
    returncode: int
    seconds: float
    peak_mb: float
    stderr: str


def run_measured(args: list[str], timeout_s: float = 600) -> Measured:
    """`cnn-explorer ARGS` in a fresh process: exit status, seconds, peak memory of the whole tree, stderr."""
    command = [sys.executable, "-c", _MEASURE, sys.executable, "-m", "explorer", *args]
    output = subprocess.run(command, capture_output=True, text=True, check=True, timeout=timeout_s).stdout
    code, seconds, peak_kb, stderr = json.loads(output)
    return Measured(code, seconds, peak_kb / 1024, stderr)  # Linux reports ru_maxrss in KB
