"""Safe loading of any ONNX file: size limit, external-data path traversal, clear one-line errors.

Nothing here executes the model. ``load_model`` parses without external data first, checks every external
data location stays inside the model's own folder, and only then reads the external tensors.
"""
from __future__ import annotations

import graphlib
import json
import math
import os
from pathlib import Path

import onnx
from google.protobuf.message import DecodeError
from onnx import external_data_helper

from explorer.core import files
from explorer.core.protobuf_util import copy_fields
from explorer.core.errors import UserError

DEFAULT_MAX_BYTES = 1_000_000_000  # 1 GB: far above every classic CNN (VGG-16 is ~550 MB in float32)
DEFAULT_IMAGE_SIZE = 224
_UNLIMITED = 2**62  # --allow-large: no size limit (the read is still bounded by the file's size)
# Convolution ops (float, int8-quantised, integer) and the input position of their weight.
CONV_WEIGHT_INPUT = {"Conv": 1, "QLinearConv": 3, "ConvInteger": 1}
SKELETON_MIN_ELEMENTS = 4096  # private_copy(strip=True) drops the data of initializers this large
_MAGIC = {
    b"\x89PNG": "a PNG image", b"\xff\xd8\xff": "a JPEG image", b"GIF8": "a GIF image", b"PK\x03\x04": "a ZIP archive",
    b"%PDF": "a PDF document", b"\x93NUMPY": "a NumPy array", b"BM": "a BMP image",
}


def _fmt_bytes(n: int) -> str:
    if n >= 1e12:
        return f"{n / 1e12:.3g} TB"
    return f"{n / 1e9:.2f} GB" if n >= 1e9 else f"{n / 1e6:.1f} MB" if n >= 1e6 else f"{n} bytes"


def load_model(path: str | os.PathLike, allow_large: bool = False, max_bytes: int = DEFAULT_MAX_BYTES) -> onnx.ModelProto:
    """Parse an ONNX file (and its external data) or raise a one-line ``UserError`` saying what to do."""
    path = Path(path)
    name = path.name or str(path)
    if not path.exists():
        raise UserError(f"Model file not found: {path}. Check the path and try again.")
    if path.is_dir():
        raise UserError(f"{path} is a folder, not a model file. Choose the .onnx file inside it.")
    try:
        data = files.read_regular(path, _UNLIMITED if allow_large else max_bytes, kind="an ONNX model")
    except files.TooLarge as exc:
        raise UserError(f"{name} is {_fmt_bytes(exc.size)}, over the {_fmt_bytes(max_bytes)} limit. Open it with "
                        "--allow-large (cnn-explorer inspect/activations) if you trust the file.") from None
    size = len(data)
    if size == 0:
        raise UserError(f"{name} is empty (0 bytes). Re-export or re-download the model.")
    model = _parse(data, name)
    _load_external_data(model, path, size, allow_large, max_bytes)
    return model


def _parse(data: bytes, name: str) -> onnx.ModelProto:
    """Protobuf parse plus the structural checks that tell 'not ONNX' from 'truncated'."""
    for magic, kind in _MAGIC.items():
        if data.startswith(magic):
            raise UserError(f"{name} is {kind}, not an ONNX model. Choose an .onnx file.")
    model = onnx.ModelProto()
    try:
        model.ParseFromString(data)
    except (DecodeError, RuntimeError, ValueError) as exc:
        # A real ONNX file starts with field 1 (ir_version, varint): tag byte 0x08.
        if data[:1] == b"\x08":
            raise UserError(f"{name} looks like ONNX but cannot be parsed; it is probably truncated or corrupted. "
                            "Re-export or re-download it.") from exc
        raise UserError(f"{name} is not an ONNX model (it could not be parsed). Choose an .onnx file.") from exc
    if not model.HasField("graph") or not model.graph.node:
        raise UserError(f"{name} is not an ONNX model (it has no graph). Choose an .onnx file.")
    if not model.graph.output or not _all_inputs_defined(model.graph):
        cycle = _cycle(model.graph)
        if cycle:
            raise UserError(f"{name} is not a valid network: its layers form a cycle ({' -> '.join(cycle)}), so no "
                            "order can compute them. Re-export the model.")
        raise UserError(f"{name} is incomplete: some layers' inputs are missing; the file is probably truncated. "
                        "Re-export or re-download it.")
    return model


