"""Convolution Playground: one kernel over one image, every parameter live, every number explained.

The view binds to ``AppState.playground`` and ``AppState.image``: controls write intent, a change of anything the
map depends on schedules one compute task (at most one per frame; while one runs, only the newest waits; while a
camera or video plays and this tab is hidden, none until it is shown), and the canvases, formula, caption, taps and
arithmetic are repainted from the state. Readouts come from
``state.playground.readout`` on the outcome on screen, so they can never describe an older kernel or map.
"""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QCheckBox,
    QDoubleSpinBox,
    QFileDialog,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from explorer.core import render
from explorer.core.conv import resolve_padding
from explorer.core.errors import UserError
from explorer.state.app import AppState
from explorer.state.batch import batched
from explorer.state.playground import compute, readout
from explorer.ui import style
from explorer.ui.binding import Coalesced, bind, connect
from explorer.ui.playground.animation import StepAnimator
from explorer.ui.playground.arithmetic_panel import ArithmeticPanel
from explorer.ui.playground.canvases import InputCanvas, OutputCanvas
from explorer.ui.playground.controls import LIMITS, ParamControls
from explorer.ui.playground.formula_panel import FormulaPanel
from explorer.ui.playground.kernel_editor import KernelEditor
from explorer.ui.playground.magnifier import Magnifier, should_magnify
from explorer.ui.playground.tap_overlay import TapOverlay
from explorer.ui.wrapped_label import WrappedLabel
from explorer.workers import tasks
from explorer.workers.runner import TaskRunner

TASK = "playground"
MAP_INPUTS = ("size", "stride", "padding", "dilation", "mode", "kernel", "pool_kind", "pool_size", "pool_stride")


