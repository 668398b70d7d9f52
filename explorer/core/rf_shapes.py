"""Tensor shapes as onnxruntime produces them.

ONNX shape inference gives most shapes without running anything. Where it leaves holes, or where onnxruntime
computes other sizes than the ONNX formula (pooling with SAME_* padding and dilations, or ceil_mode), ONE probe
run in onnxruntime (CPU, zeros input, every node output exposed, on a private copy) measures them. If that run
fails (unknown operator, ...) the shapes stay as inferred and a note says why.
"""
from __future__ import annotations

import numpy as np
import onnx

from explorer.core import rf_index
from explorer.core.onnx_load import check_tensor_sizes, private_copy

Shapes = dict[str, "tuple[int | None, ...] | None"]


def runtime_shapes(model: onnx.ModelProto, input_name: str, input_shape: tuple[int, ...],
                   notes: list[str]) -> tuple[Shapes, dict[str, int]]:
    """(shapes, element types) of every tensor for this input shape; notes say what was measured or not."""
    shapes, types = inferred_shapes(private_copy(model, input_name, input_shape, strip=True))
    holes = [o for node in model.graph.node for o in node.output if o and not known(shapes.get(o))]
    differ = any(_ort_sizes_differ(node, shapes) for node in model.graph.node)
    if holes or differ:
        input_type = next(vi.type.tensor_type.elem_type for vi in model.graph.input if vi.name == input_name)
        filled = _probe(model, input_name, input_shape, input_type, notes)
        shapes.update(filled)
        if filled and holes:
            notes.append(f"{len(holes)} shapes that shape inference left open were measured in one probe run.")
        if filled and differ:
            notes.append("onnxruntime sizes some pooling layers (ceil_mode, or SAME padding with dilations) "
                         "differently from the ONNX formula; the shapes shown were measured in one probe run.")
    shapes[input_name] = tuple(input_shape)
    return shapes, types


def known(shape) -> bool:
    return shape is not None and None not in shape


def _ort_sizes_differ(node: onnx.NodeProto, shapes: Shapes) -> bool:
    """Does onnxruntime give this pooling node another size than shape inference wrote? It pads SAME_* for the
    undilated kernel, and under ceil_mode drops a last window that would start past the input and its padding."""
    if node.op_type not in ("MaxPool", "AveragePool", "LpPool"):
        return False
    x, y = shapes.get(node.input[0]), shapes.get(node.output[0])
    attrs = {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}
    kernel = attrs.get("kernel_shape", [])
    if not known(x) or not known(y) or len(x) != len(kernel) + 2 or len(y) != len(x):
        return False  # unknown shapes are probed anyway
    r = len(kernel)
    strides, dilations = attrs.get("strides", [1] * r), attrs.get("dilations", [1] * r)
    pads, auto_pad = attrs.get("pads", [0] * 2 * r), attrs.get("auto_pad", b"NOTSET").decode()
    for i in range(r):
        n, k, s, d = x[2 + i], kernel[i], strides[i], dilations[i]
        if auto_pad in ("SAME_UPPER", "SAME_LOWER"):
            size = rf_index.same_out(n, k, s, d, pool=True)
        else:
            begin, end = (0, 0) if auto_pad == "VALID" else (pads[i], pads[i + r])
            size = rf_index.window_out(n, k, s, d, begin, end, bool(attrs.get("ceil_mode", 0)))
        if size != y[2 + i]:
            return True
    return False


def inferred_shapes(model: onnx.ModelProto) -> tuple[Shapes, dict[str, int]]:
    """Shapes (unknown dims as None) and element types that shape inference (strict=False) determines."""
    try:
        inferred = onnx.shape_inference.infer_shapes(model, strict_mode=False)
    except Exception:  # inference gave up entirely: keep what the file declares
        inferred = model
    shapes: Shapes = {}
    types: dict[str, int] = {}
    g = inferred.graph
    for vi in list(g.input) + list(g.value_info) + list(g.output):
        shapes[vi.name] = value_info_shape(vi)
        if vi.type.tensor_type.elem_type:
            types[vi.name] = vi.type.tensor_type.elem_type
    for t in g.initializer:
        shapes[t.name], types[t.name] = tuple(t.dims), t.data_type
    return shapes, types


def value_info_shape(vi: onnx.ValueInfoProto) -> tuple[int | None, ...] | None:
    tt = vi.type.tensor_type
    if not tt.HasField("shape"):
        return None
    return tuple(d.dim_value if d.HasField("dim_value") else None for d in tt.shape.dim)


def _probe(model: onnx.ModelProto, input_name: str, shape: tuple[int, ...], elem_type: int,
           notes: list[str]) -> Shapes:
    """One onnxruntime run on zeros with every node output exposed; {} and a note if it cannot run."""
    from explorer.core.ort_setup import ort  # lazy: only graphs with shape-inference holes need it

    probe = private_copy(model, input_name, shape, strip=False)
    declared = {o.name for o in probe.graph.output}
    for node in probe.graph.node:
        probe.graph.output.extend(onnx.ValueInfoProto(name=o) for o in node.output if o and o not in declared)
    initializers = {t.name for t in probe.graph.initializer}
    extra = [vi.name for vi in probe.graph.input if vi.name not in initializers and vi.name != input_name]
    if extra:
        notes.append(f"Some shapes are unknown: the model needs inputs besides the image ({', '.join(extra)}).")
        return {}
    try:
        from explorer.core.runtime import (
            log_severity,  # one quiet/verbose switch for every session
        )

        check_tensor_sizes(model, input_name, shape)  # a probe must not allocate gigabytes either
        ort.set_default_logger_severity(log_severity())
        options = ort.SessionOptions()
        options.log_severity_level = log_severity()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
        session = ort.InferenceSession(probe.SerializeToString(), options, providers=["CPUExecutionProvider"])
        dtype = onnx.helper.tensor_dtype_to_np_dtype(elem_type or onnx.TensorProto.FLOAT)
        names = [o.name for o in session.get_outputs()]
        values = session.run(names, {input_name: np.zeros(shape, dtype=dtype)})
    except Exception as exc:  # onnxruntime raises many types; the table still works without these shapes
        text = " ".join(str(exc).split()) or type(exc).__name__
        reason = text if len(text) <= 160 else text[:159] + "…"
        notes.append(f"Some shapes are unknown: onnxruntime could not run the model ({reason}).")
        return {}
    return {n: tuple(np.shape(v)) for n, v in zip(names, values)}
