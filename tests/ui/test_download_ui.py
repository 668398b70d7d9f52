"""Trained weights on demand in the Model Explorer: a missing zoo file is offered for download, the download runs
on the task runner with progress from a server on 127.0.0.1, and the model then loads; cancel keeps nothing."""
from __future__ import annotations

import dataclasses
import functools
import hashlib
import http.server
import threading
import onnx
import pytest

from explorer.core import catalog, user_cache
from small_models import tiny_rgb


@pytest.fixture
def served(tmp_path, monkeypatch):
    """A zoo-like entry whose file a local HTTP server serves; the user cache is empty."""
    monkeypatch.setenv("CNN_EXPLORER_CACHE_DIR", str(tmp_path / "cache"))
    root = tmp_path / "www"
    root.mkdir()
    model = tiny_rgb(root / "tiny-12.onnx")
    data = model.read_bytes()
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    handler.log_message = lambda *args: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    template = catalog.get("vgg16-trained")
    entry = dataclasses.replace(
        template, key="tiny-trained", title="Tiny (trained)", architecture=None, params=None, input_shape=None,
        preprocess=None, labels=None,
        weights=catalog.Download("tiny-12.onnx", hashlib.sha256(data).hexdigest(), len(data),
                                 (f"http://127.0.0.1:{server.server_port}/tiny-12.onnx",)))
    listed = catalog.entries()
    monkeypatch.setattr(catalog, "entries", lambda: [*listed, entry])
    yield entry
    server.shutdown()
    onnx.checker.check_model(str(model))


def test_a_missing_zoo_file_is_offered_downloaded_and_loaded(qtbot, view, served):
    view.select_model(served.key)
    assert view.picker.download_button.isVisible()
    assert "not on this machine yet" in view.summary.text()
    view.picker.download_button.click()
    qtbot.waitUntil(lambda: view.state.explorer.shown_model() is not None, timeout=30_000)
    assert not view.picker.download_button.isVisible() and not view.picker.cancel_button.isVisible()
    cached = user_cache.downloads_dir() / "tiny-12.onnx"
    assert hashlib.sha256(cached.read_bytes()).hexdigest() == served.weights.sha256
    assert view.state.explorer.shown_model().facts.badge == "trained"


def test_a_wrong_checksum_is_refused_in_one_line_and_nothing_is_kept(qtbot, view, served, monkeypatch):
    bad = dataclasses.replace(served, weights=dataclasses.replace(served.weights, sha256="0" * 64))
    monkeypatch.setattr(catalog, "entries", lambda: [bad])
    view.select_model(bad.key)
    view.download()
    qtbot.waitUntil(lambda: not view.runner.is_busy("download"), timeout=30_000)
    message = view.state.status.text
    assert view.state.status.error and "\n" not in message and "published" in message
    assert not any(user_cache.downloads_dir().glob("*"))  # no partial or temporary file left behind
    assert view.picker.download_button.isVisible()