def _cycle(graph: onnx.GraphProto) -> list[str] | None:
    """Node names along a cycle of the graph (first repeated at the end), or None if it has none."""
    producer = {o: k for k, node in enumerate(graph.node) for o in node.output if o}
    order = graphlib.TopologicalSorter(
        {k: {producer[i] for i in node.input if i in producer} for k, node in enumerate(graph.node)})
    try:
        order.prepare()
    except graphlib.CycleError as exc:
        return [graph.node[k].name or graph.node[k].output[0] for k in exc.args[1]]
    return None


def _all_inputs_defined(graph: onnx.GraphProto) -> bool:
    known = {v.name for v in graph.input} | {t.name for t in graph.initializer} | {""}
    known |= {t.values.name for t in graph.sparse_initializer}
    for node in graph.node:
        if any(i not in known for i in node.input) and node.op_type not in ("If", "Loop", "Scan"):
            return False
        known.update(node.output)
    return all(o.name in known for o in graph.output)


def _all_tensors(graph: onnx.GraphProto) -> list[onnx.TensorProto]:
    """Initializers and tensor attributes, including those of subgraphs (If/Loop bodies)."""
    tensors = list(graph.initializer)
    for node in graph.node:
        for attr in node.attribute:
            tensors += [attr.t] if attr.HasField("t") else []
            tensors += list(attr.tensors)
            for sub in ([attr.g] if attr.HasField("g") else []) + list(attr.graphs):
                tensors += _all_tensors(sub)
    return tensors


def _load_external_data(model: onnx.ModelProto, path: Path, size: int, allow_large: bool, max_bytes: int) -> None:
    """Refuse external data outside the model's folder, missing or oversize; then read it in."""
    tensors = [t for t in _all_tensors(model.graph) if external_data_helper.uses_external_data(t)]
    if not tensors:
        return
    base = path.resolve().parent
    total = size
    for tensor in tensors:
        info = {e.key: e.value for e in tensor.external_data}
        location = info.get("location", "")
        target = (base / location).resolve()
        if not location or Path(location).is_absolute() or (target != base and base not in target.parents):
            raise UserError(f"{path.name} refers to external data outside its own folder ({location!r}); refusing "
                            "to read it. Keep the model's data files next to the .onnx file.")
        if not target.is_file():
            raise UserError(f"{path.name} needs the external data file {location!r}, which is missing. Copy it next "
                            "to the model.")
        file_size = target.stat().st_size
        offset, length = int(info.get("offset", 0) or 0), info.get("length")
        if offset + (int(length) if length else 0) > file_size:
            raise UserError(f"External data file {location!r} of {path.name} is shorter than the model says; it "
                            "is probably truncated. Re-export or re-download it.")
        total += int(length) if length else file_size - offset
    if total > max_bytes and not allow_large:
        raise UserError(f"{path.name} with its external data is {_fmt_bytes(total)}, over the "
                        f"{_fmt_bytes(max_bytes)} limit. Open it with --allow-large (load_model(..., "
                        "allow_large=True)) if you trust the file.")
    try:
        external_data_helper.load_external_data_for_model(model, str(base))
    except (OSError, ValueError, onnx.checker.ValidationError) as exc:
        raise UserError(f"Cannot read the external data of {path.name}: {exc}.") from exc


def _dims(vi: onnx.ValueInfoProto) -> list[int | None] | None:
    tt = vi.type.tensor_type
    if not vi.type.HasField("tensor_type") or not tt.HasField("shape"):
        return None
    return [d.dim_value if d.HasField("dim_value") and d.dim_value > 0 else None for d in tt.shape.dim]


def _preprocess_size(model: onnx.ModelProto) -> tuple[int, int] | None:
    """Input size from the ``cnn_explorer.preprocess`` metadata, if present and sane."""
    for prop in model.metadata_props:
        if prop.key == "cnn_explorer.preprocess":
            try:
                h, w = json.loads(prop.value)["size"]
                return int(h), int(w)
            except (ValueError, KeyError, TypeError):
                return None
    return None


