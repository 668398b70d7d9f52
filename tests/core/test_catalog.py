"""The model catalog: entries, lookup, recognition of zoo files by checksum, describe()."""
from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import replace
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import numpy_helper
from zoo_server import entry_for, tiny_model

from explorer.core import catalog, metadata, paths, user_cache, zoo
from explorer.core.catalog import Bundled, Download, RandomInit, UserFile
from explorer.core.errors import UserError
from explorer.core.progress import Cancelled


@pytest.fixture(autouse=True)
def own_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    cache = tmp_path / "cache"
    monkeypatch.setenv("CNN_EXPLORER_CACHE_DIR", str(cache))
    return cache


# --- entries ----------------------------------------------------------------------------------------------------
def test_every_builtin_is_listed_with_its_trained_version_right_after_it():
    keys = [e.key for e in catalog.entries()]
    assert len(keys) == len(set(keys))
    assert [k for k in keys if k in zoo.BUILTINS] == list(zoo.BUILTINS)
    for arch in ("alexnet", "vgg16", "googlenet", "resnet34", "densenet121"):
        assert keys[keys.index(arch) + 1] == f"{arch}-trained"
    for entry in catalog.entries():
        if entry.key in zoo.BUILTINS:
            arch = zoo.BUILTINS[entry.key]
            assert entry.architecture == entry.key and entry.params == arch.params
            assert entry.input_shape == arch.input_shape and entry.preprocess == arch.preprocess
            assert entry.weights == (Bundled(arch.bundled) if arch.bundled else RandomInit(0))
    assert catalog.get("lenet5").weights == Bundled("lenet5_mnist.npz")
    assert catalog.get("vgg16").weights_text == "random initialisation (He-normal, seed 0)"


def test_trained_entries_are_downloads_with_imagenet_labels_that_fit():
    names = (paths.assets_dir() / "imagenet_classes.txt").read_text(encoding="utf-8").splitlines()
    assert len(names) == 1000 and names[0].startswith("tench") and names[281].startswith("tabby")
    for entry in catalog.TRAINED:
        assert isinstance(entry.weights, Download) and entry.trained and entry.badge == "trained"
        assert entry.labels == "imagenet_classes.txt" and entry.architecture in zoo.BUILTINS
        assert entry.title.endswith("(trained, ImageNet)") and entry.key == f"{entry.architecture}-trained"


def test_get_names_the_choices_for_an_unknown_key():
    with pytest.raises(UserError, match="vgg16-trained") as info:
        catalog.get("vgg17")
    assert "\n" not in str(info.value)


def test_resolve_takes_keys_zoo_stems_and_file_names():
    assert catalog.resolve("vgg16").key == "vgg16"
    assert catalog.resolve("googlenet-12").key == "googlenet-trained"
    assert catalog.resolve("resnet34-v1-7.onnx").key == "resnet34-trained"
    with pytest.raises(UserError, match="built-in"):
        catalog.resolve("no-such-model")
    with pytest.raises(UserError, match="No such file"):
        catalog.resolve("missing/model.onnx")


def test_a_download_not_yet_downloaded_says_what_to_run():
    entry = catalog.get("densenet121-trained")
    assert not catalog.is_available(entry)
    with pytest.raises(UserError, match="not downloaded yet: run cnn-explorer download densenet121-trained"):
        catalog.model_path(entry)


# --- recognition --------------------------------------------------------------------------------------------------
def test_an_unknown_file_is_a_user_file_entry(tmp_path):
    path = tmp_path / "mine.onnx"
    onnx.save(tiny_model(classes=10), path)
    entry = catalog.resolve(str(path))
    assert entry.weights == UserFile(str(path.resolve())) and entry.key == f"file:{path.resolve()}"
    assert entry.architecture is None and entry.title == "mine.onnx" and entry.badge == "weights from file"
    assert catalog.get(entry.key) == entry and catalog.is_available(entry)
    assert catalog.model_path(entry) == path.resolve()


