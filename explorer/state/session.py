"""The session file: the window reopens where the user left it (image, tab, model, layer, every parameter).

Only user intent is saved (never images, results or arrays beyond the kernel). Reading is forgiving: a missing
file gives the defaults silently; a corrupt or foreign one gives the defaults plus one line for the status bar.
Each value is checked through the same intent methods the widgets use, so a hand-edited file cannot smuggle in
impossible parameters.
"""
from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

import platformdirs

from explorer.core import lesson_steps
from explorer.core.conv import ConvParams, PoolParams, output_size
from explorer.core.errors import UserError
from explorer.core.explain import FILLS, METHODS
from explorer.state.app import TABS, THEMES, ZOOM_STEPS, AppState
from explorer.state.batch import batched
from explorer.state.explorer import NORMALIZE, PANELS
from explorer.state.playground import MODES, Settings, as_kernel

VERSION = 1
CONFIG_ENV = "CNN_EXPLORER_CONFIG_DIR"   # tests and portable installs put the session elsewhere


def session_path() -> Path:
    folder = os.environ.get(CONFIG_ENV) or platformdirs.user_config_dir("cnn-explorer", appauthor=False)
    return Path(folder) / "session.json"


def to_dict(state: AppState) -> dict[str, Any]:
    pg, ex, mn = state.playground, state.explorer, state.mnist
    return {
        "version": VERSION,
        "tab": state.tab,
        "image": state.image.origin,
        "playground": {"size": pg.size, "stride": pg.stride, "padding": pg.padding, "dilation": pg.dilation,
                       "mode": pg.mode, "preset": pg.preset, "kernel": [list(r) for r in pg.kernel],
                       "pool": [pg.pool_kind, pg.pool_size, pg.pool_stride], "lesson": pg.lesson,
                       "magnify": pg.magnify},
        "explorer": {"model": ex.model, "layer": ex.layer, "channel": ex.channel, "normalize": ex.normalize,
                     "sort": ex.sort, "panel": ex.panel,
                     "explain": {"method": ex.explain_method, "opacity": ex.explain_opacity, "fill": ex.explain_fill}},
        "mnist": {"index": mn.index, "shift": mn.shift},
        "display": {"zoom": state.zoom, "theme": state.theme, "hint_seen": state.hint_seen,
                    "lesson_step": state.lesson.step},
    }


def apply_dict(state: AppState, data: dict[str, Any]) -> None:
    """Put a saved session into ``state``; raises ValueError/KeyError/TypeError on anything malformed."""
    if data.get("version") != VERSION:
        raise ValueError(f"unknown session version {data.get('version')!r}")
    p, e, m = data["playground"], data["explorer"], data["mnist"]
    kind, pool_size, pool_stride = p["pool"]
    padding = p["padding"] if p["padding"] == "same" else int(p["padding"])
    settings = Settings(ConvParams(int(p["size"]), int(p["stride"]), padding, int(p["dilation"])),
                        PoolParams(str(kind), int(pool_size), int(pool_stride)), str(p["mode"]),
                        as_kernel(p["kernel"]))
    output_size(16, settings.params.size, settings.params.stride, 0 if padding == "same" else padding,
                settings.params.dilation)  # validates the numbers (UserError on nonsense)
    if settings.mode not in MODES or len(settings.kernel) != settings.params.size or \
            any(len(row) != settings.params.size for row in settings.kernel):
        raise ValueError("playground settings do not fit together")
    magnify = p.get("magnify", state.playground.magnify)   # absent in sessions saved before it was
    if not isinstance(magnify, bool):
        raise ValueError("magnify is not true or false")
    index, shift = int(m["index"]), int(m["shift"])
    if e["normalize"] not in NORMALIZE or e["panel"] not in PANELS or data["tab"] not in TABS:
        raise ValueError("unknown explorer option")
    display = _display(data.get("display", {}))  # absent in sessions saved before it existed
    explain, now = e.get("explain", {}), state.explorer  # absent from sessions saved before the Explain panel
    method, fill = explain.get("method", now.explain_method), explain.get("fill", now.explain_fill)
    opacity = float(explain.get("opacity", now.explain_opacity))
    if method not in METHODS or fill not in FILLS or not 0.0 <= opacity <= 1.0:
        raise ValueError("unknown explain option")
    state.playground.apply(settings, str(p["preset"]), str(p.get("lesson", "")))
    state.playground.magnify = magnify
    with batched(state.explorer.events):
        state.explorer.model = str(e["model"])
        state.explorer.layer = str(e["layer"])
        state.explorer.channel = None if e["channel"] is None else int(e["channel"])
        state.explorer.normalize, state.explorer.sort, state.explorer.panel = e["normalize"], bool(e["sort"]), e["panel"]
        state.explorer.explain_method, state.explorer.explain_fill = method, fill
        state.explorer.explain_opacity = opacity
    state.mnist.index, state.mnist.shift = index, shift
    state.zoom, state.theme, state.hint_seen, state.lesson.step = display
    state.image.origin = str(data["image"])
    state.tab = data["tab"]


def _display(d: dict[str, Any]) -> tuple[float, str, bool, int]:
    """(zoom, theme, hint seen, lesson step), checked before anything is applied."""
    zoom, theme, step = float(d.get("zoom", 1.0)), str(d.get("theme", "normal")), int(d.get("lesson_step", -1))
    if not ZOOM_STEPS[0] <= zoom <= ZOOM_STEPS[-1] or theme not in THEMES:
        raise ValueError("display settings out of range")
    return zoom, theme, bool(d.get("hint_seen", False)), lesson_steps.clamp(step) if step >= 0 else -1


def save(state: AppState, path: Path | None = None) -> None:
    """Write atomically (a crash mid-write leaves the previous session intact)."""
    path = path or session_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".session.", suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump(to_dict(state), f, indent=1)
    os.replace(tmp, path)


def load(state: AppState, path: Path | None = None) -> str:
    """Restore the saved session into ``state``; returns "" or one line saying why the defaults are used."""
    path = path or session_path()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return ""
    except OSError as exc:
        return f"Could not read the saved session {path} ({exc.strerror or exc}): starting with the defaults."
    try:
        apply_dict(state, json.loads(text))
    except (ValueError, KeyError, TypeError, AttributeError, UserError) as exc:
        return f"The saved session {path.name} is damaged ({exc}): starting with the defaults."
    return ""
