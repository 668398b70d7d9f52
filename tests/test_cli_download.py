"""cnn-explorer download / cache / models against a server on 127.0.0.1 and a test catalog entry."""
from __future__ import annotations

from pathlib import Path

import pytest
from zoo_server import FILE, entry_for, serving, tiny_model_bytes

from explorer.cli import main
from explorer.core import catalog, downloads, user_cache

DATA = tiny_model_bytes()


@pytest.fixture(autouse=True)
def own_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("CNN_EXPLORER_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv(downloads.MIRROR_ENV, raising=False)
    for proxy in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(proxy, raising=False)
    return tmp_path / "cache"


def add_to_catalog(monkeypatch: pytest.MonkeyPatch, urls: tuple[str, ...]) -> catalog.ModelEntry:
    entry = entry_for(DATA, urls)
    monkeypatch.setattr(catalog, "TRAINED", (*catalog.TRAINED, entry))
    return entry


def one_error_line(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


def test_download_by_key_then_by_stem_says_already_there(monkeypatch, capsys):
    with serving({FILE: DATA}) as server:
        entry = add_to_catalog(monkeypatch, (f"{server.url}/404/{FILE}", f"{server.url}/ok/{FILE}"))
        assert main(["download", "tiny-trained"]) == 0
        out = capsys.readouterr().out
        assert "sha256 verified" in out and str(catalog.downloaded_path(entry)) in out
        assert main(["download", "tiny-12"]) == 0
    assert "already here" in capsys.readouterr().out
    assert server.requests == [f"/404/{FILE}", f"/ok/{FILE}"]
    assert catalog.downloaded_path(entry).read_bytes() == DATA


def test_download_from_a_mirror_argument(monkeypatch, capsys, tmp_path):
    share = tmp_path / "share"
    share.mkdir()
    (share / FILE).write_bytes(DATA)
    entry = add_to_catalog(monkeypatch, ("http://127.0.0.1:9/never",))
    assert main(["download", "tiny-12", "--mirror", str(share)]) == 0
    assert catalog.is_available(entry)


@pytest.mark.parametrize("mode, words", [("wrong", "is not the published one"),
                                         ("drop", "dropped the connection"),
                                         ("404", "answered HTTP 404")])
def test_download_failures_exit_2_with_one_line_and_leave_nothing(monkeypatch, capsys, mode, words):
    with serving({FILE: DATA}) as server:
        add_to_catalog(monkeypatch, (f"{server.url}/{mode}/{FILE}",))
        assert main(["download", "tiny-trained"]) == 2
    assert words in one_error_line(capsys)
    assert not any(user_cache.downloads_dir().iterdir())


def test_download_without_any_server(monkeypatch, capsys):
    add_to_catalog(monkeypatch, ("http://127.0.0.1:9/none",))
    assert main(["download", "tiny-trained"]) == 2
    assert "could not be reached" in one_error_line(capsys)


def test_download_of_a_builtin_points_at_its_trained_version(capsys):
    assert main(["download", "resnet34"]) == 2
    assert "resnet34-trained" in one_error_line(capsys)


def test_models_lists_the_trained_versions_with_size_and_licence(capsys):
    assert main(["models"]) == 0
    out = capsys.readouterr().out
    for entry in catalog.TRAINED:
        line = next(line for line in out.splitlines() if line.startswith(f"{entry.key} "))
        assert f"download: {entry.weights.size / 1e6:.0f} MB, {entry.licence}" in line
    assert "mlp500" in out


def test_cache_lists_and_clears_by_catalog_name(monkeypatch, capsys, tmp_path):
    share = tmp_path / "share"
    share.mkdir()
    (share / FILE).write_bytes(DATA)
    add_to_catalog(monkeypatch, ("http://127.0.0.1:9/never",))
    assert main(["download", "tiny-trained", "--mirror", str(share)]) == 0
    assert main(["export", "lenet5", "--out", str(tmp_path / "lenet.onnx")]) == 0  # writes lenet5 into the cache
    capsys.readouterr()
    assert main(["cache"]) == 0
    out = capsys.readouterr().out
    sizes = {item.name: item.size for item in user_cache.listing()}
    assert set(sizes) == {"tiny-12", "lenet5", "hashes"} and sizes["tiny-12"] == len(DATA)
    assert "tiny-12" in out and f"{sum(sizes.values()) / 1e6:.1f} MB" in out.splitlines()[-1]
    assert main(["cache", "--clear", "tiny-trained"]) == 0
    assert "tiny-12" in capsys.readouterr().out and not catalog.is_available(catalog.get("tiny-trained"))
    assert main(["cache", "--clear", "tiny-trained"]) == 2
    assert "not in the cache" in one_error_line(capsys)
    assert main(["cache", "--clear"]) == 0
    assert user_cache.listing() == []
