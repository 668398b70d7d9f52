"""Does an input look like an MNIST digit? A network trained on digits names a digit for anything it is shown.

MNIST digits are white strokes on a black field, size-normalised into a 20×20 box and centred by their mass in
28×28. The test reduces the input to that 28×28 grey field and checks the properties a digit has and a photo
rarely has, then the network's confidence:

* dark background: the outer ring of pixels is almost black (median below ``BORDER_MAX``),
* bright strokes: the brightest pixels are near white (99th percentile above ``STROKE_MIN``),
* ink fraction: between ``INK_RANGE`` of the pixels are ink (above half brightness),
* centred mass: the brightness-weighted centre lies within ``CENTRE_MAX`` pixels of the middle,
* confidence: the top class has at least ``CONFIDENCE_MIN`` probability.

Thresholds were set on the held-out digits' own statistics and the measured hit rates are pinned by
tests/core/test_digit_likeness.py (numbers in bench/README.md). Grey inputs only: colour is averaged.
"""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

SIZE = 28
RING = 3                  # pixels of the outer ring that count as background
BORDER_MAX = 0.15         # median brightness of the ring (0..1)
STROKE_MIN = 0.6          # 99th percentile of brightness
INK_RANGE = (0.025, 0.40)  # share of pixels above 0.5
CENTRE_MAX = 4.0          # pixels from the middle of 28×28
CONFIDENCE_MIN = 0.5
DIGIT_LABELS = [str(d) for d in range(10)]


@dataclass(frozen=True)
class DigitLikeness:
    digit_like: bool
    reason: str   # the first test that failed, in words; "" when digit-like


def applies(labels: list[str] | None) -> bool:
    """The network's classes are exactly the ten digits: it can only answer with a digit."""
    return labels == DIGIT_LABELS


def field(pixels: np.ndarray) -> np.ndarray:
    """Any uint8 image (H,W) or (H,W,3) -> float (28,28) grey in 0..1, as the digit networks see its content."""
    # Shrink first (uint8, no full-size float copy of a 40 MP photo), then average the colours.
    small = cv2.resize(np.ascontiguousarray(pixels, dtype=np.uint8), (SIZE, SIZE), interpolation=cv2.INTER_AREA)
    small = small.astype(np.float32)
    return (small.mean(axis=2) if small.ndim == 3 else small) / 255.0


def judge(pixels: np.ndarray, confidence: float) -> DigitLikeness:
    """The verdict for an input image and the network's top-class probability on it."""
    grey = field(pixels)
    ring = np.concatenate([grey[:RING].ravel(), grey[-RING:].ravel(), grey[RING:-RING, :RING].ravel(),
                           grey[RING:-RING, -RING:].ravel()])
    if np.median(ring) > BORDER_MAX:
        return DigitLikeness(False, "its background is not dark (digits are white on black)")
    if np.percentile(grey, 99) < STROKE_MIN:
        return DigitLikeness(False, "it has no bright strokes")
    ink = float(np.mean(grey > 0.5))
    if not INK_RANGE[0] <= ink <= INK_RANGE[1]:
        return DigitLikeness(False, f"{ink:.0%} of it is ink (a digit has {INK_RANGE[0]:.0%}–{INK_RANGE[1]:.0%})")
    total = float(grey.sum())
    ys, xs = np.mgrid[:SIZE, :SIZE]
    cy, cx = (ys * grey).sum() / total, (xs * grey).sum() / total
    middle = (SIZE - 1) / 2
    if np.hypot(cy - middle, cx - middle) > CENTRE_MAX:
        return DigitLikeness(False, "its bright part is off centre")
    if confidence < CONFIDENCE_MIN:
        return DigitLikeness(False, f"the network is unsure ({confidence:.0%} for its top digit)")
    return DigitLikeness(True, "")