def test_a_file_with_a_published_checksum_becomes_that_entry(tmp_path, monkeypatch):
    path = tmp_path / "copied from a usb stick.onnx"
    onnx.save(tiny_model(), path)
    fake = entry_for(path.read_bytes(), ("http://127.0.0.1:9/x",))
    monkeypatch.setattr(catalog, "TRAINED", (*catalog.TRAINED, fake))
    hashed: list[Path] = []
    real = user_cache.sha256_of
    monkeypatch.setattr(user_cache, "sha256_of", lambda p, *a: hashed.append(p) or real(p, *a))

    found = catalog.resolve(str(path))
    assert found == replace(fake, key=f"file:{path.resolve()}", path=str(path.resolve()))
    assert (found.title, found.labels, found.preprocess, found.licence) == (
        fake.title, "imagenet_classes.txt", fake.preprocess, fake.licence)
    # opened from where it lies, not from the download cache
    assert catalog.is_available(found) and catalog.model_path(found) == path.resolve()
    assert metadata.read(catalog.load(found))[metadata.TITLE] == fake.title
    assert catalog.get(found.key) == found and len(hashed) == 1  # remembered per path, size, mtime
    stamp = path.stat().st_mtime_ns + 10**9
    os.utime(path, ns=(stamp, stamp))  # same bytes, new mtime: hashed again, still recognised
    assert catalog.resolve(str(path)) == found and len(hashed) == 2
    other = tmp_path / "same size other bytes.onnx"
    data = bytearray(path.read_bytes())
    data[-1] ^= 1
    other.write_bytes(bytes(data))
    assert catalog.resolve(str(other)).weights == UserFile(str(other.resolve()))
    memo = json.loads((user_cache.paths.cache_dir() / "hashes.json").read_text())
    assert memo[str(path.resolve())]["sha256"] == fake.weights.sha256


def test_a_file_of_no_listed_size_is_not_hashed(tmp_path, monkeypatch):
    path = tmp_path / "m.onnx"
    onnx.save(tiny_model(), path)
    monkeypatch.setattr(user_cache, "sha256_of", lambda *a: pytest.fail("hashed"))
    assert isinstance(catalog.resolve(path).weights, UserFile)


def test_hashing_reports_progress_and_can_be_cancelled(tmp_path, monkeypatch):
    path = tmp_path / "big.bin"
    path.write_bytes(bytes(3 * user_cache.HASH_CHUNK + 5))
    calls: list[float] = []
    assert user_cache.file_sha256(path, lambda f, m: calls.append(f)) == hashlib.sha256(path.read_bytes()).hexdigest()
    total = 3 * user_cache.HASH_CHUNK + 5
    assert calls == [user_cache.HASH_CHUNK / total, 2 * user_cache.HASH_CHUNK / total,
                     3 * user_cache.HASH_CHUNK / total, 1.0]
    path.write_bytes(bytes(2 * user_cache.HASH_CHUNK))
    with pytest.raises(Cancelled, match="cancelled"):
        user_cache.file_sha256(path, cancel=lambda: True)


# --- loading and describing -----------------------------------------------------------------------------------------
def test_a_downloaded_file_loads_with_the_catalog_facts(tmp_path, monkeypatch):
    source = tmp_path / "tiny.onnx"
    onnx.save(tiny_model(), source)
    fake = entry_for(source.read_bytes(), ("http://127.0.0.1:9/x",))
    monkeypatch.setattr(catalog, "TRAINED", (*catalog.TRAINED, fake))
    assert not catalog.is_available(fake)
    cached = catalog.downloaded_path(fake)
    cached.parent.mkdir(parents=True)
    cached.write_bytes(source.read_bytes())
    assert catalog.is_available(fake) and catalog.model_path(fake) == cached
    model = catalog.load(fake)
    meta = metadata.read(model)
    assert meta[metadata.TITLE] == fake.title and meta[metadata.LABELS] == "imagenet_classes.txt"
    assert json.loads(meta[metadata.PREPROCESS])["channel_order"] == "BGR"
    facts = catalog.describe(fake, model)
    assert facts.badge == "trained" and facts.labels is not None and facts.labels[281].startswith("tabby")
    assert list(facts.filters) == ["conv"] and facts.filters["conv"].rgb
    assert "published accuracy: top-1 67.78 %, top-5 88.34 %" in facts.facts
    assert f"preprocessing: {catalog.preprocess_text(fake.preprocess)}" in facts.facts
    assert any("BSD-3-Clause" in f for f in facts.facts)


