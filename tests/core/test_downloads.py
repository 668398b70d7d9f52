"""Downloads against servers on 127.0.0.1: every way a download can end, and nothing partial left behind."""
from __future__ import annotations

import itertools
import socket
from collections import namedtuple
from pathlib import Path

import pytest

from explorer.core import catalog, downloads, user_cache
from explorer.core.errors import UserError
from explorer.core.progress import Cancelled
from zoo_server import FILE, entry_for, serving, tiny_model_bytes

DATA = tiny_model_bytes()


@pytest.fixture(autouse=True)
def own_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    cache = tmp_path / "cache"
    monkeypatch.setenv("CNN_EXPLORER_CACHE_DIR", str(cache))
    monkeypatch.delenv(downloads.MIRROR_ENV, raising=False)
    for proxy in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy",
                  "NO_PROXY", "no_proxy"):
        monkeypatch.delenv(proxy, raising=False)  # 127.0.0.1 must be reached directly
    return cache


def leftovers() -> list[str]:
    folder = user_cache.downloads_dir()
    return sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_good_download_lands_in_the_cache_with_progress():
    calls: list[tuple[float, str]] = []
    with serving({FILE: DATA}) as server:
        entry = entry_for(DATA, (f"{server.url}/ok/{FILE}",))
        path = downloads.download(entry, progress=lambda f, m: calls.append((f, m)))
    assert path == user_cache.downloads_dir() / FILE and path.read_bytes() == DATA
    assert leftovers() == [FILE]
    fractions = [f for f, _ in calls]
    assert fractions[-1] == 1.0 and all(a < b for a, b in zip(fractions, fractions[1:]))
    last = calls[-1][1]
    assert f"{len(DATA) / 1e6:.1f} of {len(DATA) / 1e6:.1f} MB" in last and "MB/s" in last and "left" in last
    # available now, opened without hashing again, recognised by path
    assert catalog.is_available(entry)
    assert user_cache.file_sha256(path) == entry.weights.sha256


def test_an_existing_download_is_not_fetched_again():
    with serving({FILE: DATA}) as server:
        entry = entry_for(DATA, (f"{server.url}/ok/{FILE}",))
        downloads.download(entry)
        downloads.download(entry)
    assert server.requests == [f"/ok/{FILE}"]


def test_a_wrong_checksum_is_refused_and_deleted():
    with serving({FILE: DATA}) as server:
        entry = entry_for(DATA, (f"{server.url}/wrong/{FILE}",))
        with pytest.raises(UserError) as info:
            downloads.download(entry)
    message = str(info.value)
    assert "is not the published one" in message and "127.0.0.1" in message and "nothing was kept" in message.lower()
    assert leftovers() == [] and not catalog.is_available(entry)


def test_a_connection_dropped_mid_file_leaves_nothing():
    with serving({FILE: DATA}) as server:
        entry = entry_for(DATA, (f"{server.url}/drop/{FILE}",))
        with pytest.raises(UserError, match="dropped the connection after") as info:
            downloads.download(entry)
    assert "try again" in str(info.value) and leftovers() == []


def test_404_on_the_first_mirror_then_the_second_one():
    with serving({FILE: DATA}) as server:
        entry = entry_for(DATA, (f"{server.url}/404/{FILE}", f"{server.url}/ok/{FILE}"))
        path = downloads.download(entry)
    assert path.read_bytes() == DATA and server.requests == [f"/404/{FILE}", f"/ok/{FILE}"]


def test_404_everywhere_says_where_and_what_to_do():
    with serving({FILE: DATA}) as server:
        entry = entry_for(DATA, (f"{server.url}/404/{FILE}", f"{server.url}/404/{FILE}"))
        with pytest.raises(UserError) as info:
            downloads.download(entry)
    message = str(info.value)
    assert len(server.requests) == 2  # both tried; the same reason is said once
    assert message.count("answered HTTP 404") == 1 and downloads.MIRROR_ENV in message
    assert "\n" not in message and leftovers() == []


def test_a_mirror_folder_from_the_environment_comes_first(tmp_path, monkeypatch):
    folder = tmp_path / "classroom share"
    folder.mkdir()
    (folder / FILE).write_bytes(DATA)
    monkeypatch.setenv(downloads.MIRROR_ENV, str(folder))
    calls: list[float] = []
    with serving({FILE: DATA}) as server:
        entry = entry_for(DATA, (f"{server.url}/ok/{FILE}",))
        assert downloads.sources(entry)[0] == str(folder / FILE)
        path = downloads.download(entry, progress=lambda f, m: calls.append(f))
    assert path.read_bytes() == DATA and server.requests == [] and calls[-1] == 1.0


