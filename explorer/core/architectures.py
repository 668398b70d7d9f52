"""The six lecture architectures side by side: what we measure from our built-ins, what was published, what each
brought.

Measured columns come from ``inspect`` of the built-in graphs' layout (``builtin_structure``: no weights drawn;
parameters, multiply-adds, weight layers along the deepest path, the largest receptive field of any convolution)
and from timing one image on this machine's CPU. ``facts_for`` runs on a task and the results are cached in the
user cache (keyed by the zoo's builder version); timing builds each model in memory, as the Model Explorer opens it,
and writes no file. Published accuracy is copied from the ONNX Model Zoo's tables for the trained versions (the
zoo's AlexNet is the two-stream original, ours the single-stream variant).
"""
from __future__ import annotations

import csv
import io
import json
import re
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from explorer.core import inspect as core_inspect
from explorer.core import builtin_structure, paths, zoo
from explorer.core.errors import UserError

WEIGHT_OPS = ("Conv", "Gemm", "MatMul")   # layers that count toward a network's depth (not BatchNorm)
ZOO_SOURCE = "ONNX Model Zoo (github.com/onnx/models, validated/vision/classification, commit b1eeaa1)"
TIMING_RUNS = 3


@dataclass(frozen=True)
class Architecture:
    key: str                      # the built-in's name in explorer.core.zoo
    introduced: str
    advantages: str
    disadvantages: str
    top1: float | None = None     # published ImageNet accuracy of the trained version, percent
    top5: float | None = None
    accuracy_note: str = ""

    @property
    def title(self) -> str:
        return zoo.BUILTINS[self.key].title

    @property
    def year(self) -> int:
        match = re.search(r"\((\d{4})\)", zoo.BUILTINS[self.key].paper)
        return int(match.group(1)) if match else 0


# In our own words, after the lecture's summary of each network.
ARCHITECTURES: tuple[Architecture, ...] = (
    Architecture("lenet5", "convolution and pooling layers taking turns",
                 "small, simple, reads digits well", "too small for photos; overfits little data",
                 accuracy_note="trained on MNIST digits, not ImageNet"),
    Architecture("alexnet", "ReLU, dropout and heavy data augmentation on a GPU",
                 "big jump on ImageNet; ReLU trains fast; dropout curbs overfitting",
                 "costly in compute and memory; more complex than before",
                 54.80, 78.23, "zoo: bvlcalexnet-12 (two-stream original)"),
    Architecture("vgg16", "only 3×3 filters, stacked deep",
                 "uniform and simple; depth pays; a favourite for transfer learning",
                 "138 M parameters: slow to train, heavy to run",
                 72.62, 91.14, "zoo: vgg16-7"),
    Architecture("googlenet", "Inception modules: parallel 1×1, 3×3, 5×5 with 1×1 bottlenecks",
                 "few parameters; sees several scales at once",
                 "intricate design; many parts to tune",
                 67.78, 88.34, "zoo: googlenet-12"),
    Architecture("resnet34", "shortcut connections that add a block's input to its output",
                 "very deep nets train; gradients flow through the shortcuts",
                 "more design decisions; heavy compute",
                 73.73, 91.40, "zoo: resnet34-v1-7"),
    Architecture("densenet121", "every layer of a block reads all earlier layers' maps",
                 "features reused; few parameters; stable training",
                 "memory-hungry while training; intricate blocks",
                 60.96, None, "zoo: densenet-12 (figure possibly measured with the wrong preprocessing)"),
)


@dataclass(frozen=True)
class Facts:
    """What we measure from a built-in's graph."""

    weight_layers: int
    params: int
    macs: int
    rf: int           # largest receptive-field side of any convolution, input pixels


def weight_depth(info: core_inspect.ModelInfo) -> int:
    """Weight layers on the deepest input→output path (VGG-16: 16; a ResNet's 1×1 shortcut is not on it)."""
    depth: dict[str, int] = {}                       # tensor name -> weight layers before it
    for layer in info.layers:                        # inspect lists layers in graph (topological) order
        before = max((depth.get(t, 0) for t in layer.inputs), default=0)
        here = before + (layer.op in WEIGHT_OPS)
        for out in layer.outputs:
            depth[out] = here
    return max(depth.values(), default=0)


def largest_conv_rf(info: core_inspect.ModelInfo) -> int:
    sizes = [max(layer.rf.size) for layer in info.layers if layer.op == "Conv" and layer.rf is not None]
    return max(sizes, default=0)