def _is_image_like(dims: list[int | None]) -> bool:
    def spatial(d: int | None) -> bool:
        return d is None or d > 4

    def channel(d: int | None) -> bool:
        return d is None or d in (1, 3, 4)

    if len(dims) == 4:  # NCHW with any channel count, or NHWC with 1, 3 or 4 channels
        return (dims[2] is None or dims[2] > 1) and (dims[3] is None or dims[3] > 1) or \
            (channel(dims[3]) and spatial(dims[1]) and spatial(dims[2]))
    if len(dims) == 3:
        return (channel(dims[0]) and spatial(dims[1]) and spatial(dims[2])) or \
            (channel(dims[2]) and spatial(dims[0]) and spatial(dims[1]))
    if len(dims) == 2:
        return None not in dims and all(d > 4 for d in dims)
    return False


def image_axes(dims) -> tuple[int, int]:
    """(height, width) dims of an image tensor: NCHW, NHWC, CHW, HWC or HW (small last dim = channels)."""
    if len(dims) == 4:
        return (1, 2) if dims[3] in (1, 3, 4) and dims[1] not in (1, 3, 4) else (2, 3)
    if len(dims) == 3:
        return (0, 1) if dims[2] in (1, 3, 4) and dims[0] not in (1, 3, 4) else (1, 2)
    return (0, 1)


def find_image_input(model: onnx.ModelProto, notes: list[str] | None = None) -> tuple[str, tuple[int, ...]]:
    """The graph input that is an image (not an initializer, which IR<4 models also list as inputs).

    Returns (name, concrete shape; a dynamic batch becomes 1). Dynamic sizes come from the model's preprocess metadata or
    default to 224; a sentence saying so is appended to ``notes``.
    """
    initializers = {t.name for t in model.graph.initializer}
    candidates = [vi for vi in model.graph.input if vi.name not in initializers]
    for vi in candidates:
        dims = _dims(vi)
        if dims is None or not _is_image_like(dims):
            continue
        shape = list(dims)
        if len(shape) == 4 and shape[0] is None:
            shape[0] = 1
        axes = image_axes(dims)
        if any(shape[a] is None for a in axes):
            meta = _preprocess_size(model)
            size = meta or (DEFAULT_IMAGE_SIZE, DEFAULT_IMAGE_SIZE)
            for a, v in zip(axes, size):
                shape[a] = shape[a] or v
            source = "the model's preprocess metadata" if meta else f"the default {DEFAULT_IMAGE_SIZE}"
            if notes is not None:
                notes.append(f"Input '{vi.name}' has a dynamic size; using {shape[axes[0]]}×{shape[axes[1]]} "
                             f"from {source}.")
        if None in shape:
            ch = next(i for i, d in enumerate(shape) if d is None)
            shape[ch] = 3
            if notes is not None:
                notes.append(f"Input '{vi.name}' has a dynamic channel count; assuming 3.")
        return vi.name, tuple(int(d) for d in shape)
    described = ", ".join(f"{vi.name} {_dims(vi)}" for vi in candidates) or "none"
    raise UserError(f"The model has no image-like input (inputs: {described}); CNN Explorer needs an input shaped "
                    "like N×C×H×W, N×H×W×C, C×H×W or H×W.")


def private_copy(model: onnx.ModelProto, input_name: str, shape: tuple[int, ...], strip: bool) -> onnx.ModelProto:
    """Private copy with the image input's dims made concrete; ``strip`` drops large weight data (shapes only)."""
    copy = copy_fields(model, onnx.ModelProto(), "graph")
    copy_fields(model.graph, copy.graph, "initializer")
    for t in model.graph.initializer:
        if strip and math.prod(t.dims) >= SKELETON_MIN_ELEMENTS:
            copy.graph.initializer.append(onnx.TensorProto(name=t.name, data_type=t.data_type, dims=t.dims))
        else:
            copy.graph.initializer.append(t)
    declared = {o.domain for o in copy.opset_import}
    for domain in sorted({n.domain for n in copy.graph.node} - declared - {"ai.onnx"}):
        copy.opset_import.add(domain=domain, version=1)  # undeclared custom domains stop shape inference
    for vi in copy.graph.input:
        if vi.name == input_name:
            dims = vi.type.tensor_type.shape.dim
            del dims[:]
            for d in shape:
                dims.add().dim_value = d
    return copy


