"""Where bundled data and the user's cache live: installed wheel, editable install, source tree or frozen app.

The repository keeps assets/, onnx_models/ and THIRD_PARTY_NOTICES at its top level (the design's layout). The
wheel (pyproject.toml's force-include) and the frozen app (build_app.spec's datas, under sys._MEIPASS) carry them
inside the ``explorer`` package, where importlib.resources finds them. An editable install or a source tree imports
``explorer`` from the checkout, whose package folder holds no copy: there they sit beside the package.
"""
from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

import platformdirs


def project_root() -> Path:
    """The source checkout this package was imported from (meaningful for tests and maintainer tools only)."""
    return Path(__file__).resolve().parents[2]


def bundled(name: str) -> Path:
    """A file or folder shipped with the app (``assets``, ``onnx_models``, ``THIRD_PARTY_NOTICES``).

    Never a silent substitute: when neither place has it, the packaged location comes back and the caller's
    "not found" error names it."""
    package = Path(str(resources.files("explorer")))  # a real folder: wheel, checkout, or sys._MEIPASS/explorer
    packaged, beside = package / name, package.parent / name
    return beside if not packaged.exists() and beside.exists() else packaged


def assets_dir() -> Path:
    return bundled("assets")


def onnx_models_dir() -> Path:
    return bundled("onnx_models")


def notices_file() -> Path:
    return bundled("THIRD_PARTY_NOTICES")


def cache_dir() -> Path:
    """User cache for materialised built-in models; never inside the (possibly read-only) bundle.

    CNN_EXPLORER_CACHE_DIR overrides it (the test suite points it at a temporary folder)."""
    override = os.environ.get("CNN_EXPLORER_CACHE_DIR")
    path = Path(override) if override else Path(platformdirs.user_cache_dir("cnn-explorer", appauthor=False))
    path.mkdir(parents=True, exist_ok=True)
    return path