def test_a_mirror_argument_precedes_the_environment_and_may_be_a_url(tmp_path, monkeypatch):
    monkeypatch.setenv(downloads.MIRROR_ENV, str(tmp_path / "empty"))
    with serving({FILE: DATA}) as server:
        entry = entry_for(DATA, ("http://127.0.0.1:9/never",))
        assert downloads.sources(entry, f"{server.url}/ok/")[:2] == [f"{server.url}/ok/{FILE}",
                                                                     str(tmp_path / "empty" / FILE)]
        assert downloads.download(entry, mirror=f"{server.url}/ok").read_bytes() == DATA


def test_a_mirror_folder_without_the_file_falls_through_to_the_published_urls(tmp_path, monkeypatch):
    monkeypatch.setenv(downloads.MIRROR_ENV, str(tmp_path))
    with serving({FILE: DATA}) as server:
        entry = entry_for(DATA, (f"{server.url}/ok/{FILE}",))
        assert downloads.download(entry).read_bytes() == DATA


def test_cancel_during_the_download_stops_promptly_and_keeps_nothing():
    calls: list[float] = []
    asked = itertools.count()
    with serving({FILE: DATA}) as server:
        entry = entry_for(DATA, (f"{server.url}/ok/{FILE}", f"{server.url}/ok/{FILE}"))
        with pytest.raises(Cancelled, match="cancelled; nothing was kept"):
            # asked once before the first mirror, then before every chunk: stop before the fourth chunk
            downloads.download(entry, progress=lambda f, m: calls.append(f), cancel=lambda: next(asked) == 4)
    assert calls and calls[-1] <= 3 * downloads.CHUNK / len(DATA)  # stopped mid-file
    assert len(server.requests) == 1 and leftovers() == []  # and no other mirror was tried


def test_no_server_at_all_says_check_the_network():
    entry = entry_for(DATA, (f"http://127.0.0.1:{free_port()}/{FILE}",))
    with pytest.raises(UserError) as info:
        downloads.download(entry)
    message = str(info.value)
    assert "could not be reached" in message and "HTTPS_PROXY" in message and leftovers() == []


def test_proxies_from_the_environment_are_used(monkeypatch):
    """The test server plays the proxy: the request for an unresolvable host reaches it as an absolute URL."""
    with serving({FILE: DATA}) as proxy:
        monkeypatch.setenv("HTTP_PROXY", proxy.url)
        monkeypatch.setenv("NO_PROXY", "")
        entry = entry_for(DATA, (f"http://zoo.invalid/ok/{FILE}",))
        assert downloads.download(entry).read_bytes() == DATA
    assert proxy.requests == [f"http://zoo.invalid/ok/{FILE}"]


def test_too_little_free_space_is_refused_before_downloading(monkeypatch):
    usage = namedtuple("usage", "total used free")
    monkeypatch.setattr(downloads.shutil, "disk_usage", lambda path: usage(10**9, 10**9 - 1000, 1000))
    with serving({FILE: DATA}) as server:
        entry = entry_for(DATA, (f"{server.url}/ok/{FILE}",))
        with pytest.raises(UserError, match="Not enough free disk space"):
            downloads.download(entry)
    assert server.requests == [] and leftovers() == []


def test_a_disk_that_fills_up_mid_file_leaves_nothing(monkeypatch, tmp_path):
    folder = tmp_path / "share"
    folder.mkdir()
    (folder / FILE).write_bytes(DATA)
    real_open = open

    class FullFile:
        def __init__(self, file):
            self.file, self.written = file, 0

        def write(self, data):
            self.written += len(data)
            if self.written > downloads.CHUNK:
                raise OSError(28, "No space left on device")
            return self.file.write(data)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.file.close()

    def fake_open(path, mode="r", *args, **kwargs):
        handle = real_open(path, mode, *args, **kwargs)
        return FullFile(handle) if "w" in mode else handle

    monkeypatch.setattr("builtins.open", fake_open)
    entry = entry_for(DATA, ("http://127.0.0.1:9/never",))
    with pytest.raises(UserError, match="No space left on device") as info:
        downloads.download(entry, mirror=str(folder))
    monkeypatch.undo()
    assert "Free some disk space" in str(info.value) and leftovers() == []


def test_built_in_models_need_no_download():
    with pytest.raises(UserError, match="needs no download"):
        downloads.download(catalog.get("vgg16"))
