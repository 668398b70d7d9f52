"""The built-in model zoo: the lecture's architectures built as ONNX graphs with numpy + onnx (no torch).

``build(name, seed)`` makes a model in memory: the graph is laid out in milliseconds and the He-normal weights are
drawn from the seed (``graph.fill_he_normal``), so opening a built-in needs no file (``catalog.load`` does this).
``materialize(name)`` writes the full model once into
``paths.cache_dir() / "models" / f"{name}-v{BUILDER_VERSION}.onnx"`` for those who need a file (``export``) and
reuses it afterwards. Tests redirect the cache by monkeypatching ``explorer.core.paths.cache_dir`` (and
``onnx_models_dir`` for LeNet-5 weights); this module always calls them through ``paths`` so the patch takes effect.

A sidecar ``<file>.json`` records builder version, size, mtime and SHA-256 of the file. A cached file is reused
when version and size match and either its mtime is unchanged or its hash still matches; without a sidecar it
must load and pass the ONNX checker. Anything else is rebuilt (temp file + os.replace, so never half-written).

Every graph's output is ``prob`` (Softmax probabilities); the layer before it holds the logits.
"""
from __future__ import annotations

import hashlib
import json
import os
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import onnx
from onnx import helper

from explorer.core import metadata as md
from explorer.core import paths
from explorer.core.errors import UserError
from explorer.core.preprocess import IMAGENET_MEAN, IMAGENET_STD, Preprocess
from explorer.core.progress import Cancel, Progress

from . import alexnet, densenet121, googlenet, lenet5, resnet, vgg16
from .graph import fill_he_normal

BUILDER_VERSION = 2  # 2: per-block seed streams (graph.py), so version-1 files hold other weights
LENET_WEIGHTS_FILE = "lenet5_mnist.npz"
WEIGHTS_SOURCE_KEY = "__weights_source__"
BUILD_SHARE = 0.8   # fraction of the progress bar spent building; the rest is writing
CHUNK = 16 << 20    # bytes written between progress reports


def random_weights_label(seed: int = 0) -> str:
    return f"random initialisation (He-normal, seed {seed})"


@dataclass(frozen=True)
class ZooEntry:
    name: str
    title: str
    paper: str
    input_shape: tuple[int, int, int, int]
    params: int
    weights: str
    preprocess: Preprocess | None = None  # None: RGB at the input size with ImageNet mean/std
    labels: str | None = None           # cnn_explorer.labels value: a JSON list or an assets file name
    bundled: str | None = None          # trained weights in onnx_models/ (an .npz keyed by initializer name)
    builder: Callable[..., onnx.ModelProto] | None = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.preprocess is None:
            object.__setattr__(self, "preprocess", Preprocess(size=self.input_shape[2:], mean=IMAGENET_MEAN,
                                                              std=IMAGENET_STD))


def _bundled_weights(entry: ZooEntry, arrays: bool = True) -> tuple[dict[str, np.ndarray] | None, str]:
    """Trained weights from onnx_models/ with their description; (None, random) for an architecture without any.
    ``arrays=False`` reads only the description (the catalog asks for it whenever it shows the entry)."""
    if not entry.bundled:
        return None, random_weights_label()
    path = paths.onnx_models_dir() / entry.bundled
    if not path.is_file():  # shipped with every install: missing means a broken one, never random weights instead
        raise UserError(f"The trained {entry.title} weights {path} are missing: reinstall CNN Explorer.")
    try:
        with np.load(path, allow_pickle=False) as npz:
            weights = {key: npz[key] for key in npz.files if arrays and key != WEIGHTS_SOURCE_KEY}
            source = str(npz[WEIGHTS_SOURCE_KEY]) if WEIGHTS_SOURCE_KEY in npz.files else "trained on MNIST"
    except (OSError, ValueError) as exc:
        raise UserError(f"Cannot read the {entry.title} weights {path}: {exc}. Re-export them or delete the file.") \
            from exc
    return weights, source


def _current_source(entry: ZooEntry) -> str:
    try:
        return _bundled_weights(entry, arrays=False)[1]
    except UserError:
        return random_weights_label()  # build() reports the unreadable file


