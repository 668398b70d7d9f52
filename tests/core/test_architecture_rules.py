"""Project rules that keep the layers honest: the core and the state are Qt-free, and cv2 is the headless build."""
import ast
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "explorer"
CORE = PACKAGE / "core"
QT_FREE = (CORE, PACKAGE / "state")
QT_MODULES = {"PySide6", "PyQt5", "PyQt6", "pyqtgraph", "qtpy", "shiboken6"}


def _qt_free_sources() -> list[Path]:
    return [path for folder in QT_FREE for path in folder.rglob("*.py")]


def test_core_and_state_sources_never_import_qt():
    offenders = []
    for path in _qt_free_sources():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            offenders += [f"{path.name}: {n}" for n in names if n.split(".")[0] in QT_MODULES]
    assert offenders == []


def test_importing_every_core_and_state_module_loads_no_qt():
    modules = sorted(
        "explorer." + ".".join(p.relative_to(PACKAGE).with_suffix("").parts)
        for p in _qt_free_sources()
    )
    modules = [m.removesuffix(".__init__") for m in modules]
    code = (
        "import importlib, sys\n"
        f"for m in {modules!r}: importlib.import_module(m)\n"
        f"bad = [m for m in sys.modules if m.split('.')[0] in {sorted(QT_MODULES)!r}]\n"
        "print(bad); sys.exit(1 if bad else 0)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_installed_cv2_is_the_headless_build():
    from importlib.metadata import PackageNotFoundError, distribution

    distribution("opencv-python-headless")
    for gui_build in ("opencv-python", "opencv-contrib-python"):
        try:
            distribution(gui_build)
        except PackageNotFoundError:
            continue
        raise AssertionError(f"{gui_build} is installed; it fights PySide6 over Qt plugins")
    import cv2

    assert "QT_QPA_PLATFORM_PLUGIN_PATH" not in cv2.__dict__.get("__file__", "")