def facts_of(info: core_inspect.ModelInfo) -> Facts:
    return Facts(weight_depth(info), info.params, info.macs, largest_conv_rf(info))


def _cache_file() -> Path:
    return paths.cache_dir() / f"architectures-v{zoo.BUILDER_VERSION}.json"


def cached_facts() -> dict[str, Facts]:
    """Facts measured earlier on this machine ({} when there are none or the file is unreadable)."""
    try:
        data = json.loads(_cache_file().read_text(encoding="utf-8"))
        return {key: Facts(**value) for key, value in data.items()}
    except (OSError, ValueError, TypeError):
        return {}


def _store(facts: dict[str, Facts]) -> None:
    path = _cache_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({k: asdict(v) for k, v in facts.items()}), encoding="utf-8")


def facts_for(key: str, progress: Callable[[float, str], None] | None = None) -> Facts:
    """One built-in's facts, from the cache or by building and inspecting it (seconds for VGG-16)."""
    known = cached_facts()
    if key in known:
        return known[key]
    if progress:
        progress(0.0, f"Inspecting {zoo.BUILTINS[key].title}…")
    facts = facts_of(builtin_structure.inspect_builtin(key))  # the layout alone: no weights drawn, no file
    known[key] = facts
    try:
        _store(known)
    except OSError:
        pass  # an unwritable cache only costs the rebuild next time
    return facts


def cpu_ms_per_image(key: str, runs: int = TIMING_RUNS) -> float:
    """Median milliseconds for one image through the built-in on this machine's CPU (after one warm-up run)."""
    from explorer.core.runtime import output_session

    entry = zoo.BUILTINS[key]
    arrays: dict[str, np.ndarray] = {}
    session = output_session(zoo.build(key, arrays=arrays), arrays)  # built in memory: no file in the cache
    feed = {session.get_inputs()[0].name: np.zeros(entry.input_shape, np.float32)}
    session.run(None, feed)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        session.run(None, feed)
        times.append((time.perf_counter() - start) * 1000)
    return float(np.median(times))


# ----- the table ----------------------------------------------------------------------------------------------
COLUMNS = ("architecture", "year", "weight layers", "parameters", "multiply-adds", "largest conv RF",
           "CPU ms / image", "top-1 %", "top-5 %", "introduced", "advantages", "disadvantages")
NUMERIC = frozenset(COLUMNS[1:9])


def rows(facts: dict[str, Facts], times: dict[str, float]) -> list[dict[str, object]]:
    """One dict per architecture (keys = COLUMNS); None where a value is not known (yet)."""
    out = []
    for arch in ARCHITECTURES:
        f = facts.get(arch.key)
        out.append({
            "architecture": arch.title, "year": arch.year,
            "weight layers": f.weight_layers if f else None, "parameters": f.params if f else None,
            "multiply-adds": f.macs if f else None, "largest conv RF": f.rf if f else None,
            "CPU ms / image": times.get(arch.key), "top-1 %": arch.top1, "top-5 %": arch.top5,
            "introduced": arch.introduced, "advantages": arch.advantages, "disadvantages": arch.disadvantages,
        })
    return out


def sort_rows(table: list[dict[str, object]], column: str, descending: bool = False) -> list[dict[str, object]]:
    """Unknown values last in either direction."""
    if column not in COLUMNS:
        raise UserError(f"No column {column!r}; choose one of: {', '.join(COLUMNS)}.")
    known = [r for r in table if r[column] is not None]
    unknown = [r for r in table if r[column] is None]
    key = (lambda r: r[column]) if column in NUMERIC else (lambda r: str(r[column]).lower())
    return sorted(known, key=key, reverse=descending) + unknown


def cell_text(column: str, value: object) -> str:
    if value is None:
        return "–"
    if column in ("parameters", "multiply-adds"):
        return f"{value:,}"
    if column == "CPU ms / image":   # LeNet-5 takes hundredths of a millisecond, VGG-16 over a second
        return f"{value:,.0f}" if value >= 10 else f"{value:.2g}"
    if column in ("top-1 %", "top-5 %"):
        return f"{value:.2f}"
    return str(value)


def to_csv(table: list[dict[str, object]]) -> str:
    """Raw numbers (no thousands separators) so a spreadsheet reads them; the accuracy source as a last line."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    for row in table:
        writer.writerow(["" if row[c] is None else row[c] for c in COLUMNS])
    writer.writerow([f"top-1/top-5: {ZOO_SOURCE}"])
    return buffer.getvalue()
