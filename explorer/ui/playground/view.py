"""Convolution Playground: one kernel over one image, every parameter live, every number explained.

The view wires widgets to core: parameters and kernel go to ``conv.playground_forward``; taps come from core's
receptive-field functions; the formula and cost from ``formula_text``/``layer_cost``. Nothing here convolves.
Parameter changes only mark the view dirty; a single-shot zero-delay timer recomputes once with the latest
values, so dragging or key-repeating through many values never queues up work.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
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
from explorer.core.conv import (
    ConvParams,
    PlaygroundResult,
    PoolParams,
    playground_forward,
    pooled_unit_receptive_field,
    resolve_padding,
    unit_receptive_field,
)
from explorer.core.errors import UserError
from explorer.core.images import LoadedImage
from explorer.ui import style
from explorer.ui.playground.animation import StepAnimator
from explorer.ui.playground.arithmetic_panel import ArithmeticPanel
from explorer.ui.playground.canvases import InputCanvas, OutputCanvas
from explorer.ui.playground.controls import ParamControls
from explorer.ui.playground.formula_panel import FormulaPanel
from explorer.ui.playground.kernel_editor import KernelEditor
from explorer.ui.playground.tap_overlay import TapOverlay


@dataclass(frozen=True)
class _Shown:
    """The settings that produced the map on screen; hover uses these, not the (maybe invalid) current controls."""

    result: PlaygroundResult
    params: ConvParams
    pool: PoolParams
    input_hw: tuple[int, int]
    kernel: np.ndarray


class PlaygroundView(QWidget):
    status_message = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFont(style.font(style.LABEL_PT))
        self._image: LoadedImage | None = None
        self._shown: _Shown | None = None
        self._input_key: tuple[int, str] | None = None  # (image id, mode) last painted on the input canvas
        self._input_fit: tuple | None = None  # (input hw, padding) the input view was last fitted to
        self._hover: tuple[int, int] | None = None
        self._pinned = False
        self.recompute_count = 0
        self.last_compute_seconds = 0.0

        self.controls = ParamControls()
        self.kernel_editor = KernelEditor(self.controls.size.value())
        self.animator = StepAnimator(self)
        self.input_canvas = InputCanvas("Input")
        self.output_canvas = OutputCanvas("Output")
        self.taps = TapOverlay(self.input_canvas.plot)
        self.formula = FormulaPanel()
        self.error_label = QLabel()
        self.error_label.setStyleSheet(f"color: {style.ERROR.name()}; font-weight: bold; font-size: {style.TITLE_PT}pt;")
        self.error_label.setWordWrap(True)
        self.error_label.hide()
        self.caption = QLabel()  # what a lecture example wants the class to look at
        self.caption.setWordWrap(True)
        self.caption.setStyleSheet(f"background: #fff4cc; border: 1px solid #e0c060; padding: 6px; "
                                   f"font-size: {style.TITLE_PT}pt;")
        self.caption.hide()
        self.arithmetic = ArithmeticPanel()
        self._build_layout(self._animation_box())
        self._add_shortcuts()

        self._recompute_timer = QTimer(self)
        self._recompute_timer.setSingleShot(True)
        self._recompute_timer.setInterval(0)
        self._recompute_timer.timeout.connect(self._recompute)
        self.controls.changed.connect(self._schedule)
        self.controls.size.valueChanged.connect(self.kernel_editor.set_size)
        self.kernel_editor.changed.connect(self._schedule)
        self.animator.moved.connect(self._animation_moved)
        self.animator.state_changed.connect(lambda playing: self.play_button.setText("Pause" if playing else "Play"))
        self.output_canvas.hovered.connect(self._mouse_hover)
        self.output_canvas.clicked.connect(self._mouse_click)

    # ----- public API ----------------------------------------------------------------------------------------
    def set_image(self, image: LoadedImage) -> None:
        self.set_caption("")  # a new picture ends any lecture example
        self._image = image
        self._hover = None
        self._pinned = False
        self._schedule()

    def set_caption(self, text: str) -> None:
        """A highlighted line above the formula (the lecture example's point); empty hides it."""
        self.caption.setText(text)
        self.caption.setVisible(bool(text))

    def configure(self, kernel: np.ndarray, params: ConvParams, pool: PoolParams, mode: str,
                  preset: str | None = None) -> None:
        """Set every control and the kernel at once (the Lecture menu); one coalesced recompute follows."""
        self.controls.set_values(params, pool, mode)  # a size change regenerates the kernel, so set it after
        self.kernel_editor.set_kernel(kernel, preset)
        self._hover = None
        self._pinned = False

    def conv_params(self) -> ConvParams:
        return self.controls.conv_params()

    def pool_params(self) -> PoolParams:
        return self.controls.pool_params()

    def output_map(self) -> np.ndarray | None:
        """The map on screen (core's array), after any pending recompute."""
        self.flush()
        return None if self._shown is None else self._shown.result.output

    def error_text(self) -> str:
        return self.error_label.text() if not self.error_label.isHidden() else ""

    def flush(self) -> None:
        """Run a pending recompute now (tests and exporters want the latest map, not the next event loop turn)."""
        if self._recompute_timer.isActive():
            self._recompute_timer.stop()
            self._recompute()

    def hover_output(self, row: int, col: int) -> None:
        """Mark output unit (row, col): its taps on the input, its box on the output, its arithmetic below."""
        shown = self._shown
        if shown is None or not (0 <= row < shown.result.output.shape[0] and 0 <= col < shown.result.output.shape[1]):
            self.clear_hover()
            return
        self._hover = (row, col)
        rf = (unit_receptive_field(row, col, shown.input_hw, shown.params) if shown.pool.kind == "none"
              else pooled_unit_receptive_field(row, col, shown.input_hw, shown.params, shown.pool))
        self.taps.show_taps(rf.taps, rf.in_padding, rf.box)
        self.output_canvas.mark(row, col)
        value = float(shown.result.output[row, col])
        if shown.pool.kind == "none":
            f = shown.params.size
            self.arithmetic.show_unit((row, col), self._patch(rf.taps, rf.in_padding, shown), shown.kernel,
                                      rf.in_padding.reshape(f, f), value)
        else:
            name = "maximum" if shown.pool.kind == "max" else "average"
            k = shown.pool.size
            self.arithmetic.show_message(
                f"pooled output[{row}, {col}] = {value:.4g}: the {name} of a {k}×{k} window of the convolution "
                f"map. The input shows the union of those units' taps ({len(rf.taps)} pixels).")

    def clear_hover(self) -> None:
        self._hover = None
        self.taps.clear()
        self.output_canvas.mark(-1, -1)
        self.arithmetic.clear()

    def export_output_png(self, path: str | Path) -> bool:
        """Save core's output map as PNG, one pixel per unit, in the colours the window and the CLI use."""
        output = self.output_map()
        if output is None:
            self.status_message.emit("Nothing to export yet: load an image first.")
            return False
        h, w = output.shape
        try:
            render.write_png(path, render.signed_to_rgb(output))  # the CLI's colours, one pixel per unit
        except UserError as exc:
            self.status_message.emit(str(exc))
            return False
        self.status_message.emit(f"Saved the {h}×{w} output map to {path}.")
        return True

    def shutdown(self) -> None:
        """Stop every timer (the main window calls this before closing)."""
        self.animator.pause()
        self._recompute_timer.stop()

    # ----- recompute -----------------------------------------------------------------------------------------
    def _schedule(self) -> None:
        if not self._recompute_timer.isActive():
            self._recompute_timer.start()

    def _recompute(self) -> None:
        self.recompute_count += 1
        if self._image is None:
            return
        pixels = self._image.pixels
        params, pool, mode = self.controls.conv_params(), self.controls.pool_params(), self.controls.channel_mode()
        kernel = self.kernel_editor.kernel()
        hw = pixels.shape[:2]
        start = time.perf_counter()
        try:
            result = playground_forward(pixels, kernel, params, mode, pool)
            self.formula.show_numbers(hw, params, pool, channels=result.plane.shape[2] if result.plane.ndim == 3 else 1)
        except UserError as error:
            # Keep the previous map, taps and formula on screen; say what is wrong right under the formula.
            self.error_label.setText(str(error))
            self.error_label.show()
            self.status_message.emit(str(error))
            return
        self.last_compute_seconds = time.perf_counter() - start
        self.error_label.hide()
        self._shown = _Shown(result, params, pool, hw, kernel)
        if self._input_key != (id(self._image), mode):
            self._input_key = (id(self._image), mode)
            self.input_canvas.set_input(pixels, result.plane, mode)
        pads = (*resolve_padding(hw[0], params), *resolve_padding(hw[1], params))
        self.taps.set_padding(hw, pads[:2], pads[2:])
        if self._input_fit != (hw, pads):  # the band (and taps in it) must be on screen, so refit when it changes
            self._input_fit = (hw, pads)
            self.input_canvas.fit(pads)
        out = result.output
        self.animator.set_shape(*out.shape)  # a running animation restarts and repaints via _animation_moved
        if not self.animator.active:
            self._paint_output()
            if self._hover is not None:
                self.hover_output(*self._hover)

    def _paint_output(self) -> None:
        """The whole map, or during the animation only the units computed so far."""
        shown = self._shown
        out = shown.result.output
        title = f"Output {out.shape[0]}×{out.shape[1]}"
        if shown.pool.kind != "none":
            title += f" after {'max' if shown.pool.kind == 'max' else 'average'} pooling"
        revealed = self.animator.revealed if self.animator.active else None
        if revealed is not None:
            title += f" — {revealed} of {out.size} computed"
        self.output_canvas.set_title(title)
        self.output_canvas.set_map(out, revealed)

    @staticmethod
    def _patch(taps: np.ndarray, in_padding: np.ndarray, shown: _Shown) -> np.ndarray:
        """Input values under the taps, shaped like the kernel (zeros where a tap reads padding)."""
        plane = shown.result.plane
        inside = ~in_padding
        values = np.zeros((len(taps), *plane.shape[2:]), np.float32)
        values[inside] = plane[taps[inside, 0], taps[inside, 1]]
        f = shown.params.size
        return values.reshape(f, f, *plane.shape[2:])

    # ----- pointer and animation -----------------------------------------------------------------------------
    def _mouse_hover(self, row: int, col: int) -> None:
        if self._pinned or self.animator.active or (row, col) == self._hover:
            return
        self.hover_output(row, col) if row >= 0 else self.clear_hover()

    def _mouse_click(self, row: int, col: int) -> None:
        """Click pins a unit so the pointer can travel to the panel; clicking it again releases it."""
        self._pinned = not (self._pinned and self._hover == (row, col))
        self.hover_output(row, col)

    def _animation_moved(self, row: int, col: int) -> None:
        if self._shown is not None:
            self._paint_output()
            self.hover_output(row, col)

    def _reset_animation(self) -> None:
        self.animator.reset()
        if self._shown is not None:
            self._paint_output()

    # ----- layout --------------------------------------------------------------------------------------------
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
        reset.clicked.connect(self._reset_animation)
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
        export.setToolTip("Save the output map as a PNG, one pixel per output unit, in the colours shown.")
        export.setMinimumHeight(34)
        export.clicked.connect(self._export_dialog)
        left = QWidget()
        column = QVBoxLayout(left)
        column.addWidget(self.controls)
        column.addWidget(self.kernel_editor)
        column.addWidget(animation)
        column.addWidget(export)
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
        c = self.controls
        keys = {
            "]": lambda: c.size.stepBy(1), "[": lambda: c.size.stepBy(-1),
            "S": lambda: c.stride.stepBy(1), "Shift+S": lambda: c.stride.stepBy(-1),
            "P": lambda: c.padding.stepBy(1), "Shift+P": lambda: c.padding.stepBy(-1),
            "D": lambda: c.dilation.stepBy(1), "Shift+D": lambda: c.dilation.stepBy(-1),
            "M": c.cycle_mode,
            "Space": self.animator.toggle, ".": self.animator.step, "R": self._reset_animation,
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
    def hideEvent(self, event) -> None:
        self.animator.pause()
        super().hideEvent(event)

    def closeEvent(self, event) -> None:
        self.shutdown()
        super().closeEvent(event)
