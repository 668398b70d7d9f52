"""One way to turn what a user typed — a built-in name or an .onnx path — into a loaded model."""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import onnx

from explorer.core.errors import UserError

Progress = Callable[[float, str], None]


def is_builtin(name_or_path: str | Path) -> bool:
    from explorer.core import zoo

    return str(name_or_path) in zoo.BUILTINS


def open_model(name_or_path: str | Path, progress: Progress | None = None, allow_large: bool = False) -> onnx.ModelProto:
    """Built-ins are materialised into the user cache (trusted, our own files); anything else goes through the
    safe loader, which refuses non-ONNX files, oversized models and external data outside the model's folder."""
    from explorer.core import onnx_load, zoo

    if is_builtin(name_or_path):
        return onnx.load(str(zoo.materialize(str(name_or_path), progress=progress)))
    path = Path(name_or_path)
    if path.suffix.lower() != ".onnx" and not path.exists():
        raise UserError(f"{name_or_path!r} is neither a built-in model ({', '.join(zoo.BUILTINS)}) nor an .onnx file.")
    return onnx_load.load_model(path, allow_large=allow_large)


def first_convolution(model: onnx.ModelProto) -> str:
    """Name of the first Conv layer (node name, or its output tensor when unnamed): the default layer to show."""
    from explorer.core.onnx_load import CONV_WEIGHT_INPUT

    for node in model.graph.node:
        if node.op_type in CONV_WEIGHT_INPUT:  # float or quantised (QLinearConv) convolutions
            return node.name or node.output[0]
    raise UserError("This model has no convolution layer; pass --layer with one of the names 'inspect' lists.")
