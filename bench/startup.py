"""Start-up and size of CNN Explorer: launch to a painted window, for the packaged app and the source install.

Each run is `cnn-explorer --screenshot OUT.png`: a new process that opens the main window on the default sample
(offscreen), paints it, saves it and exits — an upper bound on "launch to painted window". Also prints the size of
the one-folder bundle and its largest parts. Run after `make app`.
"""
from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BUNDLE = ROOT / "dist" / "cnn-explorer"
RUNS = 5


def folder_mb(path: Path) -> float:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file() and not f.is_symlink()) / 1e6


def time_launches(command: list[str]) -> list[float]:
    seconds = []
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(RUNS + 1):  # the first run warms the file cache and is dropped
            started = time.perf_counter()
            subprocess.run([*command, "--screenshot", str(Path(tmp) / f"{i}.png")], check=True,
                           capture_output=True, timeout=120)
            seconds.append(time.perf_counter() - started)
    return seconds[1:]


def main() -> None:
    rows = [("source install (python -m explorer)", [sys.executable, "-m", "explorer"])]
    if (BUNDLE / "cnn-explorer").exists():
        rows.insert(0, ("packaged app (dist/cnn-explorer)", [str(BUNDLE / "cnn-explorer")]))
    else:
        print("no dist/cnn-explorer: run `make app` first to time the packaged app", file=sys.stderr)
    print(f"| launch → painted window → exit | median s | min s | max s |  (runs: {RUNS})")
    print("|---|---|---|---|")
    for label, command in rows:
        times = time_launches(command)
        print(f"| {label} | {statistics.median(times):.2f} | {min(times):.2f} | {max(times):.2f} |")
    if BUNDLE.exists():
        internal = BUNDLE / "_internal"
        # PyInstaller links some libraries to the top level (symlinks): count each file once, where it lives.
        parts = sorted(((folder_mb(p) if p.is_dir() else p.stat().st_size / 1e6, p.name)
                        for p in internal.iterdir() if not p.is_symlink()), reverse=True)
        print(f"\nbundle: {folder_mb(BUNDLE):.0f} MB ({folder_mb(BUNDLE) * 1e6 / 2**20:.0f} MiB); largest parts: "
              + ", ".join(f"{name} {mb:.0f} MB" for mb, name in parts[:8]))


if __name__ == "__main__":
    main()
