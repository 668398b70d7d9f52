"""Widgets and windows. Importing this package configures pyqtgraph once for every view."""
import sys

import pyqtgraph as pg

# numpy images are (row, col); without this pyqtgraph would draw them transposed.
pg.setConfigOptions(imageAxisOrder="row-major", antialias=False)

if sys.version_info < (3, 12):
    # PySide6 6.12 returns None from void C++ methods (setText, show, setRect, ...) without a new reference, so
    # every call takes one reference from None (some paths do the same to True/False); after a few thousand
    # calls CPython aborts with "deallocating None". Python 3.12+ makes these immortal; on 3.11 give them a
    # reference count no session can spend.
    import ctypes

    for _singleton in (None, True, False):
        ctypes.c_ssize_t.from_address(id(_singleton)).value += 1 << 48
