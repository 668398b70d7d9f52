"""The "Random vs trained" panel's state: which convolution to compare, and what the comparison tasks produced.

The pair follows the explorer's chosen model (its architecture); ``loaded`` and ``result`` are shown only while
they answer the current pair and model input, like the explorer's own.
"""
from __future__ import annotations

import operator
from dataclasses import dataclass

from psygnal import evented


@evented(equality_operators={"loaded": operator.is_, "result": operator.is_})
@dataclass
class RandomVsTrainedState:
    layer: int = 0                   # which convolution, counted in graph order (0 = conv1), on both sides
    # ----- derived, never saved -----
    loaded: object | None = None     # tuple of two workers.tasks.LoadedModel: (random, trained)
    result: object | None = None     # workers.tasks.Comparison
    progress: float = 1.0
    progress_text: str = ""
