"""A built-in's layer table from its structure alone: the graph laid out, no weight drawn.

Strips, receptive fields, shapes and parameter counts need only the layout (milliseconds), not ResNet-34's 21 M
He-normal weights (``zoo.build`` draws them for models that will run).
"""
from __future__ import annotations

from explorer.core import zoo
from explorer.core.errors import UserError
from explorer.core.inspect import ModelInfo, inspect_model


def inspect_builtin(key: str) -> ModelInfo:
    """core.inspect's table of the built-in ``key`` (named by its key), computed from its empty-weight layout."""
    if key not in zoo.BUILTINS:
        raise UserError(f"Unknown built-in model {key!r}; choose one of: {', '.join(zoo.BUILTINS)}.")
    info = inspect_model(zoo.BUILTINS[key].builder(None))
    info.name = key
    return info
