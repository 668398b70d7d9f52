"""What a teacher at a projector needs around the views: clicker keys for the lesson, presentation zoom, the
projector theme, a shortcut sheet (F1 or ?) and a first-run hint. ``install(window)`` adds them to the main window
without the window knowing the details; everything it changes goes through the state.
"""
from __future__ import annotations

import html

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
    QTabWidget,
    QTextBrowser,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from explorer.state import AppState
from explorer.state.app import TABS
from explorer.state.lesson import advance
from explorer.ui import zoom
from explorer.ui.binding import connect
from explorer.ui.lecture.lesson_view import LessonBar

HINT = ("New here? Start in the <b>Lesson</b> tab (Ctrl+4) and press PageDown to walk through the lecture, "
        "or change f, s, p and d in the Playground and watch the output. F1 lists every shortcut.")
# What the views' own keys do, by tab and key (PortableText). The views register the keys; the sheet lists those
# registered, so a key removed from a view leaves the sheet, and a test fails for a registered key not described here.
VIEW_KEYS = {
    "playground": {
        "]": "filter size f + 1", "[": "filter size f − 1", "S": "stride s + 1", "Shift+S": "stride s − 1",
        "P": "padding p + 1", "Shift+P": "padding p − 1", "D": "dilation d + 1", "Shift+D": "dilation d − 1",
        "M": "next input channel (gray, R, G, B, volume)",
        "Z": "magnifier on / off (the hovered unit's window, large, on big images)",
        "Space": "play / pause the sliding-window animation", ".": "one animation step",
        "R": "animation back to the start",
    },
    "explorer": {"Left": "previous layer", "Right": "next layer", "Home": "first layer", "End": "last layer"},
}


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


def _keys_text(sequences: list[QKeySequence]) -> str:
    return " / ".join(k.toString(QKeySequence.SequenceFormat.NativeText) for k in sequences)


def shortcut_rows(window: QMainWindow, tabs: QTabWidget) -> list[tuple[str, str, str]]:
    """(where, keys, what) for every shortcut registered in the window, grouped by where it works: window-wide
    keys (described by their ``whatsThis``), menu actions, toolbar actions, then each tab's own keys."""
    in_tabs = {id(s) for i in range(tabs.count()) for s in tabs.widget(i).findChildren(QShortcut)}
    rows = [("Everywhere", _keys_text([s.key()]), s.whatsThis())
            for s in window.findChildren(QShortcut) if id(s) not in in_tabs]
    actions: dict[str, list[tuple[str, str, str]]] = {}
    for action in window.findChildren(QAction):
        if action.shortcuts():
            bars = [o for o in action.associatedObjects() if isinstance(o, QToolBar)]
            where = f"{bars[0].windowTitle()} (toolbar)" if bars else "Menus"
            keys = _keys_text(action.shortcuts())
            actions.setdefault(where, []).append((where, keys, action.text().replace("&", "")))
    rows += [row for group in actions.values() for row in group]
    for i in range(tabs.count()):
        described = VIEW_KEYS.get(TABS[i], {})
        for shortcut in tabs.widget(i).findChildren(QShortcut):
            key = shortcut.key().toString(QKeySequence.SequenceFormat.PortableText)
            rows.append((tabs.tabText(i), _keys_text([shortcut.key()]), described.get(key, "")))
    return rows


def shortcut_sheet(window: QMainWindow, tabs: QTabWidget) -> str:
    """Every shortcut the window has, grouped by where it works, as an HTML table."""
    body, where = "", None
    for group, keys, what in shortcut_rows(window, tabs):
        if group != where:
            body += f"<tr><td colspan=2><br><i>{html.escape(group)}</i></td></tr>"
            where = group
        body += f"<tr><td><b>{html.escape(keys)}</b></td><td>&nbsp;&nbsp;{html.escape(what)}</td></tr>"
    return f"<h3>Keyboard shortcuts</h3><table>{body}</table>"


def show_shortcut_sheet(window: QMainWindow, tabs: QTabWidget) -> QDialog:
    dialog = QDialog(window)
    dialog.setWindowTitle("Keyboard shortcuts")
    text = QTextBrowser()
    text.setHtml(shortcut_sheet(window, tabs))
    layout = QVBoxLayout(dialog)
    layout.addWidget(text)
    dialog.resize(560, 600)
    dialog.show()
    return dialog


def install(window: QMainWindow, state: AppState, tabs: QTabWidget) -> QWidget:
    """Add the presenter's pieces around ``tabs``; returns the widget to use as the central widget."""
    central = QWidget()
    layout = QVBoxLayout(central)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.setSpacing(0)
    layout.addWidget(FirstRunHint(state))
    layout.addWidget(tabs, 1)
    layout.addWidget(LessonBar(state))

    # Qt's names for PageDown and PageUp
    for keys, delta, what in (("PgDown", +1, "next lesson step"), ("PgUp", -1, "previous lesson step")):
        _shortcut(window, keys, what).activated.connect(lambda d=delta: advance(state, d))
    # Space means "next" only while a lesson runs, and not in the Playground, where it plays the animation (two
    # shortcuts on one key would both stay silent). Elsewhere it stays the key that presses buttons.
    space = _shortcut(window, "Space", "next lesson step, while a lesson runs (not in the Playground)")
    space.activated.connect(lambda: advance(state, +1))

    def space_is_next(*_: object) -> None:
        space.setEnabled(state.lesson.step >= 0 and state.tab != "playground")

    for signal in (state.lesson.events.step, state.events.tab):
        connect(window, signal, space_is_next)
    space_is_next()
    for keys in ("F1", "?"):
        _shortcut(window, keys, "this sheet").activated.connect(lambda: show_shortcut_sheet(window, tabs))

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
    help_action.triggered.connect(lambda: show_shortcut_sheet(window, tabs))
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


def _shortcut(window: QMainWindow, keys: str, what: str) -> QShortcut:
    """A window-wide key; ``what`` is its line in the shortcut sheet."""
    shortcut = QShortcut(QKeySequence(keys), window)
    shortcut.setWhatsThis(what)
    return shortcut


def _menu(window: QMainWindow, title: str) -> QMenu:
    for action in window.menuBar().actions():
        if action.text() == title and action.menu() is not None:
            return action.menu()
    return window.menuBar().addMenu(title)