def test_the_preprocessing_is_said_in_one_line():
    assert catalog.preprocess_text(catalog.get("googlenet-trained").preprocess) == (
        "BGR, resized to 224×224, 0–255, minus (103.939, 116.779, 123.68), divided by (1, 1, 1)")
    assert catalog.preprocess_text(catalog.get("resnet34-trained").preprocess) == (
        "RGB, shorter side to 224, centre crop 224×224, 0–1, minus (0.485, 0.456, 0.406), "
        "divided by (0.229, 0.224, 0.225)")
    assert catalog.preprocess_text(catalog.get("lenet5").preprocess) == (
        "grayscale, resized to 32×32, 0–1, minus (0), divided by (1)")


def test_describe_gives_labels_only_to_trained_weights_that_fit(tmp_path):
    lenet = catalog.get("lenet5")
    facts = catalog.describe(lenet, catalog.load(lenet))
    assert facts.title == "LeNet-5"
    if lenet.trained:  # the checkout ships the trained weights
        assert facts.badge == "trained" and facts.labels == [str(d) for d in range(10)]
    vgg = catalog.get("vgg16")
    random_model = tiny_model()
    metadata.update(random_model, {metadata.LABELS: "imagenet_classes.txt"})
    facts = catalog.describe(vgg, random_model)
    assert facts.badge == "random initialisation" and facts.labels is None
    assert facts.weights_text == "random initialisation (He-normal, seed 0)"
    # a user's file: its own metadata speaks; labels that do not fit the output are dropped
    path = tmp_path / "exported.onnx"
    model = tiny_model(classes=10)
    metadata.update(model, {metadata.TITLE: "My net", metadata.WEIGHTS: "trained on my photos",
                            metadata.LABELS: json.dumps(["a", "b"])})
    onnx.save(model, path)
    facts = catalog.describe(catalog.resolve(path), model)
    assert (facts.title, facts.weights_text, facts.badge, facts.labels) == (
        "My net", "trained on my photos", "trained", None)  # the file says so; two labels for ten outputs
    metadata.update(model, {metadata.WEIGHTS: "random initialisation (He-normal, seed 3)",
                            metadata.LABELS: json.dumps(list("abcdefghij"))})
    facts = catalog.describe(catalog.resolve(path), model)
    assert facts.badge == "random initialisation" and facts.labels is None


def test_no_module_outside_the_entry_definitions_tests_a_model_name():
    root = Path(catalog.__file__).parents[1]
    offenders = [str(p.relative_to(root)) for p in root.rglob("*.py")
                 if any(f'{op} "{name}"' in p.read_text(encoding="utf-8")
                        for name in zoo.BUILTINS for op in ("==", "!="))]
    assert offenders == []


# --- the real catalog against docs/model-zoo.md ----------------------------------------------------------------------
DOC = Path(__file__).parents[2] / "docs" / "model-zoo.md"


def doc_tables() -> list[list[list[str]]]:
    """Every Markdown table of the document as rows of cells (header and separator rows dropped)."""
    tables: list[list[list[str]]] = []
    current: list[list[str]] | None = None
    for line in DOC.read_text(encoding="utf-8").splitlines():
        if not line.startswith("|"):
            current = None
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if current is None:
            current = []
            tables.append(current)  # this first row is the header
        elif not set("".join(cells)) <= set("-: "):
            current.append(cells)
    return tables


def doc_url_templates() -> list[str]:
    return [m.group(1) for m in re.finditer(r"^\d\. `(https://[^`]+)`", DOC.read_text(encoding="utf-8"), re.M)]