class PlaygroundView(QWidget):
    def __init__(self, app: AppState, runner: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFont(style.font(style.LABEL_PT))
        self.app = app
        self.state = app.playground
        self.runner = runner
        self.recompute_count = 0
        self._input_key: tuple[int, str] | None = None  # (image id, mode) last painted on the input canvas
        self._input_fit: tuple | None = None  # (input hw, padding) the input view was last fitted to
        self._stale = False  # a map input changed while hidden during playback: compute when shown (or flushed)

        self.controls = ParamControls(self.state)
        self.kernel_editor = KernelEditor(self.state, lambda text: app.status.show(text, error=True,
                                                                                  topic="playground"))
        self.animator = StepAnimator(self.state, self)
        self.input_canvas = InputCanvas("Input")
        self.output_canvas = OutputCanvas("Output")
        self.taps = TapOverlay(self.input_canvas.plot)
        self.magnifier = Magnifier(self.input_canvas)
        self.magnify_box = QCheckBox("Magnify the window on large images (Z)")
        self.magnify_box.setToolTip("An inset over the input shows the hovered unit's window large, with its values.")
        bind(self.magnify_box, self.state.events.magnify, lambda: self.magnify_box.setChecked(self.state.magnify),
             self.magnify_box.toggled, lambda on: setattr(self.state, "magnify", on))
        self.formula = FormulaPanel()
        self.error_label = QLabel()
        self.error_label.setStyleSheet(f"color: {style.ERROR.name()};")
        self.error_label.setFont(style.font(style.TITLE_PT, bold=True))   # a font, not a style sheet size: zoom scales it
        self.error_label.setWordWrap(True)
        self.error_label.hide()
        self.caption = WrappedLabel()  # what a lecture example wants the class to look at
        self.caption.setStyleSheet("background: #fff4cc; border: 1px solid #e0c060; padding: 6px;")
        self.caption.setFont(style.font(style.TITLE_PT))
        self.caption.hide()
        self.arithmetic = ArithmeticPanel()
        self._build_layout(self._animation_box())
        self._add_shortcuts()

        self._compute = Coalesced(self, self._submit)  # at most one computation per frame
        self.animator.state_changed.connect(lambda playing: self.play_button.setText("Pause" if playing else "Play"))
        self.output_canvas.hovered.connect(self._pointer_over)
        self.output_canvas.clicked.connect(lambda row, col: self.state.click_unit((row, col)))

        events = self.state.events
        for name in MAP_INPUTS:
            connect(self, getattr(events, name), self._schedule)
        for name in MAP_INPUTS + ("lesson",):
            connect(self, getattr(events, name), self._show_caption)
        connect(self, app.image.events.image, self._image_changed)
        connect(self, events.outcome, self._paint_outcome)
        connect(self, events.error, self._show_error)
        connect(self, events.hover, self._show_readout)
        connect(self, events.magnify, self._show_readout)
        connect(self, events.animation, self._animation_moved)
        self._show_caption()
        if app.image.image is not None:
            self._schedule()

    # ----- what the main window and app.py use ---------------------------------------------------------------
    def output_map(self):
        """The map on screen (core's array), after any pending recompute."""
        self.flush()
        outcome = self.state.outcome
        return None if outcome is None else outcome.result.output

    def error_text(self) -> str:
        return self.state.error

    def flush(self) -> None:
        """Compute now on this thread when a recompute is pending (exports and tests want the latest map)."""
        self.kernel_editor.flush()
        image = self.app.image.image
        if image is None or not (self._compute.pending or self._stale or self.runner.is_busy(TASK)):
            return
        self._stale = False
        self._compute.stop()
        self.runner.cancel(TASK)
        self.state.accept(compute(image, self.state.settings()))

    def export_output_png(self, path: str | Path) -> bool:
        """Save core's output map as PNG in the colours the window and the CLI use (one pixel per unit; small
        maps with big squares and their values)."""
        output = self.output_map()
        if output is None:
            self.app.status.show("Nothing to export yet: load an image first.", error=True, topic="playground")
            return False
        try:
            render.write_png(path, render.export_rgb(output))   # small maps slide-ready, as the CLI writes them
        except UserError as exc:
            self.app.status.show(str(exc), error=True, topic="playground")
            return False
        self.app.status.show(f"Saved the {output.shape[1]}×{output.shape[0]} output map to {path}.",
                             topic="playground")
        return True

    def shutdown(self) -> None:
        """Stop every timer (the main window calls this before closing)."""
        self.animator.pause()
        self._compute.stop()
        self.kernel_editor.shutdown()

    # ----- state → work ----------------------------------------------------------------------------------------
    def _image_changed(self, *_: object) -> None:
        image = self.app.image
        outcome = self.state.outcome
        same_size = outcome is not None and image.image is not None and \
            outcome.image.pixels.shape[:2] == image.image.pixels.shape[:2]
        with batched(self.state.events):
            if self.state.lesson and image.origin != f"lesson:{self.state.lesson}":
                self.state.lesson = ""  # another picture ends the lecture example
            self.state.animation = -1
            if not same_size:  # the next video frame keeps the pinned unit; its readout follows the new map
                self.state.hover, self.state.pinned = None, False
        self._schedule()
        if self.app.live.playing:
            self._compute.flush()  # frames come one at a time already; the live controller counts the task as busy

    def _schedule(self, *_: object) -> None:
        if self.app.image.image is None:
            return
        if self.app.live.playing and not self.isVisible():
            # Nobody sees this map; computing it on every frame would slow the view that is on screen.
            self._stale = True
            return
        self._stale = False
        self._compute.trigger()

    def _submit(self) -> None:
        self.recompute_count += 1
        self.runner.submit(TASK, tasks.compute_playground, self.app.image.image, self.state.settings(),
                           on_done=self.state.accept, coalesce=True)

    # ----- state → screen --------------------------------------------------------------------------------------
    def _show_caption(self, *_: object) -> None:
        text = self.state.caption()
        self.caption.setText(text)
        self.caption.setVisible(bool(text))

    def _show_error(self, *_: object) -> None:
        # The previous map, taps and formula stay on screen; the line under the formula says what is wrong.
        self.error_label.setText(self.state.error)
        self.error_label.setVisible(bool(self.state.error))
        if self.state.error:
            self.app.status.show(self.state.error, error=True, topic="playground")
        else:
            self.app.status.clear_topic("playground")

    def _paint_outcome(self, *_: object) -> None:
        outcome = self.state.outcome
        if outcome is None:
            return
        result, s = outcome.result, outcome.settings
        pixels = outcome.image.pixels
        hw = pixels.shape[:2]
        self.formula.show_numbers(hw, s.params, s.pool, channels=result.plane.shape[2] if result.plane.ndim == 3 else 1)
        if self._input_key != (id(outcome.image), s.mode):
            self._input_key = (id(outcome.image), s.mode)
            self.input_canvas.set_input(outcome.input_rgb, pixels, result.plane, s.mode)
        pads = (*resolve_padding(hw[0], s.params), *resolve_padding(hw[1], s.params))
        self.taps.set_padding(hw, pads[:2], pads[2:])
        if self._input_fit != (hw, pads):  # the band (and taps in it) must be on screen, so refit when it changes
            self._input_fit = (hw, pads)
            self.input_canvas.fit(pads)
        if self.state.animation >= 0:
            self.state.animation = -1
            self.animator.step()  # a running animation starts over on the new map (and repaints)
        else:
            self._paint_output()
        self._show_readout()

    def _paint_output(self) -> None:
        """The whole map, or during the animation only the units computed so far."""
        outcome = self.state.outcome
        out = outcome.result.output
        pool = outcome.settings.pool
        title = f"Output {out.shape[1]}×{out.shape[0]}"
        if pool.kind != "none":
            title += f" · {'max' if pool.kind == 'max' else 'avg'} pool"  # short: the title cannot wrap
        revealed = self.state.animation + 1 if self.state.animation >= 0 else None
        if revealed is not None:
            title += f" — {revealed} of {out.size} computed"
        self.output_canvas.set_title(title)
        self.output_canvas.set_map(out, revealed, outcome.output_rgb, outcome.limit)

    def _show_readout(self, *_: object) -> None:
        shown = readout(self.state.outcome, self.state.hover)
        if shown is None:
            self.taps.clear()
            self.magnifier.hide_field()
            self.output_canvas.mark(-1, -1)
            self.arithmetic.clear()
            return
        rf = shown.field
        self.taps.show_taps(rf.taps, rf.in_padding, rf.box)
        if should_magnify(self.state.outcome, self.state.magnify):
            self.magnifier.show_field(self.state.outcome, shown.unit, rf)
        else:
            self.magnifier.hide_field()
        self.output_canvas.mark(*shown.unit)
        if not shown.pooled:
            f = shown.kernel.shape[0]
            self.arithmetic.show_unit(shown.unit, shown.patch, shown.kernel, rf.in_padding.reshape(f, f), shown.value)
            return
        self.arithmetic.show_pooling(shown.unit, shown.pool_window, shown.pool_taken,
                                     self.state.outcome.settings.pool.kind, shown.value)

    def _animation_moved(self, *_: object) -> None:
        if self.state.outcome is not None:
            self._paint_output()

    def _pointer_over(self, row: int, col: int) -> None:
        if self.state.animation < 0:
            self.state.hover_unit((row, col) if row >= 0 else None)

    # ----- layout ----------------------------------------------------------------------------------------------
    def _animation_box(self) -> QGroupBox:
        box = QGroupBox("Step animation")
        self.play_button = QPushButton("Play")
        self.play_button.setToolTip("Slide the kernel over the image one output pixel at a time (key Space).")
        self.play_button.clicked.connect(self.animator.toggle)
        step = QPushButton("Step")
        step.setToolTip("Compute the next output pixel only (key .).")
        step.clicked.connect(self.animator.step)
        reset = QPushButton("Show all")
        reset.setToolTip("Stop the animation and show the whole output map (key R).")
        reset.clicked.connect(self.animator.reset)
        self.speed = QDoubleSpinBox()
        self.speed.setRange(0.5, 60.0)
        self.speed.setValue(4.0)
        self.speed.setSuffix(" steps/s")
        self.speed.setToolTip("Animation speed in output pixels per second.")
        self.speed.valueChanged.connect(self.animator.set_speed)
        buttons = QHBoxLayout()
        for button in (self.play_button, step, reset):
            button.setMinimumHeight(34)
            buttons.addWidget(button)
        layout = QVBoxLayout(box)
        layout.addLayout(buttons)
        layout.addWidget(self.speed)
        return box

    def _build_layout(self, animation: QGroupBox) -> None:
        export = QPushButton("Export output PNG…")
        export.setToolTip("Save the output map as a PNG in the colours shown (small maps: big squares with their values).")
        export.setMinimumHeight(34)
        export.clicked.connect(self._export_dialog)
        left = QWidget()
        column = QVBoxLayout(left)
        column.addWidget(self.controls)
        column.addWidget(self.kernel_editor)
        column.addWidget(animation)
        column.addWidget(export)
        column.addWidget(self.magnify_box)
        column.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidget(left)
        scroll.setWidgetResizable(True)
        scroll.setMinimumWidth(430)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)

        canvases = QSplitter(Qt.Orientation.Horizontal)
        canvases.addWidget(self.input_canvas)
        canvases.addWidget(self.output_canvas)
        below = QWidget()
        text = QVBoxLayout(below)
        text.setContentsMargins(0, 0, 0, 0)
        text.addWidget(self.caption)
        text.addWidget(self.formula)
        text.addWidget(self.error_label)
        text.addWidget(self.arithmetic, 1)
        right = QSplitter(Qt.Orientation.Vertical)
        right.addWidget(canvases)
        right.addWidget(below)
        right.setStretchFactor(0, 1)
        right.setStretchFactor(1, 1)
        right.setSizes([520, 420])  # canvases vs. formula + arithmetic: the 7×7 grids need the room
        layout = QHBoxLayout(self)
        layout.addWidget(scroll)
        layout.addWidget(right, 1)

    def _add_shortcuts(self) -> None:
        s = self.state

        def stepper(name: str, delta: int):
            return lambda: s.step_param(name, delta, *LIMITS[name])

        keys = {
            "]": stepper("size", 1), "[": stepper("size", -1),
            "S": stepper("stride", 1), "Shift+S": stepper("stride", -1),
            "P": stepper("padding", 1), "Shift+P": stepper("padding", -1),
            "D": stepper("dilation", 1), "Shift+D": stepper("dilation", -1),
            "M": s.cycle_mode, "Z": lambda: setattr(s, "magnify", not s.magnify),
            "Space": self.animator.toggle, ".": self.animator.step, "R": self.animator.reset,
        }
        self.shortcuts: dict[str, QShortcut] = {}
        for key, slot in keys.items():
            shortcut = QShortcut(QKeySequence(key), self)
            shortcut.activated.connect(slot)
            self.shortcuts[key] = shortcut

    def _export_dialog(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export output map", "output-map.png", "PNG (*.png)")
        if path:
            self.export_output_png(path)

    # ----- lifecycle: no timer outlives the view ---------------------------------------------------------------
    def showEvent(self, event) -> None:  # noqa: N802 (Qt naming)
        super().showEvent(event)
        if self._stale:  # catch up with the frame on screen now
            self._schedule()

    def hideEvent(self, event) -> None:
        self.animator.pause()
        super().hideEvent(event)

    def closeEvent(self, event) -> None:
        self.shutdown()
        super().closeEvent(event)
