"""Preprocessing: model metadata -> recipe, image -> input tensor, model-input pixels -> image pixels.

A model built by the zoo stores its recipe as JSON in the metadata key ``cnn_explorer.preprocess`` (keys are
the field names of :class:`Preprocess`). Models without it get a guess from the input shape
(:func:`default_for_input`), and the caller should tell the user it was guessed.

Box convention (same as receptive fields): ``(top, left, bottom, right)`` inclusive pixel indices. Pixel ``i``
covers ``[i, i+1)`` in continuous coordinates, so a box covers ``[top, bottom+1) x [left, right+1)``; mapping
that area back through the resize/crop and returning ``(top', left', bottom'+1-1, ...)`` keeps the whole
model input mapping onto exactly the (cropped part of the) original image.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields
from typing import Any, Literal

import cv2
import numpy as np
import onnx

from explorer.core.errors import UserError
from explorer.core.metadata import PREPROCESS as METADATA_KEY

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
DEFAULT_SIZE = 224  # used when the model's input has symbolic height/width
GUESSED_NOTE = ("This model has no preprocessing metadata: guessed {what} from its input shape; "
                "its activations may look off if it was trained differently.")


@dataclass(frozen=True)
class Preprocess:
    """How to turn an image into the model's input tensor. JSON keys are identical to the field names."""

    size: tuple[int, int]  # model input (height, width)
    resize: Literal["resize", "center_crop"] = "resize"
    scale: float = 1 / 255
    mean: tuple[float, ...] = (0, 0, 0)
    std: tuple[float, ...] = (1, 1, 1)
    channel_order: Literal["RGB", "BGR"] = "RGB"
    grayscale: bool = False
    layout: Literal["NCHW", "NHWC"] = "NCHW"

    def __post_init__(self) -> None:
        # Normalise JSON lists to tuples so instances compare and hash equal however they were made.
        object.__setattr__(self, "size", tuple(int(v) for v in self.size))
        object.__setattr__(self, "mean", tuple(float(v) for v in self.mean))
        object.__setattr__(self, "std", tuple(float(v) for v in self.std))
        if len(self.size) != 2 or min(self.size) < 1:
            raise UserError(f"Preprocessing size {self.size} is not a (height, width) pair of positive integers.")
        if self.resize not in ("resize", "center_crop"):
            raise UserError(f"Preprocessing resize '{self.resize}' is unknown: use 'resize' or 'center_crop'.")
        if self.channel_order not in ("RGB", "BGR"):
            raise UserError(f"Preprocessing channel_order '{self.channel_order}' is unknown: use 'RGB' or 'BGR'.")
        if self.layout not in ("NCHW", "NHWC"):
            raise UserError(f"Preprocessing layout '{self.layout}' is unknown: use 'NCHW' or 'NHWC'.")
        if any(s == 0 for s in self.std):
            raise UserError("Preprocessing std contains 0: every channel's std must be non-zero.")

    @property
    def channels(self) -> int:
        return 1 if self.grayscale else 3

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str | dict[str, Any]) -> Preprocess:
        try:
            data = json.loads(text) if isinstance(text, (str, bytes)) else dict(text)
        except json.JSONDecodeError as exc:
            raise UserError(f"The model's preprocessing metadata is not valid JSON ({exc.msg}).") from None
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise UserError(f"The model's preprocessing metadata has unknown keys {unknown}: expected {sorted(known)}.")
        if "size" not in data:
            raise UserError("The model's preprocessing metadata has no 'size' (input height and width).")
        return cls(**data)


def from_model(model: onnx.ModelProto) -> Preprocess | None:
    """The recipe stored in the model's metadata, or None when there is none."""
    for prop in model.metadata_props:
        if prop.key == METADATA_KEY:
            return Preprocess.from_json(prop.value)
    return None


def default_for_input(shape: tuple) -> tuple[Preprocess, str]:
    """A guessed recipe for an input shape (N,C,H,W) or (N,H,W,C), plus the note telling the user it is a guess.

    Symbolic or unknown dimensions (None, strings, <= 0) fall back to 224. Three channels get ImageNet mean/std,
    one channel gets grayscale in [0, 1].
    """
    dims = [d if isinstance(d, int) and d > 0 else None for d in shape]
    if len(dims) == 2:  # (H, W): one gray plane
        dims = [1, 1, *dims]
    elif len(dims) == 3:  # (C, H, W) or (H, W, C) without a batch axis
        dims = [1, *dims]
    if len(dims) == 4 and dims[1] in (1, 3):
        layout, channels, h, w = "NCHW", dims[1], dims[2], dims[3]
    elif len(dims) == 4 and dims[3] in (1, 3):
        layout, channels, h, w = "NHWC", dims[3], dims[1], dims[2]
    elif len(dims) == 4:
        layout, channels, h, w = "NCHW", 3, dims[2], dims[3]
    else:
        raise UserError(f"The model's input has shape {tuple(shape)}: expected an image batch like (1, 3, H, W).")
    size = (h or DEFAULT_SIZE, w or DEFAULT_SIZE)
    if channels == 1:
        pre = Preprocess(size=size, mean=(0.0,), std=(1.0,), grayscale=True, layout=layout)
        what = f"grayscale {size[0]}x{size[1]}, pixels scaled to [0, 1]"
    else:
        pre = Preprocess(size=size, mean=IMAGENET_MEAN, std=IMAGENET_STD, layout=layout)
        what = f"RGB {size[0]}x{size[1]} with ImageNet mean/std"
    return pre, GUESSED_NOTE.format(what=what)


