"""What the Model Explorer's header says, derived from the state alone (no widget is read).

The badge, the summary and "is the result on screen current?" are plain functions of (ExplorerState, ImageState),
so a model that is still loading can never be described by the previous one's facts.
"""
from __future__ import annotations

from pathlib import Path

from explorer.core import catalog
from explorer.core.errors import UserError
from explorer.core.images import LoadedImage
from explorer.state.explorer import ExplorerState
from explorer.state.image import ImageState
from explorer.ui.model_explorer.layer_list import compact
from explorer.workers.tasks import LoadedModel, RunResult

GREY = "#555555"
SEPARATOR = " — "


BADGE_COLOURS = {"trained": "#1b7f3b", "random initialisation": "#b35900", "weights from file": GREY}


def chosen_title(key: str) -> str:
    """A name for the chosen model before it has loaded: the catalog's title, a file's name (never hashed here)."""
    if Path(key).suffix.lower() == ".onnx" or key.startswith(catalog.FILE_PREFIX):
        return Path(key).name
    try:
        return catalog.get(key).title
    except UserError:
        return key


def missing_download(key: str) -> catalog.ModelEntry | None:
    """The chosen catalog entry when its published file is not on this machine yet (it must be downloaded)."""
    if Path(key).suffix.lower() == ".onnx":
        return None
    try:
        entry = catalog.get(key)
    except UserError:
        return None
    return entry if isinstance(entry.weights, catalog.Download) and not catalog.is_available(entry) else None


def answers(result: RunResult | None, loaded: LoadedModel | None, image: LoadedImage | None) -> bool:
    """The result was computed by this model on exactly this image."""
    return (result is not None and loaded is not None and image is not None
            and result.model_key == loaded.key and result.image is image)


def on_screen(result: RunResult | None, loaded: LoadedModel | None, image: LoadedImage | None,
              playing: bool) -> bool:
    """The result to show: the one answering this image, or while a source plays the newest frame's so far (its
    panels show the frame it was computed on), rather than a blank view for the length of every run."""
    if answers(result, loaded, image):
        return True
    return playing and result is not None and loaded is not None and result.live and result.model_key == loaded.key


def result_is_current(explorer: ExplorerState, images: ImageState) -> bool:
    """The activations in the state answer the chosen model and the current model input."""
    return answers(explorer.result, explorer.shown_model(), images.model_input())


def badge(explorer: ExplorerState) -> tuple[str, str, str]:
    """(text, CSS colour, tooltip) saying where the chosen model's weights come from, or that it is loading."""
    loaded = explorer.shown_model()
    if loaded is None:
        failed = bool(explorer.error)
        return ("not loaded" if failed else "loading…"), GREY, ""
    facts = loaded.facts
    return facts.badge, BADGE_COLOURS.get(facts.badge, GREY), "\n".join(facts.facts) or facts.weights_text


def summary(explorer: ExplorerState, images: ImageState, playing: bool = False) -> str:
    """The chosen model's size — what it runs on (source and size) and how long that took; ``playing``: a camera
    or video plays (live runs compute the shown layer and the prediction alone; the layer table's other rows say
    so when chosen)."""
    loaded = explorer.shown_model()
    if loaded is None:
        title = chosen_title(explorer.model)
        entry = missing_download(explorer.model)
        if entry is not None:
            return (f"{title} is not on this machine yet: Download fetches {entry.weights.size / 1e6:.0f} MB "
                    f"({entry.licence}), or open the zoo file {entry.weights.file} if you have a copy.")
        return f"{title} could not be loaded." if explorer.error else f"Loading {title}…"
    info = loaded.info
    facts = (f"{loaded.title}: {len(info.layers)} layers · {compact(info.params)} params · "
             f"{compact(info.macs)} MACs")  # the layer table's column name; the line fits a 720 px projector
    source = images.model_input()
    if source is None:
        return f"{facts}{SEPARATOR}no image yet: open one (Ctrl+O) or pick a sample."
    h, w = source.pixels.shape[:2]
    runs_on = f"input: {source.source} {w}×{h}"
    if source is not images.image:
        runs_on += " (the last photo: the Playground shows a lecture grid)"
    result = explorer.result
    if not on_screen(result, loaded, source, playing):
        runs_on += " · running…"
    elif result.live:  # the same words every frame: new text would lay the view out again ~30 times a second
        runs_on += " · live"  # no longer than "ran in …": a second line on a projector moved the maps at every pause
    else:
        runs_on += f" · ran in {duration_text(result.run_ms)}"  # one line at 1280 px and zoom 1.5 (projector)
    return f"{facts}{SEPARATOR}{runs_on}"


def duration_text(ms: float) -> str:
    """A run's time as a reader takes it: LeNet-5's 0.4 ms is not "0 ms"; tenths below 10 ms, whole ms above."""
    if ms < 0.1:
        return "under 0.1 ms"
    return f"{ms:.1f} ms" if ms < 10 else f"{ms:.0f} ms"


def short_provider(provider: str) -> str:
    return provider.removesuffix("ExecutionProvider") or provider