_DIGITS = json.dumps([str(d) for d in range(10)])
_LENET_PREPROCESS = Preprocess(size=lenet5.INPUT_SHAPE[2:], mean=(0.0,), std=(1.0,), grayscale=True)

BUILTINS: dict[str, ZooEntry] = {
    e.name: e for e in (
        ZooEntry("lenet5", lenet5.TITLE, lenet5.PAPER, lenet5.INPUT_SHAPE, lenet5.PARAMS, random_weights_label(),
                 _LENET_PREPROCESS, _DIGITS, LENET_WEIGHTS_FILE, lenet5.build),
        ZooEntry("alexnet", alexnet.TITLE, alexnet.PAPER, alexnet.INPUT_SHAPE, alexnet.PARAMS, random_weights_label(),
                 builder=alexnet.build),
        ZooEntry("vgg16", vgg16.TITLE, vgg16.PAPER, vgg16.INPUT_SHAPE, vgg16.PARAMS, random_weights_label(),
                 builder=vgg16.build),
        ZooEntry("googlenet", googlenet.TITLE, googlenet.PAPER, googlenet.INPUT_SHAPE, googlenet.PARAMS,
                 random_weights_label(), builder=googlenet.build),
        ZooEntry("resnet34", "ResNet-34", resnet.PAPER, resnet.INPUT_SHAPE, resnet.RESNET34_PARAMS,
                 random_weights_label(), builder=lambda weights: resnet.build(True, weights)),
        ZooEntry("plain34", "Plain-34 (ResNet-34 without shortcuts)", resnet.PAPER, resnet.INPUT_SHAPE,
                 resnet.PLAIN34_PARAMS, random_weights_label(),
                 builder=lambda weights: resnet.build(False, weights)),
        ZooEntry("densenet121", densenet121.TITLE, densenet121.PAPER, densenet121.INPUT_SHAPE, densenet121.PARAMS,
                 random_weights_label(), builder=densenet121.build),
    )
}
# The bundled file may be present when this module is imported: say so in the table too.
BUILTINS = {name: replace(e, weights=_current_source(e)) for name, e in BUILTINS.items()}


def weights_source(name: str) -> str:
    """Where a built-in's weights come from right now (a bundled file may appear after import)."""
    return _current_source(_entry(name))


def _entry(name: str) -> ZooEntry:
    if name not in BUILTINS:
        raise UserError(f"Unknown built-in model {name!r}; choose one of: {', '.join(BUILTINS)}.")
    return BUILTINS[name]


def build(name: str, *, seed: int = 0, progress: Progress | None = None, cancel: Cancel | None = None,
          arrays: dict[str, np.ndarray] | None = None) -> onnx.ModelProto:
    """Build a built-in model in memory: bundled trained weights when present, else He-normal from ``seed``.
    ``arrays`` receives the drawn weights for ``ActivationSession(model, weights=arrays)``; the largest are then
    only there, structure-only in the proto (``graph.fill_he_normal``)."""
    entry = _entry(name)
    weights, source = _bundled_weights(entry)
    try:
        model = entry.builder(weights)
    except ValueError as exc:
        raise UserError(f"The {entry.title} weights in {entry.bundled} do not fit: {exc}. Re-export them.") from exc
    report = None if progress is None else lambda fraction, message: progress(fraction, f"{entry.title}: {message}")
    fill_he_normal(model, seed, report, cancel, arrays)
    props = {md.WEIGHTS: source if weights is not None else random_weights_label(seed),
             md.PREPROCESS: entry.preprocess.to_json(), md.BUILDER_VERSION: str(BUILDER_VERSION),
             md.TITLE: entry.title, md.PAPER: entry.paper}
    if entry.labels:
        props[md.LABELS] = entry.labels
    helper.set_model_props(model, props)
    model.doc_string = f"{entry.title}: {entry.paper}. Built by CNN Explorer's model zoo."
    return model


# --- the on-disk cache ----------------------------------------------------------------------------------------
def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _source_fingerprint(name: str) -> str:
    """Identity of external inputs to the build (a bundled weights file), so a new file forces a rebuild."""
    bundled = _entry(name).bundled
    path = paths.onnx_models_dir() / bundled if bundled else None
    return _sha256(path) if path is not None and path.is_file() else ""


