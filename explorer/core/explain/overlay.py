"""Pictures of explanations: a heat map over the image, an effective receptive field inside its theoretical box."""
from __future__ import annotations

from typing import Any

import cv2
import numpy as np

from explorer.core import render

BOX_RGB = (0, 255, 255)  # cyan: stands out against every colour of the sequential map


def unit_heat(heat: np.ndarray) -> np.ndarray:
    """Heat -> [0, 1] for display: the positive part over its maximum (a drop below 0 means 'helped', shown as 0)."""
    positive = np.maximum(np.nan_to_num(heat, nan=0.0), 0)
    peak = float(positive.max()) if positive.size else 0.0
    return positive / peak if peak > 0 else positive


def overlay(image: Any, heat: np.ndarray, opacity: float = 0.5) -> np.ndarray:
    """The image (LoadedImage or uint8 array, gray or RGB) with the heat map blended on top: uint8 (H, W, 3)."""
    pixels = np.asarray(getattr(image, "pixels", image))
    if pixels.ndim == 2:
        pixels = np.repeat(pixels[:, :, None], 3, axis=2)
    colours = render.unit_to_rgb(unit_heat(heat)).astype(np.float32)
    blended = (1 - opacity) * pixels[:, :, :3].astype(np.float32) + opacity * colours
    return np.clip(np.rint(blended), 0, 255).astype(np.uint8)


def field_picture(magnitude: np.ndarray, box: tuple[int, int, int, int]) -> np.ndarray:
    """A measured effective receptive field in sequential colours with its theoretical box (top, left, bottom,
    right inclusive, clipped to the input) outlined: the box and a margin of half its size around it, enlarged
    (a conv1 unit's 11x11 field would be a speck on the whole 227x227 input)."""
    top, left, bottom, right = box
    my, mx = max(2, (bottom - top + 1) // 2), max(2, (right - left + 1) // 2)
    y0, x0 = max(top - my, 0), max(left - mx, 0)
    view = magnitude[y0:bottom + my + 1, x0:right + mx + 1]
    rgb = np.ascontiguousarray(render.upscale_nearest(render.unit_to_rgb(unit_heat(view))))
    f = rgb.shape[0] // view.shape[0]
    cv2.rectangle(rgb, ((left - x0) * f, (top - y0) * f), ((right - x0 + 1) * f - 1, (bottom - y0 + 1) * f - 1),
                  BOX_RGB, 1)
    return rgb
