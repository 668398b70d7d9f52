"""What a teacher at a projector needs around the views: clicker keys for the lesson, presentation zoom, the
projector theme, a shortcut sheet (F1 or ?) and a first-run hint. ``install(window)`` adds them to the main window
without the window knowing the details; everything it changes goes through the state.
"""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QColor, QKeySequence, QPalette, QShortcut
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QMenu,
    QPushButton,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from explorer.state import AppState
from explorer.state.lesson import advance
from explorer.ui import zoom
from explorer.ui.binding import connect
from explorer.ui.lecture.lesson_view import LessonBar

HINT = ("New here? Start in the <b>Lesson</b> tab (Ctrl+4) and press PageDown to walk through the lecture, "
        "or change f, s, p and d in the Playground and watch the output. F1 lists every shortcut.")
LESSON_KEYS = (("PageDown (Space outside the Playground)", "next lesson step"), ("PageUp", "previous lesson step"),
               ("Ctrl+= / Ctrl+- / Ctrl+0", "zoom in / out / back to 100 %"), ("F1 or ?", "this sheet"))


class FirstRunHint(QWidget):
    """A dismissible line above the tabs; dismissing it is remembered in the session."""

    def __init__(self, state: AppState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.label = QLabel(HINT)
        self.label.setWordWrap(True)
        button = QPushButton("Got it")
        button.clicked.connect(lambda: setattr(state, "hint_seen", True))
        layout = QHBoxLayout(self)
        layout.setContentsMargins(6, 2, 6, 2)
        layout.addWidget(self.label, 1)
        layout.addWidget(button)
        palette = self.palette()   # a palette, not a style sheet: style sheets stop zoomed fonts reaching children
        palette.setColor(QPalette.ColorRole.Window, QColor(255, 244, 194))
        self.setPalette(palette)
        self.setAutoFillBackground(True)
        connect(self, state.events.hint_seen, lambda *_: self.setVisible(not state.hint_seen))
        self.setVisible(not state.hint_seen)


def shortcut_sheet(window: QMainWindow) -> str:
    """Every menu action with a shortcut, plus the lesson and zoom keys, as an HTML table."""
    rows = [(keys, what) for keys, what in LESSON_KEYS]
    for menu in window.menuBar().findChildren(QMenu):
        for action in menu.actions():
            if not action.shortcut().isEmpty():
                rows.append((action.shortcut().toString(QKeySequence.SequenceFormat.NativeText),
                             action.text().replace("&", "")))
    body = "".join(f"<tr><td><b>{k}</b></td><td>&nbsp;&nbsp;{w}</td></tr>" for k, w in rows)
    return f"<h3>Keyboard shortcuts</h3><table>{body}</table>"


def show_shortcut_sheet(window: QMainWindow) -> QDialog:
    dialog = QDialog(window)
    dialog.setWindowTitle("Keyboard shortcuts")
    text = QTextBrowser()
    text.setHtml(shortcut_sheet(window))
    layout = QVBoxLayout(dialog)
    layout.addWidget(text)
    dialog.resize(560, 600)
    dialog.show()
    return dialog


def install(window: QMainWindow, state: AppState, tabs: QWidget) -> QWidget:
    """Add the presenter's pieces around ``tabs``; returns the widget to use as the central widget."""
    central = QWidget()
    layout = QVBoxLayout(central)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.setSpacing(0)
    layout.addWidget(FirstRunHint(state))
    layout.addWidget(tabs, 1)
    layout.addWidget(LessonBar(state))

    for keys, delta in (("PgDown", +1), ("PgUp", -1)):   # Qt's names for PageDown and PageUp
        QShortcut(QKeySequence(keys), window).activated.connect(lambda d=delta: advance(state, d))
    # Space means "next" only while a lesson runs, and not in the Playground, where it plays the animation (two
    # shortcuts on one key would both stay silent). Elsewhere it stays the key that presses buttons.
    space = QShortcut(QKeySequence("Space"), window)
    space.activated.connect(lambda: advance(state, +1))

    def space_is_next(*_: object) -> None:
        space.setEnabled(state.lesson.step >= 0 and state.tab != "playground")

    for signal in (state.lesson.events.step, state.events.tab):
        connect(window, signal, space_is_next)
    space_is_next()
    for keys in ("F1", "?"):
        QShortcut(QKeySequence(keys), window).activated.connect(lambda: show_shortcut_sheet(window))

    view_menu = _menu(window, "&View")
    view_menu.addSeparator()
    for text, keys, direction in (("Zoom &In", ("Ctrl+=", "Ctrl++"), +1), ("Zoom &Out", ("Ctrl+-",), -1),
                                  ("&Reset Zoom", ("Ctrl+0",), 0)):
        action = QAction(text, window)
        action.setShortcuts([QKeySequence(k) for k in keys])
        action.triggered.connect(lambda _=False, d=direction: state.step_zoom(d))
        view_menu.addAction(action)
    theme = QAction("&Projector Theme (high contrast)", window)
    theme.setCheckable(True)
    theme.setShortcut(QKeySequence("Ctrl+Shift+H"))
    theme.toggled.connect(lambda on: setattr(state, "theme", "projector" if on else "normal"))
    view_menu.addAction(theme)
    help_action = QAction("&Keyboard Shortcuts", window)
    help_action.triggered.connect(lambda: show_shortcut_sheet(window))
    _menu(window, "&Help").addAction(help_action)

    def restyle(*_: object) -> None:
        theme.setChecked(state.theme == "projector")
        app = QApplication.instance()
        app.setPalette(zoom.palette(state.theme))
        # Under a style sheet Qt stops passing a parent's font on to its children unless told to: with the
        # projector theme, a zoom changed after the window showed left the Compare table and labels at 9 pt.
        app.setAttribute(Qt.ApplicationAttribute.AA_UseStyleSheetPropagationInWidgetStyles)
        sheet = zoom.PROJECTOR_SHEET if state.theme == "projector" else ""
        if app.styleSheet() != sheet:   # setting it again would re-polish every widget on each zoom step
            app.setStyleSheet(sheet)
        zoom.apply(window, state.zoom, state.theme)

    for signal in (state.events.zoom, state.events.theme, state.events.tab):  # a tab's lazily built widgets too
        connect(window, signal, restyle)
    if state.zoom != 1.0 or state.theme != "normal":   # a restored session
        restyle()
    return central


def _menu(window: QMainWindow, title: str) -> QMenu:
    for action in window.menuBar().actions():
        if action.text() == title and action.menu() is not None:
            return action.menu()
    return window.menuBar().addMenu(title)
