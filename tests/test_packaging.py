"""Installing and shipping: data found in every layout, the wheel's and sdist's contents, no telemetry, notices,
the About dialog, the frozen app's display check."""
from __future__ import annotations

import ctypes.util
import os
import runpy
import shutil
import subprocess
import sys
import tarfile
import zipfile
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement

from explorer import app
from explorer.core import paths

ROOT = Path(__file__).resolve().parents[1]
DATA = ("assets", "onnx_models")
DIST = os.environ.get("CNN_EXPLORER_DIST")  # dist/pkg after `make dist`; .ci/run sets it
needs_dist = pytest.mark.skipif(not DIST, reason="needs a built sdist and wheel: `make dist`, then "
                                                 "CNN_EXPLORER_DIST=dist/pkg (.ci/run does this)")


def tracked_files() -> list[str]:
    listed = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True)
    return listed.stdout.splitlines()


def shipped_data() -> list[str]:
    """Every committed file under assets/ and onnx_models/, plus the notices: what the wheel must carry."""
    return [f for f in tracked_files() if f.split("/")[0] in DATA] + ["THIRD_PARTY_NOTICES"]


# --- where the data is found ------------------------------------------------------------------------------------
def fake_package(root: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    package = root / "explorer"
    package.mkdir(parents=True)
    monkeypatch.setattr(paths.resources, "files", lambda name: package)
    return package


def test_installed_layout_finds_the_data_inside_the_package(tmp_path, monkeypatch):
    package = fake_package(tmp_path / "site-packages", monkeypatch)
    for name in DATA:
        (package / name).mkdir()
        (tmp_path / "site-packages" / name).mkdir()  # an unrelated top-level folder of another distribution
    (package / "THIRD_PARTY_NOTICES").write_text("texts")
    assert paths.assets_dir() == package / "assets" and paths.onnx_models_dir() == package / "onnx_models"
    assert paths.notices_file() == package / "THIRD_PARTY_NOTICES"


def test_checkout_layout_finds_the_data_beside_the_package(tmp_path, monkeypatch):
    fake_package(tmp_path, monkeypatch)
    for name in DATA:
        (tmp_path / name).mkdir()
    assert paths.assets_dir() == tmp_path / "assets" and paths.onnx_models_dir() == tmp_path / "onnx_models"


def test_missing_data_names_the_packaged_place(tmp_path, monkeypatch):
    package = fake_package(tmp_path, monkeypatch)
    assert paths.onnx_models_dir() == package / "onnx_models"


def test_this_checkout_resolves_to_its_own_data():
    assert (paths.assets_dir() / "samples" / "astronaut.jpg").is_file()
    assert (paths.onnx_models_dir() / "lenet5_mnist.npz").is_file()
    assert paths.notices_file().is_file()


# --- wheel and sdist (built by `make dist`) -----------------------------------------------------------------------
@needs_dist
def test_wheel_carries_the_data_and_notices_inside_the_package():
    (wheel,) = Path(DIST).glob("cnn_explorer-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    missing = [f for f in shipped_data() if f"explorer/{f}" not in names]
    assert not missing, f"the wheel lacks {missing[:5]}"
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)
    assert not [n for n in names if n.startswith(("tests/", "tools/", "bench/", "assets/", "onnx_models/"))]


@needs_dist
def test_sdist_holds_every_tracked_file():
    (sdist,) = Path(DIST).glob("cnn_explorer-*.tar.gz")
    with tarfile.open(sdist) as archive:
        names = {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}
    missing = [f for f in tracked_files() if f not in names]
    assert not missing, f"the sdist lacks {missing[:5]}"


# --- telemetry ----------------------------------------------------------------------------------------------------
def run_with_fresh_home(tmp_path: Path, command: list[str]) -> list[Path]:
    """Run a command with HOME set to an empty folder (XDG_* unset); return the files that appeared there."""
    home = tmp_path / "home"
    home.mkdir(parents=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("XDG_") and k != "ORT_DISABLE_TELEMETRY"}
    env.update(HOME=str(home), CNN_EXPLORER_CACHE_DIR=str(tmp_path / "cache"))
    subprocess.run(command, env=env, cwd=tmp_path, check=True, capture_output=True, timeout=300)
    return [p.relative_to(home) for p in home.rglob("*")]


def test_onnxruntime_telemetry_writes_nothing_under_home(tmp_path):
    bare = run_with_fresh_home(tmp_path / "bare", [sys.executable, "-c", "import onnxruntime"])
    if not bare:
        pytest.skip("this onnxruntime writes nothing under HOME even with telemetry on: nothing to prove")
    # Without the switch onnxruntime creates ~/.cache/Microsoft/DeveloperTools/.onnxruntime/ at import.
    assert Path(".cache/Microsoft/DeveloperTools/.onnxruntime") in bare
    sample = paths.assets_dir() / "samples" / "astronaut.jpg"
    written = run_with_fresh_home(tmp_path / "app", [sys.executable, "-m", "explorer", "activations", "lenet5",
                                                     str(sample), "--out", str(tmp_path / "mosaic.png")])
    assert (tmp_path / "mosaic.png").is_file()
    assert written == []


# --- notices ------------------------------------------------------------------------------------------------------
def project_name(name: str) -> str:
    """Distribution name as one project: onnxruntime-gpu (Linux, Windows) and onnxruntime (macOS) are one."""
    return name.lower().replace("_", "-").removesuffix("-gpu")


def test_notices_cover_every_runtime_dependency_and_the_required_texts():
    text = paths.notices_file().read_text(encoding="utf-8")
    listed = {project_name(line[2:].split()[0]) for line in text.split("=" * 100, 1)[0].splitlines()
              if line.startswith("- ")}
    required = [Requirement(r) for r in metadata.requires("cnn-explorer") or []]
    stale = [r.name for r in required if (r.marker is None or r.marker.evaluate({"extra": ""}))
             and project_name(r.name) not in listed]
    assert not stale, f"THIRD_PARTY_NOTICES misses {stale}: run `make notices` and commit the result"
    for must in ("GNU LESSER GENERAL PUBLIC LICENSE\n                       Version 3",  # Qt / PySide6
                 "GNU GENERAL PUBLIC LICENSE\n                       Version 3",
                 "FFmpeg",                                                           # cv2/LICENSE-3RD-PARTY.txt
                 "onnxruntime/ThirdPartyNotices.txt", "PSF", (ROOT / "LICENSE").read_text().strip()):
        assert must in text, must


def test_about_shows_version_provider_and_the_notices(qtbot):
    from PySide6.QtWidgets import QPlainTextEdit

    from explorer import __version__
    from explorer.core import runtime
    from explorer.ui.about import AboutDialog

    dialog = AboutDialog(None, "Provider: CPUExecutionProvider")
    qtbot.addWidget(dialog)
    shown = dialog.text.text()
    assert f"CNN Explorer {__version__}" in shown and "Execution provider:</b> CPUExecutionProvider" in shown
    assert ", ".join(runtime.available_providers()) in shown
    unknown = AboutDialog(None, "Provider: –")
    qtbot.addWidget(unknown)
    assert "none yet" in unknown.text.text()
    viewer = dialog.show_notices()
    assert viewer.findChild(QPlainTextEdit).toPlainText() == paths.notices_file().read_text(encoding="utf-8")
    viewer.close()


def test_help_about_opens_the_dialog(qtbot, tmp_path):
    from PySide6.QtCore import QSettings

    from explorer.ui.about import AboutDialog
    from explorer.ui.main_window import MainWindow

    window = MainWindow(settings=QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(window)
    (about,) = [action for menu in window.menuBar().actions() for action in menu.menu().actions()
                if action.text() == "&About CNN Explorer"]
    about.trigger()
    dialog = window.findChild(AboutDialog)
    assert dialog is not None and dialog.isVisible() and "Execution provider" in dialog.text.text()
    dialog.close()
    window.close()


# --- the frozen app's display pre-check ---------------------------------------------------------------------------
@pytest.fixture
def x11_without_xcb_libraries(monkeypatch):
    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.setenv("DISPLAY", ":0")
    monkeypatch.delenv("QT_QPA_PLATFORM", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    monkeypatch.setattr(ctypes.util, "find_library", lambda name: None)


def test_source_install_without_xcb_libraries_names_the_packages(x11_without_xcb_libraries, monkeypatch):
    from explorer.core.errors import UserError

    monkeypatch.delattr(sys, "_MEIPASS", raising=False)
    with pytest.raises(UserError, match="libxcb-cursor0, libxcb-icccm4, libxcb-keysyms1"):
        app._check_linux_display_libraries()


def test_frozen_app_uses_the_xcb_libraries_it_bundles(x11_without_xcb_libraries, monkeypatch, tmp_path):
    from explorer.core.errors import UserError

    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path), raising=False)
    for name in ("libxcb-cursor.so.0", "libxcb-icccm.so.4"):
        (tmp_path / name).write_bytes(b"")
    with pytest.raises(UserError, match=r"libraries libxcb-keysyms1:"):  # only the one the bundle lacks
        app._check_linux_display_libraries()
    (tmp_path / "libxcb-keysyms.so.1").write_bytes(b"")
    app._check_linux_display_libraries()


# --- the bundle's smaller ICU data (packaging/shrink_icu.py) -------------------------------------------------------
ICU_PROBE = """
from PySide6.QtCore import QCollator, QLocale, QTextBoundaryFinder, QUrl
words = ["zebra", "Äpfel", "apple", "Österreich", "école", "ångström", "Zürich", "中文", "한국어", "ıi", "İstanbul"]
for name in ("en_US", "de_DE", "sv_SE", "zh_CN", "ko_KR", "tr_TR"):
    collator = QCollator(QLocale(name))
    print(name, [(collator.compare(a, b) > 0) - (collator.compare(a, b) < 0) for a in words for b in words],
          QLocale(name).toUpper("istanbul straße"), QLocale(name).toLower("İSTANBUL"))
print(QUrl.fromUserInput("http://bücher.example/").toString(QUrl.ComponentFormattingOption.FullyEncoded))
for kind in QTextBoundaryFinder.BoundaryType.Word, QTextBoundaryFinder.BoundaryType.Line:
    for text in "ภาษาไทยง่ายนิดเดียว", "日本語のテキストです。次の文。", "Hello, wörld. Second sentence!":
        finder, ends = QTextBoundaryFinder(kind, text), []
        while (end := finder.toNextBoundary()) != -1:
            ends.append(end)
        print(kind, ends)
"""


@pytest.mark.skipif(not sys.platform.startswith("linux") or not all(map(shutil.which, ("gcc", "objcopy", "readelf"))),
                    reason="Linux build step: needs gcc, objcopy and readelf")
def test_smaller_icu_data_keeps_what_qt_uses(tmp_path):
    import PySide6

    shrink = runpy.run_path(str(ROOT / "packaging" / "shrink_icu.py"))["shrink"]
    (full,) = (Path(PySide6.__file__).parent / "Qt" / "lib").glob("libicudata.so.*")
    small = tmp_path / full.name
    shrink(full, small)
    assert small.stat().st_size < full.stat().st_size / 4

    def probe(preload: Path | None) -> str:
        env = {**os.environ, **({"LD_PRELOAD": str(preload)} if preload else {})}
        code = ICU_PROBE + "print([l for l in open('/proc/self/maps') if 'libicudata' in l][0].split()[-1])"
        done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True,
                              timeout=120)
        assert "Could not create collator" not in done.stderr
        return done.stdout

    with_full, with_small = probe(None), probe(small)
    assert with_full.splitlines()[-1] == str(full) and with_small.splitlines()[-1] == str(small)
    assert with_small.splitlines()[:-1] == with_full.splitlines()[:-1]


# --- Linux desktop entry ------------------------------------------------------------------------------------------
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the desktop entry is for the Linux bundle")
def test_desktop_entry_starts_the_bundled_program(tmp_path):
    bundle = tmp_path / "cnn-explorer"
    bundle.mkdir()
    for source in (ROOT / "packaging" / "linux").iterdir():
        (bundle / source.name).write_bytes(source.read_bytes())
    (bundle / "cnn-explorer.png").write_bytes((ROOT / "assets" / "icon.png").read_bytes())
    data = tmp_path / "data"
    subprocess.run(["sh", str(bundle / "install-desktop-entry.sh")], env={**os.environ, "XDG_DATA_HOME": str(data)},
                   check=True, capture_output=True)
    entry = (data / "applications" / "cnn-explorer.desktop").read_text()
    assert f'Exec="{bundle}/cnn-explorer" %f' in entry.splitlines() and "Icon=cnn-explorer" in entry
    assert (data / "icons" / "hicolor" / "256x256" / "apps" / "cnn-explorer.png").is_file()
