"""The Qt bindings themselves: PySide6 6.12.0 leaked a reference to None on every void call, which aborts
CPython ("deallocating None") after a few thousand calls. pyproject excludes it; this catches a repeat."""
import sys

from PySide6.QtWidgets import QLabel


def test_void_qt_calls_keep_none_alive(qtbot):
    label = QLabel()
    qtbot.addWidget(label)
    before = sys.getrefcount(None)
    for _ in range(2000):
        label.setText("x")
        label.setVisible(False)
    # Other code may take or drop a handful of references meanwhile; a leak would be 4000.
    assert abs(sys.getrefcount(None) - before) < 100
