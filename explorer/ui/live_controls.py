"""The live source's controls: File-menu entries, a toolbar (play/pause, step, snapshot, loop, camera number,
resolution, mirror) and the rate readout. Everything binds to ``AppState.live``; the work is the controller's."""
from __future__ import annotations

import time
from pathlib import Path

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QLabel,
    QMenu,
    QSpinBox,
    QToolBar,
    QWidget,
)

from explorer.state.image import size_text
from explorer.state.live import RESOLUTIONS, LiveState
from explorer.ui.binding import bind, connect
from explorer.ui.live_source import LiveController
from explorer.ui.readout_line import ReadoutLine

VIDEO_FILTER = "Videos (*.mp4 *.avi *.mov *.mkv *.webm *.m4v *.mpg *.mpeg *.wmv);;All files (*)"
PLAY_PAUSE_KEY = "K"   # as in most video players; Space already plays the Playground's step animation
STEP_KEY = "L"
# While playing, the rate readout changes with every frame; people read it a few times a second, and each repaint of
# the toolbar is part of a live frame's cost to the window. Pausing or stopping shows the final figures at once.
RATE_REFRESH_S = 0.25


def _action(parent: QWidget, text: str, slot, shortcut: str | None, tip: str) -> QAction:
    action = QAction(text, parent)
    if shortcut:
        action.setShortcut(QKeySequence(shortcut))
    action.setToolTip(f"{tip} ({shortcut})" if shortcut else tip)
    action.setStatusTip(tip)
    action.triggered.connect(slot)
    return action


class LiveToolbar(QToolBar):
    """Shown while a camera or video is the source; hidden for a still image."""

    def __init__(self, controller: LiveController, parent: QWidget) -> None:
        super().__init__("Live source", parent)
        self.controller = controller
        live = controller.live
        self.setObjectName("live-toolbar")
        self.source_label = QLabel()
        self.play = _action(self, "Pause", controller.toggle, PLAY_PAUSE_KEY,
                            "Pause on the current frame (everything computed from it stays explorable), or play on")
        self.step = _action(self, "Step", controller.step, STEP_KEY, "Show the next frame only, then stay paused")
        self.snapshot = _action(self, "Snapshot…", self._snapshot_dialog, None, "Save the frame on screen as a PNG")
        self.loop = QCheckBox("Loop")
        self.loop.setToolTip("At the end of a video, start over (otherwise stop on its last frame).")
        self.camera = QSpinBox()
        self.camera.setRange(0, 9)
        self.camera.setPrefix("Camera ")
        self.camera.setToolTip("Which camera (0 is the system's first).")
        self.resolution = QComboBox()
        for w, h in RESOLUTIONS:
            self.resolution.addItem(size_text((h, w)))
        self.resolution.setToolTip("The picture size asked of the camera (it may send the nearest it has).")
        self.mirror = QCheckBox("Mirror")
        self.mirror.setToolTip("Flip the camera's picture left-right, like a mirror.")
        self.rate = ReadoutLine()  # new text every frame: no layout pass of the window for it
        self.rate.reserve("  stopped after 00000 shown, 000000 dropped")
        self.rate.setToolTip("Frames that reached the window per second, and frames skipped because a newer one "
                             "was ready before the window took them.")

        self.addWidget(self.source_label)
        self.addAction(self.play)
        self.addAction(self.step)
        self.addAction(self.snapshot)
        self.addSeparator()
        self._loop_action = self.addWidget(self.loop)
        self._camera_actions = [self.addWidget(w) for w in (self.camera, self.resolution, self.mirror)]
        self.addSeparator()
        self.addWidget(self.rate)

        bind(self.loop, live.events.loop, lambda: self.loop.setChecked(live.loop), self.loop.toggled,
             lambda on: setattr(live, "loop", on))
        bind(self.mirror, live.events.mirror, lambda: self.mirror.setChecked(live.mirror), self.mirror.toggled,
             lambda on: setattr(live, "mirror", on))
        bind(self.camera, live.events.camera, lambda: self.camera.setValue(live.camera), self.camera.valueChanged,
             lambda value: setattr(live, "camera", value))
        bind(self.resolution, live.events.resolution,
             lambda: self.resolution.setCurrentIndex(RESOLUTIONS.index(live.resolution)),
             self.resolution.currentIndexChanged, lambda i: setattr(live, "resolution", RESOLUTIONS[i]))
        for event in (live.events.source, live.events.name, live.events.running, live.events.playing):
            connect(self, event, self._show)
        self._rate_shown_at = 0.0
        connect(self, live.events.shown, self._frame_shown)  # once per frame: dropped and fps change with it
        self._show()

    def _show(self, *_: object) -> None:
        live: LiveState = self.controller.live
        self.setVisible(live.live)
        self.source_label.setText(f"  {live.name}  ")
        self.play.setText("Pause" if live.playing else "Play")
        self._loop_action.setVisible(live.source.startswith("video:"))
        for action in self._camera_actions:
            action.setVisible(live.source.startswith("camera:"))
        self._show_rate()

    def _frame_shown(self, *_: object) -> None:
        if not self.controller.live.playing or time.monotonic() - self._rate_shown_at >= RATE_REFRESH_S:
            self._show_rate()

    def _show_rate(self, *_: object) -> None:
        self._rate_shown_at = time.monotonic()
        self.rate.setText(f"  {self.controller.live.rate_text()}")

    def _snapshot_dialog(self) -> None:
        name = Path(self.controller.live.name or "frame").stem
        path, _ = QFileDialog.getSaveFileName(self, "Save frame", f"{name}-frame-{self.controller.live.shown}.png",
                                              "PNG (*.png)")
        if path:
            self.controller.snapshot(path)


def add_source_actions(menu: QMenu, controller: LiveController, parent: QWidget) -> None:
    """File ▸ Open Video…, Camera, Still Image."""

    def open_dialog() -> None:
        path, _ = QFileDialog.getOpenFileName(parent, "Open video", str(Path.home()), VIDEO_FILTER)
        if path:
            controller.open_video(path)

    menu.addAction(_action(parent, "Open &Video…", open_dialog, "Ctrl+Shift+V",
                           "Play a video file through every view, frame by frame"))
    menu.addAction(_action(parent, "&Camera", lambda: controller.open_camera(), "Ctrl+Shift+C",
                           "Show the webcam live in every view"))
    menu.addAction(_action(parent, "&Still Image", controller.still_image, "Ctrl+Shift+I",
                           "Stop the camera or video and show the picture from before it"))