# No single tensor may need more than this (float32: 512 M values). The biggest tensor of the classic CNNs is
# VGG-16's fc6 weight at 411 MB; a bigger one means a hostile or broken model or an absurd input size.
MAX_TENSOR_BYTES = 2_000_000_000


# A Loop with a constant trip count beyond this cannot finish in an interactive tool (10^8 iterations of even an
# empty body take onnxruntime minutes); a larger count is refused at once instead of waiting for the timeout.
MAX_LOOP_TRIPS = 10**8


def check_tensor_sizes(model: onnx.ModelProto, input_name: str, shape: tuple[int, ...],
                       max_bytes: int = MAX_TENSOR_BYTES) -> None:
    """Refuse, before anything runs, a model whose input or any inferred tensor would exceed ``max_bytes``, or
    with a Loop whose constant trip count exceeds MAX_LOOP_TRIPS.

    Shape inference with data propagation sees sizes computed from constants or from the input's shape
    (Shape -> Mul -> ConstantOfShape); what it cannot see is left to the sandbox's limits (sandbox.py). Plain
    inference goes first: onnx's data propagation itself allocates a huge tensor's size (a Cast after a 1.5·10⁹
    element ConstantOfShape took 2.4 GB), so a size plain inference already sees is refused before it runs.
    """
    _check_loop_trips(model.graph)
    skeleton = private_copy(model, input_name, shape, strip=True)
    for data_prop in (False, True):
        try:
            inferred = onnx.shape_inference.infer_shapes(skeleton, data_prop=data_prop).graph
        except Exception:  # noqa: BLE001 - inference is a courtesy here: a model it rejects still goes to the sandbox
            inferred = skeleton.graph
        _check_inferred_sizes(inferred, input_name, max_bytes)


def _check_inferred_sizes(inferred: onnx.GraphProto, input_name: str, max_bytes: int) -> None:
    for vi in [*inferred.input, *inferred.value_info, *inferred.output]:
        tensor_type = vi.type.tensor_type
        dims = [d.dim_value if d.HasField("dim_value") else None for d in tensor_type.shape.dim]
        if not vi.type.HasField("tensor_type") or not tensor_type.HasField("shape") or None in dims:
            continue
        try:
            itemsize = onnx.helper.tensor_dtype_to_np_dtype(tensor_type.elem_type).itemsize
        except (KeyError, TypeError, ValueError):  # undefined or string tensors
            itemsize = 1
        size = math.prod(dims) * itemsize
        if size > max_bytes:
            shown = "×".join(f"{d:,}" for d in dims)
            what = f"input '{vi.name}'" if vi.name == input_name else f"tensor '{vi.name}'"
            raise UserError(f"This model's {what} is {shown} ({_fmt_bytes(size)}), more than the "
                            f"{_fmt_bytes(max_bytes)} one tensor may take here, so it is not run: check the "
                            "model's shapes and its input size.")


def _check_loop_trips(graph: onnx.GraphProto) -> None:
    constants = {t.name: t for t in graph.initializer}
    constants.update({n.output[0]: a.t for n in graph.node if n.op_type == "Constant"
                      for a in n.attribute if a.name == "value"})
    for node in graph.node:
        if node.op_type != "Loop" or not node.input or node.input[0] not in constants:
            continue
        trips = onnx.numpy_helper.to_array(constants[node.input[0]])
        if trips.size == 1 and int(trips.reshape(-1)[0]) > MAX_LOOP_TRIPS:
            raise UserError(f"This model's Loop '{node.name or node.output[0]}' runs {int(trips.reshape(-1)[0]):,} "
                            f"times, more than the {MAX_LOOP_TRIPS:,} this app allows, so it is not run: check "
                            "the model's loop count.")
