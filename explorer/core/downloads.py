"""Downloading a catalog entry's published file: mirrors in order, hash-checked by pooch, nothing partial kept.

pooch streams each attempt into a temporary file beside the target and moves it into the user cache only when
its sha256 matches; on any failure the temporary file is removed. Around it this module adds what a classroom
needs: the user's own mirror first (the ``mirror`` argument, then ``CNN_EXPLORER_MIRROR``; a folder or a URL
holding the files under their zoo names), a free-space check, progress with bytes, rate and time left,
cancellation between chunks, and one line per failure that says what to do. Proxies: requests (under pooch)
reads HTTP_PROXY / HTTPS_PROXY / NO_PROXY from the environment.
"""
from __future__ import annotations

import logging
import os
import shutil
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlparse

import pooch

# The packaged app leaves out charset_normalizer (build_app.spec): requests then warns on import that it cannot
# guess text encodings, which a download of binary files never needs.
warnings.filterwarnings("ignore", message="Unable to find acceptable character detection dependency")
import requests  # noqa: E402 - after the filter above

from explorer.core import catalog, user_cache
from explorer.core.catalog import Download, ModelEntry
from explorer.core.errors import UserError
from explorer.core.progress import Cancel, Progress, check

MIRROR_ENV = "CNN_EXPLORER_MIRROR"
CHUNK = 64 << 10           # bytes per read: cancellation is noticed within one (0.6 s even at 100 kB/s)
REPORT_EVERY = 0.1         # seconds between progress reports (and always the last one)
TIMEOUT = (10, 30)         # seconds to connect, and to wait for the next bytes
SPACE_MARGIN = 64 << 20    # keep this much free beyond the file itself

pooch.get_logger().setLevel(logging.WARNING)  # its "Downloading ... to ..." lines would break the CLI's one line


@dataclass
class _Meter:
    """A tqdm-like object pooch's HTTPDownloader feeds; reports bytes, rate and time left, and cancels."""

    name: str
    size: int
    progress: Progress | None
    cancel: Cancel | None
    total: int = 0   # set by pooch from Content-Length
    done: int = 0
    started: float = 0.0
    reported: tuple[float, int] = (0.0, 0)  # (when, bytes) of the last report

    def update(self, n: int) -> None:
        check(self.cancel, f"The download of {self.name}")
        now = time.monotonic()
        self.started = self.started or now
        self.done = min(self.done + n, self.size)
        due = now - self.reported[0] >= REPORT_EVERY or self.done == self.size
        if self.progress is not None and due and self.done > self.reported[1]:
            self.reported = (now, self.done)
            self.progress(self.done / self.size, self.text())

    def text(self) -> str:
        elapsed = max(time.monotonic() - self.started, 1e-6)
        rate = self.done / elapsed
        left = (self.size - self.done) / rate if rate > 0 else 0.0
        return (f"{self.name}: {self.done / 1e6:.1f} of {self.size / 1e6:.1f} MB, {rate / 1e6:.1f} MB/s, "
                f"{_duration(left)} left")

    def reset(self) -> None:
        """Ignored: pooch resets and then adds the whole size to fill a bar; the clamp in update does that."""

    def close(self) -> None:
        """Nothing to release."""


def _duration(seconds: float) -> str:
    seconds = round(seconds)
    return f"{seconds // 60} min {seconds % 60:02d} s" if seconds >= 60 else f"{seconds} s"


def _copy_from_folder(meter: _Meter):
    """A pooch downloader for a mirror folder: copies in chunks with the same progress and cancellation."""
    def download(url: str, output_file: str, _pooch: object) -> None:
        source = Path(url)
        meter.total = source.stat().st_size
        with open(source, "rb") as src, open(output_file, "wb") as dst:
            while chunk := src.read(CHUNK):
                dst.write(chunk)
                meter.update(len(chunk))
    return download


def sources(entry: ModelEntry, mirror: str | None = None) -> list[str]:
    """Where to look, in order: the mirror argument, CNN_EXPLORER_MIRROR, then the entry's published URLs.
    A user mirror that is a folder gives a file path; a URL gets the file name appended."""
    weights = _download(entry)
    found: list[str] = []
    for base in (mirror, os.environ.get(MIRROR_ENV)):
        if not base:
            continue
        if base.startswith("file://"):
            base = unquote(urlparse(base).path)
        if "://" in base:
            found.append(f"{base.rstrip('/')}/{weights.file}")
        else:
            found.append(str(Path(base).expanduser() / weights.file))
    return found + list(weights.urls)


