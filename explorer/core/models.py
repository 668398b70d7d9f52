"""One way to turn what a user typed — a catalog name or an .onnx path — into a loaded model (via the catalog)."""
from __future__ import annotations

from pathlib import Path

import onnx

from explorer.core.errors import UserError
from explorer.core.progress import Progress


def is_builtin(name_or_path: str | Path) -> bool:
    """Is this a model built from code (a built-in architecture's own key)?"""
    from explorer.core import catalog

    try:
        entry = catalog.get(str(name_or_path))
    except UserError:
        return False
    return entry.key == entry.architecture


def open_model(name_or_path: str | Path, progress: Progress | None = None, allow_large: bool = False) -> onnx.ModelProto:
    """Built-ins are built from their seed in memory; files go through the safe loader, which refuses non-ONNX
    files, oversized models and external data outside the model's folder; a known zoo file becomes its entry."""
    from explorer.core import catalog

    return catalog.load(catalog.resolve(name_or_path, progress), progress, allow_large=allow_large)


def first_convolution(model: onnx.ModelProto) -> str:
    """Name of the first Conv layer (node name, or its output tensor when unnamed): the default layer to show."""
    from explorer.core.onnx_load import CONV_WEIGHT_INPUT

    for node in model.graph.node:
        if node.op_type in CONV_WEIGHT_INPUT:  # float or quantised (QLinearConv) convolutions
            return node.name or node.output[0]
    raise UserError("This model has no convolution layer; pass --layer with one of the names 'inspect' lists.")