def _atomic_write_text(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, path)


def _write_sidecar(path: Path, sha256: str, fingerprint: str) -> None:
    stat = path.stat()
    _atomic_write_text(path.with_suffix(".json"), json.dumps({
        "builder_version": BUILDER_VERSION, "size": stat.st_size, "mtime_ns": stat.st_mtime_ns,
        "sha256": sha256, "source": fingerprint}))


def _cached_ok(path: Path, fingerprint: str) -> bool:
    if not path.is_file():
        return False
    try:
        meta = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        meta = None
    stat = path.stat()
    if isinstance(meta, dict):
        if (meta.get("builder_version") != BUILDER_VERSION or meta.get("source") != fingerprint
                or meta.get("size") != stat.st_size):
            return False
        if meta.get("mtime_ns") == stat.st_mtime_ns:
            return True
        digest = _sha256(path)
        if digest != meta.get("sha256"):
            return False
        _write_sidecar(path, digest, fingerprint)  # same content, touched file: remember the new mtime
        return True
    if fingerprint:
        return False  # cannot tell which weights file it was built from
    try:
        model = onnx.load(str(path))
        onnx.checker.check_model(model)
    except Exception:  # any failure to parse/check a cache file just means "rebuild it"
        return False
    props = {p.key: p.value for p in model.metadata_props}
    if props.get("cnn_explorer.builder_version") != str(BUILDER_VERSION):
        return False
    _write_sidecar(path, _sha256(path), fingerprint)
    return True


def _remove_stale(folder: Path, name: str, keep: Path) -> None:
    """Delete other builder versions of this model and temp files abandoned by crashed writers (> 1 h old)."""
    for old in folder.glob(f"{name}-v*.*"):
        if old.suffix in (".onnx", ".json") and old.stem != keep.stem:
            old.unlink(missing_ok=True)
    for tmp in folder.glob(f".{name}-v*.tmp"):
        try:
            if time.time() - tmp.stat().st_mtime > 3600:
                tmp.unlink()
        except FileNotFoundError:  # another process finished or cleaned it meanwhile
            pass


def _write_atomically(path: Path, data: bytes, progress: Progress) -> str:
    """Write ``data`` to a temp file beside ``path`` in chunks, then rename it over ``path``; returns SHA-256."""
    view = memoryview(data)
    digest = hashlib.sha256()
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            for start in range(0, len(data), CHUNK):
                chunk = view[start:start + CHUNK]
                f.write(chunk)
                digest.update(chunk)
                written = start + len(chunk)
                progress(written / len(data), f"writing {written >> 20} of {len(data) >> 20} MB")
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return digest.hexdigest()


def materialize(name: str, progress: Progress | None = None) -> Path:
    """Path of the cached .onnx for a built-in model, building and writing it first when needed."""
    entry = _entry(name)
    report: Progress = progress or (lambda fraction, message: None)
    folder = paths.cache_dir() / "models"
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UserError(f"Cannot create the model cache {folder}: {exc.strerror or exc}. "
                        "Make the folder writable.") from exc
    path = folder / f"{name}-v{BUILDER_VERSION}.onnx"
    fingerprint = _source_fingerprint(name)
    if _cached_ok(path, fingerprint):
        report(1.0, f"{entry.title}: ready ({path.name}, cached)")
        return path
    _remove_stale(folder, name, keep=path)

    report(0.0, f"{entry.title}: building")
    model = build(name, progress=lambda fraction, message: report(BUILD_SHARE * fraction, message))
    data = model.SerializeToString()
    del model  # halve peak memory for the large models
    onnx.checker.check_model(data)
    try:
        digest = _write_atomically(path, data, lambda fraction, message: report(
            BUILD_SHARE + (0.99 - BUILD_SHARE) * fraction, f"{entry.title}: {message}"))
        _write_sidecar(path, digest, fingerprint)
    except OSError as exc:
        raise UserError(f"Cannot write {entry.title} into the model cache {folder}: {exc.strerror or exc}. "
                        "Free some disk space or make the folder writable.") from exc
    report(1.0, f"{entry.title}: ready ({path.name})")
    return path