def for_model(model: onnx.ModelProto, input_shape: tuple) -> tuple[Preprocess, str | None]:
    """The model's own recipe (note None), else the guess for its input shape with the note to show."""
    pre = from_model(model)
    return (pre, None) if pre is not None else default_for_input(input_shape)


@dataclass(frozen=True)
class CoordMap:
    """Model-input coordinates -> original-image coordinates: ``image = (model + offset) / scale`` per axis."""

    scale: tuple[float, float]   # resized size / original size, (y, x)
    offset: tuple[float, float]  # crop origin in the resized image, (y, x)
    image_size: tuple[int, int]  # original (height, width)

    def box_to_image(self, box: tuple[float, float, float, float]) -> tuple[float, float, float, float]:
        """Inclusive model-input box (top, left, bottom, right) -> inclusive box in original-image pixels."""
        top, left, bottom, right = box
        (sy, sx), (oy, ox) = self.scale, self.offset
        return ((top + oy) / sy, (left + ox) / sx, (bottom + 1 + oy) / sy - 1, (right + 1 + ox) / sx - 1)

    def point_to_image(self, y: float, x: float) -> tuple[float, float]:
        """Centre of model-input pixel (y, x) -> the matching point in original-image pixel indices."""
        (sy, sx), (oy, ox) = self.scale, self.offset
        return (y + 0.5 + oy) / sy - 0.5, (x + 0.5 + ox) / sx - 0.5


@dataclass(frozen=True)
class Prepared:
    tensor: np.ndarray       # float32 (1,C,H,W) or (1,H,W,C)
    to_image: CoordMap
    resized_rgb: np.ndarray  # uint8 (H,W,3): what the model sees, for display (gray models: gray in 3 channels)


def _pixels(image: Any) -> np.ndarray:
    """LoadedImage or array -> uint8 (H,W) or (H,W,3)."""
    pixels = np.asarray(getattr(image, "pixels", image))
    if pixels.ndim == 3 and pixels.shape[2] == 1:
        pixels = pixels[:, :, 0]
    elif pixels.ndim == 3 and pixels.shape[2] == 4:
        pixels = pixels[:, :, :3]
    if pixels.ndim not in (2, 3) or (pixels.ndim == 3 and pixels.shape[2] != 3) or min(pixels.shape[:2]) < 1:
        raise UserError(f"Image of shape {pixels.shape} is not a grayscale (H,W) or RGB (H,W,3) picture.")
    if pixels.dtype != np.uint8:
        pixels = np.clip(np.rint(pixels), 0, 255).astype(np.uint8)
    return pixels


def _resize(pixels: np.ndarray, h: int, w: int) -> np.ndarray:
    shrinking = h <= pixels.shape[0] and w <= pixels.shape[1]
    return cv2.resize(pixels, (w, h), interpolation=cv2.INTER_AREA if shrinking else cv2.INTER_LINEAR)


def prepare(image: Any, pre: Preprocess) -> Prepared:
    """Image (LoadedImage or uint8 array, gray or RGB) -> model input tensor, coordinate map and display image."""
    pixels = _pixels(image)
    if pre.grayscale and pixels.ndim == 3:
        pixels = cv2.cvtColor(pixels, cv2.COLOR_RGB2GRAY)
    elif not pre.grayscale and pixels.ndim == 2:
        pixels = np.repeat(pixels[:, :, None], 3, axis=2)
    ih, iw = pixels.shape[:2]
    th, tw = pre.size
    if pre.resize == "resize":
        fitted = _resize(pixels, th, tw)
        coords = CoordMap(scale=(th / ih, tw / iw), offset=(0.0, 0.0), image_size=(ih, iw))
    else:
        # Scale so the image covers the target (the shorter side matches), then take the centre.
        s = max(th / ih, tw / iw)
        rh, rw = max(th, round(ih * s)), max(tw, round(iw * s))
        top, left = (rh - th) // 2, (rw - tw) // 2
        fitted = _resize(pixels, rh, rw)[top:top + th, left:left + tw]
        coords = CoordMap(scale=(rh / ih, rw / iw), offset=(float(top), float(left)), image_size=(ih, iw))
    fitted = np.ascontiguousarray(fitted)

    x = fitted.astype(np.float32)
    if x.ndim == 2:
        x = x[:, :, None]
    elif pre.channel_order == "BGR":
        x = x[:, :, ::-1]
    channels = x.shape[2]
    mean, std = np.asarray(pre.mean, np.float32), np.asarray(pre.std, np.float32)
    for name, values in (("mean", mean), ("std", std)):
        if values.size not in (1, channels):
            raise UserError(f"Preprocessing {name} has {values.size} values but the model takes {channels} channels.")
    x = (x * np.float32(pre.scale) - mean) / std
    x = x[None] if pre.layout == "NHWC" else x.transpose(2, 0, 1)[None]
    display = fitted if fitted.ndim == 3 else np.repeat(fitted[:, :, None], 3, axis=2)
    return Prepared(tensor=np.ascontiguousarray(x, dtype=np.float32), to_image=coords, resized_rgb=display)

