"""Process-wide memory tuning the interactive app wants (Linux/glibc only; a no-op elsewhere)."""
from __future__ import annotations

import ctypes
import ctypes.util
import gc
import platform


def keep_freed_buffers_for_reuse() -> None:
    """Let glibc keep freed multi-megabyte buffers instead of returning them to the OS.

    Every parameter change allocates a fresh plane and map (4 MB each at 1024²). By default glibc trims them from
    the heap top on free, and re-touching returned pages costs more than the convolution itself (measured on the
    2-core bench machine: 6.6 ms instead of 1.0 ms per change, bench/README.md). Process-wide, so the app calls it once at start-up rather than a module on import.
    """
    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
    except OSError:
        return
    m_trim_threshold, m_mmap_threshold = -1, -3
    libc.mallopt(m_mmap_threshold, 32 * 1024 * 1024)  # glibc's maximum; bigger buffers still use mmap
    libc.mallopt(m_trim_threshold, 128 * 1024 * 1024)


def spare_imported_code_from_full_collections() -> None:
    """Move every object alive now into the cycle collector's permanent generation; call it once the app's modules
    are imported and before it makes any state.

    A full collection walks every tracked object, and ~90k of the app's are modules, classes and functions that live
    as long as the process. It took 50–77 ms, on the GUI thread (the app collects there, on a timer), every couple of
    minutes of live video; without them 4–7 ms (bench/README.md, "Full collections"). Called before any picture,
    model or task exists, so nothing that can later become garbage is spared.
    """
    gc.freeze()
