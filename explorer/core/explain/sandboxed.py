"""Explanations and effective fields of a user's model file, run in sandbox.py's child process.

An explanation runs the model tens to thousands of times, in batches of up to eight images, and builds sessions
over cuts of its graph: a stranger's .onnx file that loops for ever or asks for gigabytes does so here too, so it
runs where a memory cap, a time limit and a cancel can stop it. Built-ins and zoo files recognised by their
checksum are ours and run in-process (no spawn, the sessions stay cached between requests).
"""
from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from explorer.core import catalog, sandbox
from explorer.core.explain.methods import Explanation, explain
from explorer.core.explain.model import Cancelled, ExplainModel
from explorer.core.progress import Progress

T = TypeVar("T")


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


def run(entry: catalog.ModelEntry, job: Callable[..., T], *args: Any, progress: Progress,
        cancel: threading.Event | None, timeout_s: float, memory_bytes: int, **kwargs: Any) -> T:
    """``job(ExplainModel(entry), *args, progress=..., **kwargs)`` in a limited child process; ``job`` must be
    a top-level function. Progress comes back through the sandbox's pipe and ``timeout_s`` bounds the time
    between two reports (one batch of forward passes), not the whole explanation."""
    return sandbox.run_limited(_in_child, entry, job, args, kwargs, timeout_s=timeout_s, memory_bytes=memory_bytes,
                               cancel=cancel, what=f"'{Path(entry.weights.path).name}'", progress=progress)


def _in_child(entry: catalog.ModelEntry, job: Callable[..., T], args: tuple, kwargs: dict,
              progress: Progress) -> T:
    progress(0.0, "Preparing the model for explanations (in a separate process)…")
    return job(ExplainModel(catalog.load(entry)), *args, progress=progress, **kwargs)
