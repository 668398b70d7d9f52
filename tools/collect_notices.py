"""Write THIRD_PARTY_NOTICES: the licence texts of everything the wheel's dependencies and the packaged app ship.

Run from the project's .venv after `make app` (so PyInstaller and the bundle exist), on Linux:

    .venv/bin/python tools/collect_notices.py [--bundle dist/cnn-explorer]

What it collects, in this order:
- this project's LICENSE;
- every installed distribution the app needs at run time (cnn-explorer's requirements, followed recursively with
  their environment markers): its declared licence and every licence-like file it installed (dist-info licences and
  package-folder texts such as onnxruntime/ThirdPartyNotices.txt and cv2/LICENSE-3RD-PARTY.txt, which covers the
  FFmpeg and codec libraries inside OpenCV's wheel), identical texts once;
- the LGPL-3 and GPL-3 texts that Qt/PySide6 are licensed under (their wheels do not carry them): taken from
  Debian's /usr/share/common-licenses, the FSF's texts unchanged;
- CPython's licence (the bundle ships the interpreter and its standard library) and PyInstaller's (its bootloader
  starts the bundle; GPL with an exception that allows distributing it with any program);
- with --bundle: the Debian copyright file of every system library PyInstaller copied into the bundle from the
  build machine (found with dpkg -S).

The result is committed; the wheel and the bundle ship it, Help ▸ About opens it.
"""
from __future__ import annotations

import argparse
import hashlib
import re
import subprocess
import sys
import sysconfig
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "THIRD_PARTY_NOTICES"
LICENCE_FILE = re.compile(r"(^|/)(licen[cs]e|copying|notice|thirdpartynotices|authors)[^/]*$", re.I)
COMMON_LICENSES = Path("/usr/share/common-licenses")
RULE = "=" * 100


def runtime_distributions(root: str = "cnn-explorer") -> list[metadata.Distribution]:
    """The distribution and everything it requires at run time on this platform (extras not followed)."""
    seen: dict[str, metadata.Distribution] = {}
    pending = [root]
    while pending:
        name = pending.pop()
        key = re.sub(r"[-_.]+", "-", name).lower()
        if key in seen:
            continue
        dist = metadata.distribution(name)
        seen[key] = dist
        for text in dist.requires or []:
            requirement = Requirement(text)
            if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
                pending.append(requirement.name)
    return sorted(seen.values(), key=lambda d: d.metadata["Name"].lower())


def declared_licence(dist: metadata.Distribution) -> str:
    meta = dist.metadata
    classifiers = [c.split(" :: ")[-1] for c in meta.get_all("Classifier") or [] if c.startswith("License ::")]
    return meta.get("License-Expression") or meta.get("License") or ", ".join(classifiers) or "not declared"


def licence_files(dist: metadata.Distribution) -> list[tuple[str, Path]]:
    """(path as installed, e.g. 'cv2/LICENSE-3RD-PARTY.txt', file) of every licence-like file of the distribution."""
    found = [(str(f), Path(str(dist.locate_file(f)))) for f in dist.files or []
             if LICENCE_FILE.search(str(f)) and not str(f).endswith((".py", ".pyc", ".pyi"))]
    return sorted((name, path) for name, path in found if path.is_file())


def section(title: str, text: str) -> str:
    return f"{RULE}\n{title}\n{RULE}\n\n{text.strip()}\n\n"


def debian_copyrights(bundle: Path) -> list[tuple[str, Path]]:
    """(package, copyright file) for the system libraries in the bundle's top-level _internal folder."""
    packages: dict[str, Path] = {}
    for lib in sorted((bundle / "_internal").glob("lib*.so*")):
        if lib.is_symlink() or lib.name.startswith("libpython"):
            continue  # links to a wheel's own copy; the interpreter has its own section
        found = subprocess.run(["dpkg", "-S", f"*/{lib.name}"], capture_output=True, text=True)
        if found.returncode != 0:
            continue  # not from a Debian package: came from a wheel (covered by that wheel's texts) or libpython
        package = found.stdout.split(":", 1)[0]
        packages[package] = Path("/usr/share/doc") / package / "copyright"
    return [(package, path) for package, path in sorted(packages.items()) if path.is_file()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bundle", type=Path, help="one-folder app (dist/cnn-explorer) whose system libraries to list")
    args = parser.parse_args()

    dists = runtime_distributions()
    parts: list[str] = []
    seen_texts: set[str] = set()

    def add(title: str, path: Path) -> None:
        text = path.read_text(encoding="utf-8", errors="replace")
        digest = hashlib.sha256(text.strip().encode()).hexdigest()
        if digest in seen_texts:
            return  # e.g. cv2's texts are installed twice (package folder and dist-info)
        seen_texts.add(digest)
        parts.append(section(title, text))

    add("CNN Explorer — LICENSE", ROOT / "LICENSE")
    for dist in dists[1:] if dists[0].metadata["Name"] == "cnn-explorer" else dists:
        name, version = dist.metadata["Name"], dist.version
        files = licence_files(dist)
        if not files:
            parts.append(section(f"{name} {version} — {declared_licence(dist)}",
                                 "The distribution installs no licence file; its declared licence is above."))
        for installed_as, path in files:
            add(f"{name} {version} — {declared_licence(dist)} — {installed_as}", path)
    for name in ("LGPL-3", "GPL-3"):
        add(f"{name} (Qt 6 and PySide6/shiboken6 are used under the LGPL-3.0; it extends the GPL-3.0)",
            COMMON_LICENSES / name)
    python_licence = Path(sysconfig.get_paths()["stdlib"]) / "LICENSE.txt"
    add(f"Python {sys.version.split()[0]} — PSF-2.0 — interpreter and standard library", python_licence)
    pyinstaller = metadata.distribution("pyinstaller")
    for _, path in licence_files(pyinstaller):
        add(f"PyInstaller {pyinstaller.version} — bootloader: GPL-2.0-or-later with the bootloader exception",
            path)
    system = debian_copyrights(args.bundle) if args.bundle else []
    for package, path in system:
        add(f"{package} (Debian package; its library was copied into the bundle from the build machine)", path)

    listed = [f"- {d.metadata['Name']} {d.version}: {declared_licence(d)}" for d in dists]
    listed += [f"- Python {sys.version.split()[0]}: PSF-2.0", f"- PyInstaller {pyinstaller.version} bootloader"]
    listed += [f"- {package} (Debian, system library in the bundle)" for package, _ in system]
    header = ("Third-party notices for CNN Explorer\n\n"
              "The wheel and the packaged app ship or install the components below; their licence texts follow.\n"
              f"Collected by tools/collect_notices.py on {sys.platform} from the installed packages; on macOS the app\n"
              "installs onnxruntime instead of onnxruntime-gpu (the same project).\n"
              "Qt's own attributions for the code it includes (ICU, HarfBuzz, FreeType, libpng, PCRE2, zlib, ...):\n"
              "https://doc.qt.io/qt-6/licenses-used-in-qt.html\n\n" + "\n".join(listed) + "\n\n")
    OUT.write_text(header + "".join(parts), encoding="utf-8")
    print(f"{OUT}: {len(parts)} texts, {OUT.stat().st_size / 1e3:.0f} kB")


if __name__ == "__main__":
    main()
