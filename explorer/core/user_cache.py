"""The user cache (``paths.cache_dir()``): what is in it, deleting entries, and remembered file hashes.

Layout: ``models/`` holds built-ins written by ``zoo.materialize`` (``<name>-v<N>.onnx`` + ``.json`` sidecar),
``downloads/`` the zoo files under their own names, ``hashes.json`` the SHA-256 of files the user opened,
keyed by path and valid while size and modification time are unchanged.
"""
from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from explorer.core import paths
from explorer.core.progress import Cancel, Progress, check

HASH_CHUNK = 8 << 20  # bytes hashed between progress reports and cancel checks
HASHES_FILE = "hashes.json"


def downloads_dir() -> Path:
    return paths.cache_dir() / "downloads"


def models_dir() -> Path:
    return paths.cache_dir() / "models"


def write_text_atomically(path: Path, text: str) -> None:
    """Write via a temp file and a rename, so a reader never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def sha256_of(path: Path, progress: Progress | None = None, cancel: Cancel | None = None) -> str:
    """SHA-256 of a file in chunks, with progress and cancellation (hashlib releases the GIL on large chunks)."""
    digest = hashlib.sha256()
    total = max(path.stat().st_size, 1)
    done = 0
    with open(path, "rb") as f:
        while chunk := f.read(HASH_CHUNK):
            check(cancel, f"Checking {path.name}")
            digest.update(chunk)
            done += len(chunk)
            if progress is not None:
                progress(done / total, f"checking {path.name}: {done >> 20} of {total >> 20} MB")
    return digest.hexdigest()


def _load_hashes() -> dict[str, dict]:
    try:
        data = json.loads((paths.cache_dir() / HASHES_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}  # missing or damaged: hashes are only a shortcut
    return data if isinstance(data, dict) else {}


def _remember(hashes: dict[str, dict], path: Path, digest: str) -> None:
    stat = path.stat()
    hashes[str(path)] = {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns, "sha256": digest}
    try:
        write_text_atomically(paths.cache_dir() / HASHES_FILE, json.dumps(hashes, indent=0))
    except OSError:
        pass  # a read-only cache only costs hashing again next time


def remember_sha256(path: Path, digest: str) -> None:
    """Record a hash already known (a verified download), so opening the file later needs no hashing."""
    _remember(_load_hashes(), Path(path).resolve(), digest)


def file_sha256(path: str | Path, progress: Progress | None = None, cancel: Cancel | None = None) -> str:
    """SHA-256 of a file, remembered per (path, size, mtime) so a file is hashed once until it changes."""
    path = Path(path).resolve()
    stat = path.stat()
    key = str(path)
    hashes = _load_hashes()
    known = hashes.get(key)
    if isinstance(known, dict) and known.get("size") == stat.st_size and known.get("mtime_ns") == stat.st_mtime_ns:
        return str(known["sha256"])
    digest = sha256_of(path, progress, cancel)
    _remember(_load_hashes(), path, digest)  # reloaded: another process may have added entries meanwhile
    return digest


@dataclass(frozen=True)
class CacheItem:
    name: str                # built-in name ("vgg16"), zoo file stem ("googlenet-12"), or what else it is
    kind: str                # "built-in" | "download" | "unfinished" | "index"
    files: tuple[Path, ...]
    size: int                # bytes


def _group(files: Iterable[Path], key) -> dict[str, list[Path]]:
    groups: dict[str, list[Path]] = {}
    for path in sorted(files):
        groups.setdefault(key(path), []).append(path)
    return groups


def listing() -> list[CacheItem]:
    """What the user cache holds, one item per model (a built-in's file and sidecar count as one)."""
    items: list[CacheItem] = []

    def add(name: str, kind: str, files: list[Path]) -> None:
        items.append(CacheItem(name, kind, tuple(files), sum(f.stat().st_size for f in files)))

    models = [p for p in models_dir().glob("*") if p.is_file()] if models_dir().is_dir() else []
    for name, files in _group([p for p in models if not p.name.startswith(".")],
                              lambda p: p.stem.rsplit("-v", 1)[0]).items():
        add(name, "built-in", files)
    downloads = sorted(p for p in downloads_dir().glob("*") if p.is_file()) if downloads_dir().is_dir() else []
    for path in downloads:
        if path.suffix == ".onnx":
            add(path.stem, "download", [path])
    # temp files of writers that were killed (pooch's tmp*, the zoo's .<name>.tmp)
    unfinished = [p for p in downloads if p.suffix != ".onnx"] + [p for p in models if p.name.startswith(".")]
    if unfinished:
        add("unfinished", "unfinished", unfinished)
    index = paths.cache_dir() / HASHES_FILE
    if index.is_file():
        add("hashes", "index", [index])
    return items


def clear(names: Iterable[str] | None = None) -> list[CacheItem]:
    """Delete these items (all when names is None); returns what was deleted."""
    wanted = None if names is None else set(names)
    removed = [item for item in listing() if wanted is None or item.name in wanted]
    for item in removed:
        for path in item.files:
            path.unlink(missing_ok=True)
    return removed
