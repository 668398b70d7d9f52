"""A downloaded zoo file with the paper's structure is shown under the paper's layer names, the file's names on
hover. Stand-in: the onnx package's structure-only copy of the zoo's BVLC AlexNet (nodes n0, n1…) served as the
trained AlexNet from the cache. Not the real zoo file (no internet here)."""
from __future__ import annotations

import dataclasses
import hashlib
from pathlib import Path

import onnx
from PySide6.QtCore import Qt

from explorer.core import catalog, samples, user_cache

LIGHT_ALEXNET = Path(onnx.__file__).parent / "backend" / "test" / "data" / "light" / "light_bvlc_alexnet.onnx"


def test_layers_get_the_papers_names_and_keep_the_files_on_hover(qtbot, explorer_view, tmp_path, monkeypatch):
    monkeypatch.setenv("CNN_EXPLORER_CACHE_DIR", str(tmp_path / "cache"))
    data = LIGHT_ALEXNET.read_bytes()
    entry = next(e for e in catalog.TRAINED if e.architecture == "alexnet")
    entry = dataclasses.replace(entry, weights=catalog.Download("light-alexnet.onnx", hashlib.sha256(data).hexdigest(),
                                                                len(data), ()))
    user_cache.downloads_dir().mkdir(parents=True)
    (user_cache.downloads_dir() / "light-alexnet.onnx").write_bytes(data)
    listed = [entry if e.key == entry.key else e for e in catalog.entries()]
    monkeypatch.setattr(catalog, "entries", lambda: listed)

    explorer_view.state.image.set(samples.load_sample("chelsea"))
    explorer_view.select_model(entry.key)
    qtbot.waitUntil(explorer_view.has_results, timeout=60_000)
    rows = explorer_view.rows
    assert [r.name for r in rows[1:5]] == ["conv1", "conv1/relu", "norm1", "pool1"]
    assert [r.file_name for r in rows[1:5]] == ["n0", "n1", "n2", "n3"]
    model = explorer_view.table.model()
    assert model.data(model.index(1, 1)) == "conv1"
    assert "in the file: n0" in model.data(model.index(1, 1), Qt.ItemDataRole.ToolTipRole)
    # activations are still found under the file's tensors
    explorer_view.select_row(1)
    assert explorer_view.activations.values is not None and explorer_view.activations.values.shape[0] == 96
    Path("/tmp/shots").mkdir(exist_ok=True)
    assert explorer_view.grab().save("/tmp/shots/explorer_paper_names.png")