def test_the_trained_entries_equal_the_documented_zoo_files():
    files_table, _extras, facts_table = doc_tables()
    templates = doc_url_templates()
    assert len(templates) == 3
    assert len(files_table) == len(catalog.TRAINED) == 5
    by_file = {e.weights.file: e for e in catalog.TRAINED}
    for (_arch, file_cell, folder_cell, sha, size), facts in zip(files_table, facts_table):
        file = file_cell.split()[0]
        folder = folder_cell.strip("`")
        entry = by_file[file]
        assert facts[0] == file.removesuffix(".onnx")
        assert entry.weights.sha256 == sha and entry.weights.size == int(size.replace(",", ""))
        expected_urls = tuple(t.replace("<dir>", folder).replace("<file>", file)
                              .replace("<stem>", file.removesuffix(".onnx")) for t in templates)
        assert entry.weights.urls == expected_urls
        numbers = [float(x) for x in re.findall(r"\d+\.\d+", facts[3])]
        top5 = numbers[1] if "/" in facts[3] else None
        assert entry.accuracy == (numbers[0], top5)
        assert entry.licence == facts[4]
        assert entry.input_shape == (1, 3, 224, 224) and "×3×224×224" in facts[1]


def test_the_documented_preprocessing_is_the_catalogs():
    _files, _extras, facts_table = doc_tables()
    recipes = {row[0]: row[2] for row in facts_table}
    by_stem = {e.weights.file.removesuffix(".onnx"): e.preprocess for e in catalog.TRAINED}
    caffe = by_stem["bvlcalexnet-12"]
    r, g, b = (float(re.search(fr"{c} (\d+\.\d+)", recipes["bvlcalexnet-12"]).group(1)) for c in "RGB")
    assert caffe.channel_order == "BGR" and caffe.mean == (b, g, r) and caffe.scale == 1.0 and caffe.std == (1, 1, 1)
    assert recipes["googlenet-12"].startswith("as AlexNet") and by_stem["googlenet-12"] == caffe
    torchvision = by_stem["vgg16-7"]
    mean, std = (tuple(float(x) for x in t.split(", "))
                 for t in re.findall(r"\(([\d., ]+)\)", recipes["vgg16-7"]))
    assert (torchvision.mean, torchvision.std, torchvision.channel_order) == (mean, std, "RGB")
    assert torchvision.scale == pytest.approx(1 / 255) and torchvision.resize == "center_crop"
    assert recipes["resnet34-v1-7"] == "as VGG-16" and by_stem["resnet34-v1-7"] == torchvision
    densenet = by_stem["densenet-12"]  # the Caffe port's recipe the document names: BGR, (x - mean) * 0.017
    x = np.array([[[10.0, 200.0, 255.0]]], np.float32)  # one RGB pixel
    bgr = x[..., ::-1]
    expected = (bgr - np.array([103.94, 116.78, 123.68], np.float32)) * 0.017
    got = (bgr * densenet.scale - np.array(densenet.mean, np.float32)) / np.array(densenet.std, np.float32)
    assert densenet.channel_order == "BGR" and np.allclose(got, expected, rtol=1e-6)


def test_opening_every_builtin_costs_no_cache_space(own_cache, monkeypatch):
    """Built-ins are determined by their seed: opened in memory, never written (the goal was <= 50 MB in all)."""
    from explorer.core import models

    drawn: list[str] = []
    # the weights' values do not matter here, only where the bytes go: skip drawing 250 M numbers
    monkeypatch.setattr(zoo, "fill_he_normal", lambda model, seed, progress, cancel, arrays: drawn.append(model.graph.name))
    for entry in catalog.entries():
        if entry.key in zoo.BUILTINS:
            model = models.open_model(entry.key)
            assert metadata.read(model)[metadata.TITLE] == entry.title
    assert drawn == list(zoo.BUILTINS)
    assert sum(item.size for item in user_cache.listing()) == 0
    assert not own_cache.exists() or not any(p.is_file() for p in own_cache.rglob("*"))


def test_load_hands_a_builtins_weights_over_as_arrays_and_a_files_not(own_cache):
    """``arrays`` receives exactly the drawn (He-normal) tensors of a built-in, equal to the proto's own values
    where the proto keeps them; a model read from a file fills nothing."""
    arrays: dict[str, np.ndarray] = {}
    model = catalog.load(catalog.get("googlenet"), arrays=arrays)
    kept = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer if t.raw_data}
    assert len(arrays) == 58 and all(name.endswith(".weight") for name in arrays)
    assert all(np.array_equal(kept[name], value) for name, value in arrays.items() if name in kept)
    from_file: dict[str, np.ndarray] = {}
    catalog.load(catalog.get("mlp500"), arrays=from_file)
    assert from_file == {}