def _download(entry: ModelEntry) -> Download:
    if not isinstance(entry.weights, Download):
        trained = [e.key for e in catalog.entries() if e.architecture == entry.architecture
                   and isinstance(e.weights, Download)] if entry.architecture else []
        hint = f"; the trained version to download is {trained[0]}" if trained else ""
        raise UserError(f"{entry.title} needs no download: its weights are {entry.weights_text}{hint}.")
    return entry.weights


def _where(source: str) -> str:
    """The host of a URL, or the mirror folder of a path: where a failure happened, in a few words."""
    if "://" in source:
        return urlparse(source).netloc or source
    return f"folder {Path(source).parent}"


def _check_space(folder: Path, size: int) -> None:
    free = shutil.disk_usage(folder).free
    if free < size + SPACE_MARGIN:
        raise UserError(f"Not enough free disk space in {folder}: the file needs {size / 1e6:.0f} MB and "
                        f"{free / 1e6:.0f} MB are free. Free some space, or point CNN_EXPLORER_CACHE_DIR "
                        "at a larger disk.")


def download(entry: ModelEntry, progress: Progress | None = None, cancel: Cancel | None = None,
             mirror: str | None = None) -> Path:
    """Fetch the entry's file into the user cache (a no-op when it is there) and return its path.

    Raises UserError with one line when no source gave the published file, Cancelled when stopped; in both
    cases nothing is left behind."""
    weights = _download(entry)
    target = user_cache.downloads_dir() / weights.file
    if target.is_file() and target.stat().st_size == weights.size:
        return target
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UserError(f"Cannot create the download folder {target.parent}: {exc.strerror or exc}. "
                        "Make it writable or set CNN_EXPLORER_CACHE_DIR.") from exc
    _check_space(target.parent, weights.size)
    failures: list[tuple[str, str]] = []  # (kind, one-phrase reason with the place)
    for source in sources(entry, mirror):
        meter = _Meter(weights.file, weights.size, progress, cancel)
        check(cancel, f"The download of {weights.file}")
        local = "://" not in source
        if local and not Path(source).is_file():
            failures.append(("missing", f"not in the {_where(source)}"))
            continue
        downloader = (_copy_from_folder(meter) if local
                      else pooch.HTTPDownloader(progressbar=meter, chunk_size=CHUNK, timeout=TIMEOUT))
        try:
            pooch.retrieve(source, known_hash=f"sha256:{weights.sha256}", fname=weights.file,
                           path=target.parent, downloader=downloader)
        except ValueError:  # pooch: the sha256 differs
            failures.append(("checksum", f"the file from {_where(source)} is not the published one "
                                         "(its sha256 differs)"))
            continue
        except requests.HTTPError as exc:
            status = exc.response.status_code if exc.response is not None else "?"
            failures.append(("missing", f"{_where(source)} answered HTTP {status}"))
            continue
        except requests.RequestException:
            kind = "dropped" if meter.done else "unreachable"
            failures.append((kind, f"{_where(source)} dropped the connection after {meter.done / 1e6:.1f} MB"
                             if meter.done else f"{_where(source)} could not be reached"))
            continue
        except OSError as exc:  # writing the cache: a full disk or a permission problem stops everything
            raise UserError(f"Cannot write {weights.file} into {target.parent}: {exc.strerror or exc}; nothing "
                            "was kept. Free some disk space or set CNN_EXPLORER_CACHE_DIR.") from None
        user_cache.remember_sha256(target, weights.sha256)
        return target
    raise UserError(_failure_line(weights.file, failures))


_ADVICE = {
    "checksum": "nothing was kept; try again later, or copy the zoo file from elsewhere and set "
                f"{MIRROR_ENV} to its folder",
    "dropped": "nothing was kept; try again (a steadier connection helps)",
    "unreachable": "check the network connection or proxy (HTTPS_PROXY), or copy the zoo file into a folder and "
                   f"set {MIRROR_ENV} to it",
    "missing": f"copy the zoo file into a folder and set {MIRROR_ENV} to it, or try again later",
}


def _failure_line(file: str, failures: list[tuple[str, str]]) -> str:
    kinds = {kind for kind, _ in failures}
    worst = next(k for k in ("checksum", "dropped", "unreachable", "missing") if k in kinds)
    reasons = "; ".join(dict.fromkeys(reason for _, reason in failures))  # each distinct reason once
    return f"Could not download {file}: {reasons}. {_ADVICE[worst][0].upper()}{_ADVICE[worst][1:]}."
