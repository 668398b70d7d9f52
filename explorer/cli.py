"""The command line: the same core as the GUI, for scripts, tests and people who like terminals.

With no sub-command (and no --screenshot/--self-test) the window opens. Every error a user can cause is a
``UserError``: printed as one line on stderr with exit status 2, never a traceback.
"""
from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

from explorer.core.errors import UserError
from explorer.state.app import TABS

EXIT_USER_ERROR = 2


class _Parser(argparse.ArgumentParser):
    """argparse that reports bad arguments as a single line (argparse's default prints the usage too)."""

    def error(self, message: str) -> NoReturn:
        raise UserError(f"{message} (see '{self.prog} --help')")


def _window_size(text: str) -> tuple[int, int]:
    """"1024x768" (or 1024×768) → (1024, 768)."""
    w, sep, h = text.lower().replace("×", "x").partition("x")
    if not (sep and w.isdigit() and h.isdigit() and 320 <= int(w) <= 8192 and 240 <= int(h) <= 8192):
        raise argparse.ArgumentTypeError(f"{text!r} is not a window size such as 1024x768 (320x240 to 8192x8192)")
    return int(w), int(h)


def _build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="cnn-explorer", description="See convolutional neural networks work.")
    parser.add_argument("--screenshot", metavar="OUT.png", help="render the window offscreen, save it and exit")
    parser.add_argument("--size", dest="window_size", metavar="WxH", type=_window_size, help="with --screenshot: the window size (1024x768)")
    parser.add_argument("--tab", choices=TABS, help="with --screenshot or the GUI: the tab to show")
    parser.add_argument("--image", metavar="PATH", help="with --screenshot or the GUI: the image to open")
    parser.add_argument("--model", metavar="NAME", help="with --screenshot or the GUI: show this model's explorer")
    parser.add_argument("--self-test", action="store_true",
                        help="open the window offscreen, run a convolution and a LeNet-5 inference, exit 0 if all is well")
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    sub = parser.add_subparsers(dest="command", parser_class=_Parser, metavar="COMMAND")

    conv = sub.add_parser("conv", help="convolve an image and write the output map as PNG")
    conv.add_argument("image")
    conv.add_argument("--kernel", default="vertical edge", help="a preset name or a JSON list of rows")
    conv.add_argument("--size", type=int, help="filter size f (default: the kernel's own size, else 3)")
    conv.add_argument("--stride", type=int, default=1)
    conv.add_argument("--padding", default="0", help="an integer or 'same'")
    conv.add_argument("--dilation", type=int, default=1)
    conv.add_argument("--mode", choices=["gray", "r", "g", "b", "volume"], default="gray")
    conv.add_argument("--pool", choices=["max", "avg"], help="pool the convolution's output")
    conv.add_argument("--pool-size", type=int, default=2)
    conv.add_argument("--pool-stride", type=int, default=2)
    conv.add_argument("--out", required=True, metavar="OUT.png")
    conv.add_argument("--npy", metavar="OUT.npy", help="also save the raw output map")
    conv.add_argument("--no-values", action="store_true",
                      help="small maps (up to 16×16) are exported with big squares: leave their numbers out")

    inspect = sub.add_parser("inspect", help="list a model's layers, shapes, parameters and receptive fields")
    inspect.add_argument("model", help="a built-in name (see 'models') or an .onnx file")
    inspect.add_argument("--json", action="store_true", help="print JSON instead of a table")
    inspect.add_argument("--allow-large", action="store_true", help="open models over the 1 GB safety limit")

    acts = sub.add_parser("activations", help="run a model on an image; write a layer's channels as a mosaic")
    acts.add_argument("model")
    acts.add_argument("image")
    acts.add_argument("--layer", help="layer name (default: the first convolution)")
    acts.add_argument("--out", required=True, metavar="MOSAIC.png")
    acts.add_argument("--npz", metavar="ALL.npz", help="save every activation, keyed by tensor name")
    acts.add_argument("--allow-large", action="store_true", help="open models over the 1 GB safety limit")

    sub.add_parser("models", help="list the built-in models")

    export = sub.add_parser("export", help="write a built-in model as a standalone ONNX file")
    export.add_argument("name")
    export.add_argument("--out", required=True, metavar="FILE.onnx")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        args = _build_parser().parse_args(argv)
        return _dispatch(args)
    except UserError as exc:
        print(f"cnn-explorer: {exc}", file=sys.stderr)
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        return 130


def _dispatch(args: argparse.Namespace) -> int:
    if args.version:
        from explorer import __version__

        print(__version__)
        return 0
    commands = {"conv": _cmd_conv, "inspect": _cmd_inspect, "activations": _cmd_activations,
                "models": _cmd_models, "export": _cmd_export}
    if args.command:
        return commands[args.command](args)
    from explorer.app import run_gui

    return run_gui(image=args.image, model=args.model, screenshot=args.screenshot, self_test=args.self_test,
                   size=args.window_size, tab=args.tab)


def _parse_padding(text: str) -> int | str:
    if text.strip().lower() == "same":
        return "same"
    try:
        return int(text)
    except ValueError:
        raise UserError(f"--padding must be an integer or 'same', not {text!r}.") from None


