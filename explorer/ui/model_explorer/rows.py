"""The rows the explorer steps through: the model input first, then every layer of core.inspect's table.

Putting the input in row 0 lets Home show the image exactly as the model receives it, and gives every other
view (table, strip, activations) one index space.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from explorer.core.layer_picture import without_batch
from explorer.core.receptive_field import RF
from explorer.core.runtime import Activations

INPUT_RF = RF((1, 1), (1, 1), (0, 0))  # a pixel sees itself


@dataclass(frozen=True)
class Row:
    name: str
    op: str
    tensor: str                  # the tensor shown for this row
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    shape: tuple
    params: int
    macs: int
    rf: RF | None
    file_name: str = ""          # the layer's name in the file, when it is shown under the paper's name


def rows_of(info, file_names: dict[str, str] | None = None) -> list[Row]:
    """core.inspect.ModelInfo -> [input row] + one row per layer; ``file_names`` maps paper names to the file's."""
    file_names = file_names or {}
    first = Row(info.input_name, "Input", info.input_name, (), (info.input_name,), tuple(info.input_shape), 0, 0,
                INPUT_RF)
    return [first] + [Row(layer.name, layer.op, layer.output, tuple(layer.inputs), tuple(layer.outputs),
                          tuple(layer.shape or ()), layer.params, layer.macs, layer.rf,
                          file_names.get(layer.name, "")) for layer in info.layers]


def row_values(row: Row, index: int, activations: Activations, input_tensor: np.ndarray,
               layout: str) -> np.ndarray | None:
    """The row's tensor without the batch axis, channels first; None when this run did not produce it."""
    if index == 0:
        values = input_tensor[0]
        return np.moveaxis(values, -1, 0) if layout == "NHWC" else values
    values = activations.tensors.get(row.tensor)
    if values is None or not isinstance(values, np.ndarray) or values.dtype.kind != "f":
        return None
    return without_batch(values)
