"""Start-up and size of CNN Explorer: launch to a painted window, for the packaged app and the source install.

Each run is `cnn-explorer --screenshot OUT.png`: a new process that opens the main window on the default sample
(offscreen), paints it, saves it and exits — an upper bound on "launch to painted window". Also prints the size of
the one-folder bundle, its largest folders and its 15 largest files. Run after `make app`; `--size-only` skips the
launches.
"""
from __future__ import annotations

import argparse
import re
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


def print_sizes(bundle: Path) -> None:
    internal = bundle / "_internal"
    # PyInstaller links some libraries to the top level (symlinks): count each file once, where it lives.
    parts = sorted(((folder_mb(p) if p.is_dir() else p.stat().st_size / 1e6, p.name)
                    for p in internal.iterdir() if not p.is_symlink()), reverse=True)
    print(f"\nbundle: {folder_mb(bundle):.1f} MB ({folder_mb(bundle) * 1e6 / 2**20:.0f} MiB); largest folders: "
          + ", ".join(f"{name} {mb:.0f} MB" for mb, name in parts[:8]))
    files = sorted(((f.stat().st_size / 1e6, f.relative_to(internal)) for f in internal.rglob("*")
                    if f.is_file() and not f.is_symlink()), reverse=True)
    print("\n| largest files | MB |\n|---|---|")
    for mb, name in files[:15]:
        print(f"| {name} | {mb:.1f} |")


def system_requirements(bundle: Path) -> tuple[list[str], str]:
    """(sonames the bundle's ELF files link but do not carry, highest GLIBC_ symbol version they need); Linux."""
    internal = bundle / "_internal"
    elves = [bundle / "cnn-explorer"] + [f for f in internal.rglob("*.so*") if f.is_file() and not f.is_symlink()]
    carried = {f.name for f in internal.rglob("*.so*")}
    needed: set[str] = set()
    glibc: set[tuple[int, ...]] = set()
    for elf in elves:
        dynamic = subprocess.run(["readelf", "-d", str(elf)], capture_output=True, text=True).stdout
        needed |= set(re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", dynamic))
        symbols = subprocess.run(["objdump", "-T", str(elf)], capture_output=True, text=True).stdout
        glibc |= {tuple(map(int, v.split("."))) for v in re.findall(r"GLIBC_(\d+(?:\.\d+)+)", symbols)}
    return sorted(needed - carried), "GLIBC_" + ".".join(map(str, max(glibc)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-only", action="store_true", help="only the bundle's size, no launches")
    parser.add_argument("--bundle", type=Path, default=BUNDLE, help=f"one-folder app (default: {BUNDLE})")
    args = parser.parse_args()
    rows = [("source install (python -m explorer)", [sys.executable, "-m", "explorer"])]
    if (args.bundle / "cnn-explorer").exists():
        rows.insert(0, ("packaged app (dist/cnn-explorer)", [str(args.bundle / "cnn-explorer")]))
    else:
        print("no dist/cnn-explorer: run `make app` first to time and measure the packaged app", file=sys.stderr)
    if not args.size_only:
        print(f"| launch → painted window → exit | median s | min s | max s |  (runs: {RUNS})")
        print("|---|---|---|---|")
        for label, command in rows:
            times = time_launches(command)
            print(f"| {label} | {statistics.median(times):.2f} | {min(times):.2f} | {max(times):.2f} |")
    if args.bundle.exists():
        print_sizes(args.bundle)
        if sys.platform.startswith("linux"):
            system, glibc = system_requirements(args.bundle)
            print(f"\nfrom the system (linked, not bundled): {', '.join(system)}\nhighest symbol version: {glibc}")


if __name__ == "__main__":
    main()
