"""Reading and writing the user's files without trusting them.

``read_regular`` reads only regular files: a FIFO would block for ever, /dev/zero or /dev/urandom (or a
symlink to them) would be read until memory runs out, and a folder cannot be read at all. The file is opened
non-blocking first and checked on the open descriptor (no window between the check and the read), and never
more than its size at the check + 1 bytes are read, even if it grows meanwhile.

``write_npz`` writes a NumPy .npz archive keyed by arbitrary names: ``np.savez(path, **arrays)`` breaks on
names such as ``file`` or ``allow_pickle`` (its own keyword arguments).
"""
from __future__ import annotations

import os
import stat
import zipfile
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from explorer.core.errors import UserError

_KINDS = ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a named pipe (FIFO)"), (stat.S_ISCHR, "a device"),
          (stat.S_ISBLK, "a device"), (stat.S_ISSOCK, "a socket"))


class TooLarge(UserError):
    """The file is bigger than the caller's limit; ``size`` says by how much (bytes, or at least this many)."""

    def __init__(self, message: str, size: int) -> None:
        super().__init__(message)
        self.size = size


def read_regular(path: str | os.PathLike[str], max_bytes: int, kind: str = "file") -> bytes:
    """The bytes of a regular file of at most ``max_bytes``; UserError (TooLarge for size) otherwise.

    ``kind`` names what was expected in messages ("an image file", "an ONNX model").
    """
    p = Path(path)
    name = p.name or str(p)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(p, flags)
    except FileNotFoundError:
        raise UserError(f"'{name}' was not found: check the path ({p}).") from None
    except PermissionError:
        raise UserError(f"'{name}' cannot be read: permission denied; check the file's permissions.") from None
    except IsADirectoryError:  # Windows cannot open a folder at all
        raise UserError(f"'{name}' is a folder, not {kind}: choose a file.") from None
    except OSError as exc:
        raise UserError(f"'{name}' cannot be read ({exc.strerror or exc}): check the file and try again.") from None
    try:
        info = os.fstat(fd)
        refusal = not_regular(name, info.st_mode, kind)
        if refusal:
            raise UserError(refusal)
        if info.st_size > max_bytes:
            raise TooLarge(f"'{name}' is {info.st_size:,} bytes, over the {max_bytes:,}-byte limit.", info.st_size)
        with os.fdopen(fd, "rb") as handle:
            fd = -1  # the file object owns it now
            data = handle.read(info.st_size + 1)  # one byte more tells a file that is still growing
    except OSError as exc:
        raise UserError(f"'{name}' cannot be read ({exc.strerror or exc}): check the file and try again.") from None
    finally:
        if fd >= 0:
            os.close(fd)
    if len(data) > info.st_size:  # growing, or a pseudo-file that reports size 0 (/proc)
        raise UserError(f"'{name}' changed while it was read (it is still being written?): try again later.")
    return data


def not_regular(name: str, mode: int, kind: str = "file") -> str | None:
    """The one line that refuses a file of this ``st_mode`` (a folder, a FIFO, a device...), or None for a regular
    file. For readers that open the file themselves (OpenCV's FFmpeg): check before they block on a FIFO or read
    /dev/zero for ever."""
    for test, what in _KINDS:
        if test(mode):
            return f"'{name}' is {what}, not {kind}: choose a regular file."
    if not stat.S_ISREG(mode):
        return f"'{name}' is not a regular file: choose {kind}."
    return None


def write_npz(path: str | os.PathLike[str], arrays: Mapping[str, np.ndarray]) -> None:
    """A compressed .npz with one ``<name>.npy`` member per array, exactly as ``np.load(path)[name]`` reads it."""
    try:
        with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
            for name, array in arrays.items():
                with archive.open(f"{name}.npy", "w", force_zip64=True) as member:
                    np.lib.format.write_array(member, np.asanyarray(array), allow_pickle=False)
    except OSError as exc:
        raise UserError(f"Cannot write {path}: {exc.strerror or exc}. Choose another folder.") from None
