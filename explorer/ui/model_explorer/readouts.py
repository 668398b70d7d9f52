"""What the Model Explorer's header says, derived from the state alone (no widget is read).

The badge, the summary and "is the result on screen current?" are plain functions of (ExplorerState, ImageState),
so a model that is still loading can never be described by the previous one's facts.
"""
from __future__ import annotations

from pathlib import Path

from explorer.core import zoo
from explorer.core.images import LoadedImage
from explorer.state.explorer import ExplorerState
from explorer.state.image import ImageState
from explorer.ui.model_explorer.layer_list import compact
from explorer.workers.model_facts import is_random
from explorer.workers.tasks import LoadedModel, RunResult

GREY = "#555555"
SEPARATOR = " — "


def chosen_title(key: str) -> str:
    """A name for the chosen model before it has loaded (its file name for a user file)."""
    entry = zoo.BUILTINS.get(key)
    return entry.title if entry is not None else Path(key).name


def answers(result: RunResult | None, loaded: LoadedModel | None, image: LoadedImage | None) -> bool:
    """The result was computed by this model on exactly this image."""
    return (result is not None and loaded is not None and image is not None
            and result.model_key == loaded.key and result.image is image)


def result_is_current(explorer: ExplorerState, images: ImageState) -> bool:
    """The activations in the state answer the chosen model and the current model input."""
    return answers(explorer.result, explorer.shown_model(), images.model_input())


def badge(explorer: ExplorerState) -> tuple[str, str, str]:
    """(text, CSS colour, tooltip) saying where the chosen model's weights come from, or that it is loading."""
    loaded = explorer.shown_model()
    if loaded is None:
        failed = bool(explorer.error)
        return ("not loaded" if failed else "loading…"), GREY, ""
    if not loaded.weights:
        return "weights from file", GREY, "The file does not say where its weights come from."
    if is_random(loaded.weights):
        return "random initialisation", "#b35900", loaded.weights
    return "trained", "#1b7f3b", loaded.weights


def summary(explorer: ExplorerState, images: ImageState) -> str:
    """The chosen model's size — what it runs on (source and size) and how long that took."""
    loaded = explorer.shown_model()
    title = chosen_title(explorer.model)
    if loaded is None:
        return f"{title} could not be loaded." if explorer.error else f"Loading {title}…"
    info = loaded.info
    facts = (f"{loaded.title}: {len(info.layers)} layers · {compact(info.params)} parameters · "
             f"{compact(info.macs)} mult-adds")
    source = images.model_input()
    if source is None:
        return f"{facts}{SEPARATOR}no image yet: open one (Ctrl+O) or pick a sample."
    h, w = source.pixels.shape[:2]
    runs_on = f"input: {source.source} {w}×{h}"
    if source is not images.image:
        runs_on += " (the last photo: the Playground shows a lecture grid)"
    result = explorer.result
    runs_on += (f" · {result.run_ms:.0f} ms onnxruntime, {result.total_ms:.0f} ms in all"
                if answers(result, loaded, source) else " · running…")
    return f"{facts}{SEPARATOR}{runs_on}"


def short_provider(provider: str) -> str:
    return provider.removesuffix("ExecutionProvider") or provider
