"""The user cache: one item per model, unfinished temp files, deleting by name or everything."""
from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from explorer.core import user_cache


@pytest.fixture(autouse=True)
def own_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("CNN_EXPLORER_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"


def write(path: Path, size: int) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(bytes(size))
    return path


def test_listing_groups_files_per_model_and_clear_deletes_by_name(own_cache):
    write(own_cache / "models" / "vgg16-v1.onnx", 1000)
    write(own_cache / "models" / "vgg16-v1.json", 10)
    write(own_cache / "models" / ".vgg16-v1.onnx.abc.tmp", 7)       # a killed zoo writer
    write(own_cache / "downloads" / "googlenet-12.onnx", 300)
    write(own_cache / "downloads" / "tmpk2j4h1", 5)                  # a killed download (pooch's temp name)
    write(own_cache / "hashes.json", 2)
    items = {i.name: (i.kind, i.size, len(i.files)) for i in user_cache.listing()}
    assert items == {"vgg16": ("built-in", 1010, 2), "googlenet-12": ("download", 300, 1),
                     "unfinished": ("unfinished", 12, 2), "hashes": ("index", 2, 1)}
    removed = user_cache.clear(["vgg16", "unfinished"])
    assert sorted(i.name for i in removed) == ["unfinished", "vgg16"]
    assert not any((own_cache / "models").iterdir())
    assert [p.name for p in (own_cache / "downloads").iterdir()] == ["googlenet-12.onnx"]
    assert user_cache.clear(["no such model"]) == []
    user_cache.clear()
    assert user_cache.listing() == []


def test_a_damaged_hash_index_only_costs_hashing_again(own_cache, tmp_path):
    data = write(tmp_path / "m.onnx", 1234)
    write(own_cache / "hashes.json", 0).write_text("{not json", encoding="utf-8")
    assert user_cache.file_sha256(data) == hashlib.sha256(bytes(1234)).hexdigest()
    assert str(data.resolve()) in (own_cache / "hashes.json").read_text(encoding="utf-8")