def _parse_kernel(text: str, size: int | None):
    import numpy as np

    from explorer.core import kernels

    stripped = text.strip()
    if stripped.startswith("["):
        try:
            kernel = np.asarray(json.loads(stripped), dtype=np.float32)
        except (ValueError, TypeError):
            raise UserError("--kernel JSON must be a square list of rows of numbers, e.g. [[1,0,-1],[1,0,-1],[1,0,-1]].") from None
        if kernel.ndim != 2 or kernel.shape[0] != kernel.shape[1]:
            raise UserError(f"--kernel must be square (f×f); got shape {kernel.shape}.")
        return kernels.resize_kernel(kernel, size) if size else kernel
    names = {name.lower(): name for name in kernels.PRESET_NAMES}
    if stripped.lower() not in names:
        raise UserError(f"Unknown kernel preset {text!r}; choose one of: {', '.join(kernels.PRESET_NAMES)}.")
    return kernels.make_kernel(names[stripped.lower()], size or 3)


def _cmd_conv(args: argparse.Namespace) -> int:
    import numpy as np

    from explorer.core import conv, images, render

    image = images.load_image(args.image)
    kernel = _parse_kernel(args.kernel, args.size)
    params = conv.ConvParams(size=kernel.shape[0], stride=args.stride, padding=_parse_padding(args.padding),
                             dilation=args.dilation)
    pool = conv.PoolParams(kind=args.pool or "none", size=args.pool_size, stride=args.pool_stride)
    result = conv.playground_forward(image.pixels, kernel, params, args.mode, pool)
    output = result.output
    render.write_png(args.out, render.export_rgb(output, not args.no_values))  # as the GUI exports it
    if args.npy:
        np.save(args.npy, output)
    h, w = output.shape
    print(f"{args.out}: {h}×{w} output, min {output.min():.4g}, max {output.max():.4g}")
    for note in image.notes:
        print(f"note: {note}")
    return 0


def _cmd_inspect(args: argparse.Namespace) -> int:
    from explorer.core import inspect

    info = inspect.inspect_model(args.model, allow_large=args.allow_large)
    if args.json:
        print(json.dumps(inspect.to_json(info), indent=1))
    else:
        print(inspect.format_table(info, width=120))
    return 0


def _cmd_activations(args: argparse.Namespace) -> int:
    import numpy as np

    from explorer.core import images, models, mosaic, render, runtime

    model = models.open_model(args.model, progress=_progress_printer(), allow_large=args.allow_large)
    image = images.load_image(args.image)
    acts = runtime.compute_activations(model, image)
    layer = args.layer or models.first_convolution(model)
    if layer not in acts.layer_tensor and layer not in acts.tensors:
        raise UserError(f"No layer named {layer!r} in {args.model}; 'cnn-explorer inspect {args.model}' lists them.")
    tensor_name = acts.layer_tensor.get(layer, layer)
    values = np.asarray(acts.tensors[tensor_name])
    channels = values.reshape(values.shape[1], 1, 1) if values.ndim == 2 else values[0] if values.ndim == 4 else values
    if channels.ndim != 3:
        raise UserError(f"Layer {layer!r} has shape {values.shape}; only (N,C,H,W) or vector layers can be drawn.")
    tiles = mosaic.channel_mosaic(channels, normalize="channel")
    render.write_png(args.out, render.upscale_nearest(render.unit_to_rgb(tiles.image, tiles.mask)))
    if args.npz:
        np.savez_compressed(args.npz, **acts.tensors)
    stats = mosaic.layer_stats(channels)
    print(f"{args.out}: layer {layer} {tuple(values.shape)} on {acts.provider}, "
          f"{acts.timings.get('run_ms', 0):.1f} ms; min {stats.min:.4g} max {stats.max:.4g} "
          f"mean {stats.mean:.4g} zeros {stats.zero_fraction:.1%}")
    return 0


def _cmd_models(args: argparse.Namespace) -> int:
    from explorer.core import zoo

    print(f"{'name':<12} {'parameters':>12}  {'input':<10} {'title':<40} weights")
    for entry in zoo.BUILTINS.values():
        _, c, h, w = entry.input_shape
        print(f"{entry.name:<12} {entry.params:>12,}  {f'{h}×{w}×{c}':<10} {entry.title:<40} "
              f"{zoo.weights_source(entry.name)}")
    return 0


def _cmd_export(args: argparse.Namespace) -> int:
    import shutil

    from explorer.core import zoo

    if args.name not in zoo.BUILTINS:
        raise UserError(f"Unknown built-in model {args.name!r}; choose one of: {', '.join(zoo.BUILTINS)}.")
    source = zoo.materialize(args.name, progress=_progress_printer())
    try:
        shutil.copyfile(source, args.out)
    except OSError as exc:
        raise UserError(f"Cannot write {args.out}: {exc.strerror or exc}. Choose another folder.") from exc
    print(f"{args.out}: {Path(args.out).stat().st_size / 1e6:.1f} MB")
    return 0


def _progress_printer():
    """Progress on stderr only when a person is watching (a terminal)."""
    if not sys.stderr.isatty():
        return None

    def report(fraction: float, message: str) -> None:
        print(f"\r{fraction:5.0%} {message[:60]:<60}", end="" if fraction < 1 else "\n", file=sys.stderr)

    return report
