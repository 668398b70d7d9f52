"""How long-running core work reports progress and is cancelled (model builds, hashing, downloads)."""
from __future__ import annotations

from collections.abc import Callable

from explorer.core.errors import UserError

Progress = Callable[[float, str], None]  # (fraction done 0..1, one-line message)
Cancel = Callable[[], bool]              # True = stop as soon as possible


class Cancelled(UserError):
    """The user stopped the work; nothing partial was kept. The message says what was stopped."""


def check(cancel: Cancel | None, what: str) -> None:
    """Raise Cancelled when the caller asked to stop; call it between chunks of work."""
    if cancel is not None and cancel():
        raise Cancelled(f"{what} was cancelled; nothing was kept.")


def silent(fraction: float, message: str) -> None:
    """A Progress that reports nowhere."""
