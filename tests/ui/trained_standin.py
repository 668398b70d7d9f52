"""A stand-in for a downloaded zoo network (no internet here): a tiny 1000-class logits model placed in the user
cache under a Download entry that pretends to be GoogLeNet's trained version (GoogLeNet's random built-in builds
in 0.4 s, so "random vs trained" tests stay fast)."""
from __future__ import annotations

import dataclasses
import hashlib
from pathlib import Path

from explorer.core import catalog, user_cache
from zoo_server import tiny_model

ARCH = "googlenet"
FILE = "standin-12.onnx"
# GoogLeNet's Caffe recipe at the stand-in's 8×8 input size
RECIPE = dataclasses.replace(next(e for e in catalog.TRAINED if e.architecture == ARCH).preprocess, size=(8, 8))


def standin_entry(data: bytes, urls: tuple[str, ...] = ()) -> catalog.ModelEntry:
    template = next(e for e in catalog.TRAINED if e.architecture == ARCH)
    return dataclasses.replace(template, key=f"{ARCH}-trained", preprocess=RECIPE, params=None,
                               input_shape=(1, 3, 8, 8),
                               weights=catalog.Download(FILE, hashlib.sha256(data).hexdigest(), len(data), urls))


def install(monkeypatch, cache: Path, downloaded: bool = True, urls: tuple[str, ...] = ()) -> catalog.ModelEntry:
    """Replace GoogLeNet's trained entry by the stand-in; put its file into the (private) user cache if asked."""
    monkeypatch.setenv("CNN_EXPLORER_CACHE_DIR", str(cache))
    data = tiny_model(features=16).SerializeToString()
    entry = standin_entry(data, urls)
    if downloaded:
        user_cache.downloads_dir().mkdir(parents=True, exist_ok=True)
        (user_cache.downloads_dir() / FILE).write_bytes(data)
    listed = [entry if e.key == entry.key else e for e in catalog.entries()]
    monkeypatch.setattr(catalog, "entries", lambda: listed)
    return entry
