"""One layer's feature maps made ready to paint: the mosaic, its colours as screen pixels and the statistics.

The Model Explorer paints a layer from a ``LayerPicture``. During live video the live task makes it beside the run,
off the GUI thread, so the window only wraps the pixels; otherwise ui/model_explorer/layer_pictures.py makes it when
a layer is shown (a big one on the task runner).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from explorer.core import render
from explorer.core.mosaic import LayerStats, Mosaic, channel_mosaic, grid_for, layer_stats


@dataclass(frozen=True)
class LayerPicture:
    tensor: str            # the layer's tensor name
    normalize: str         # channel_mosaic's options it was made with
    sort_by_mean: bool
    mosaic: Mosaic
    pixels: np.ndarray     # uint32 (H, W): the mosaic in render.unit_to_rgb32 colours, gaps grey
    stats: LayerStats

    def fits(self, tensor: str, normalize: str, sort_by_mean: bool, aspect: float) -> bool:
        """Made with these options, its tiles in the grid a box of ``aspect`` would get (a resize that keeps the
        grid does not make the mosaic again)."""
        (h, w), channels = self.mosaic.tile, len(self.mosaic.order)
        return ((self.tensor, self.normalize, self.sort_by_mean) == (tensor, normalize, sort_by_mean)
                and self.mosaic.grid == grid_for(channels, h, w, self.mosaic.gap, aspect))


def without_batch(values: np.ndarray) -> np.ndarray:
    """A tensor of one picture without its batch axis: (1, C, H, W) -> (C, H, W); other shapes as they are."""
    return values[0] if values.ndim >= 2 and values.shape[0] == 1 else values


def is_map(values: np.ndarray) -> bool:
    """Feature maps (C, H, W) with more than one unit per channel: drawn as a mosaic (vectors are bars)."""
    return values.ndim == 3 and values.shape[1] * values.shape[2] > 1


def layer_picture(tensor: str, values: np.ndarray, normalize: str, sort_by_mean: bool,
                  aspect: float = 1.0) -> LayerPicture:
    """``values`` (C, H, W) as a mosaic ready to paint in a box ``aspect`` times as wide as tall."""
    mosaic = channel_mosaic(values, normalize=normalize, sort_by_mean=sort_by_mean, aspect=aspect)
    return LayerPicture(tensor, normalize, sort_by_mean, mosaic,
                        render.unit_to_rgb32(mosaic.image, mosaic.mask), layer_stats(values))
