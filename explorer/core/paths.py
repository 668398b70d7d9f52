"""Where bundled data and the user's cache live (works from a source tree, an install, or a frozen app)."""
from __future__ import annotations

import os
import sys
from pathlib import Path

import platformdirs


def project_root() -> Path:
    """Folder holding assets/ and onnx_models/: the bundle dir when frozen, else the source checkout."""
    frozen_dir = getattr(sys, "_MEIPASS", None)
    if frozen_dir:
        return Path(frozen_dir)
    return Path(__file__).resolve().parents[2]


def assets_dir() -> Path:
    return project_root() / "assets"


def onnx_models_dir() -> Path:
    return project_root() / "onnx_models"


def cache_dir() -> Path:
    """User cache for materialised built-in models; never inside the (possibly read-only) bundle.

    CNN_EXPLORER_CACHE_DIR overrides it (the test suite points it at a temporary folder)."""
    override = os.environ.get("CNN_EXPLORER_CACHE_DIR")
    path = Path(override) if override else Path(platformdirs.user_cache_dir("cnn-explorer", appauthor=False))
    path.mkdir(parents=True, exist_ok=True)
    return path
