"""Which models are explained in-process, and the answer an explanation request gets.

An explanation runs the model tens to thousands of times, in batches of up to eight images, and builds sessions
over cuts of its graph: a stranger's .onnx file that loops for ever or asks for gigabytes does so here too, so it
runs where a memory cap, a time limit and a cancel can stop it (child.py's long-lived child; the command line's
``explain`` and ``erf`` use sandbox.run_limited). Built-ins and zoo files recognised by their checksum are ours and
run in-process.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from explorer.core import catalog
from explorer.core.explain.methods import Explanation, explain
from explorer.core.explain.model import Cancelled, ExplainModel
from explorer.core.progress import Progress


def trusted(entry: catalog.ModelEntry) -> bool:
    """Our own models: built from code, bundled, or a published zoo file matched by its sha256."""
    return not isinstance(entry.weights, catalog.UserFile)


@dataclass(frozen=True)
class Answer:
    """An explanation and the model facts the Explain panel offers beside it (its layers and classes)."""

    explanation: Explanation
    layers: tuple[str, ...]     # layers with a spatial map: the CAM methods' choices, the last is the default
    classes: int


def answer(model: ExplainModel, image: Any, method: str, layer: str | None, class_index: int | None,
           options: dict, progress: Progress | None = None, cancelled: Cancelled | None = None) -> Answer:
    """``explain`` plus the layers and class count, so a caller without the model (the parent of a sandbox)
    gets everything in one result."""
    result = explain(model, image, method, layer=layer, class_index=class_index, progress=progress,
                     cancelled=cancelled, **options)
    return Answer(result, model.spatial_layers(), model.classes)
