"""The command line: the same core as the GUI, for scripts, tests and people who like terminals.

With no sub-command (and no --screenshot/--self-test) the window opens. Every error a user can cause is a
``UserError``: printed as one line on stderr with exit status 2, never a traceback.
"""
from __future__ import annotations

import argparse
import json
import math
import multiprocessing
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

from explorer.core.errors import UserError
from explorer.state.app import TABS, THEMES, ZOOM_STEPS

EXIT_USER_ERROR = 2
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE, what a shell reports for a tool stopped by a closed pipe
DEFAULT_TIMEOUT_S = 30.0


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


def _zoom(text: str) -> float:
    """"1.5" or "150%" → 1.5, within the range Ctrl+= / Ctrl+- reach."""
    lo, hi = ZOOM_STEPS[0], ZOOM_STEPS[-1]
    try:
        value = float(text.strip().removesuffix("%")) / (100 if text.strip().endswith("%") else 1)
    except ValueError:
        value = 0.0
    if not lo <= value <= hi:
        raise argparse.ArgumentTypeError(f"{text!r} is not a zoom such as 1.5 or 150% ({lo:g} to {hi:g})")
    return value


def _build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="cnn-explorer", description="See convolutional neural networks work.")
    parser.add_argument("--screenshot", metavar="OUT.png", help="render the window offscreen, save it and exit")
    parser.add_argument("--size", dest="window_size", metavar="WxH", type=_window_size, help="with --screenshot: the window size (1024x768)")
    parser.add_argument("--zoom", type=_zoom, metavar="Z", help="with --screenshot or the GUI: presentation zoom, e.g. 1.5")
    parser.add_argument("--theme", choices=THEMES, help="with --screenshot or the GUI: 'projector' for high contrast")
    parser.add_argument("--tab", choices=TABS, help="with --screenshot or the GUI: the tab to show")
    parser.add_argument("--image", metavar="PATH", help="with --screenshot or the GUI: the image to open")
    parser.add_argument("--video", metavar="FILE", help="with --screenshot or the GUI: play this video file live")
    parser.add_argument("--camera", metavar="INDEX", type=int, nargs="?", const=0,
                        help="open the window on this webcam live (default 0)")
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
    _add_limits(inspect)

    rf = sub.add_parser("rf", help="the exact input box one unit of a layer sees")
    rf.add_argument("model", help="a built-in name (see 'models') or an .onnx file")
    rf.add_argument("--layer", required=True, help="layer name (see 'inspect')")
    rf.add_argument("--unit", required=True, nargs=2, type=int, metavar=("Y", "X"), help="the unit's row and column")
    rf.add_argument("--json", action="store_true",
                    help='print {"layer", "unit", "box"} (box null: the whole input; []: only padding)')
    rf.add_argument("--allow-large", action="store_true", help="open models over the 1 GB safety limit")
    _add_limits(rf)

    acts = sub.add_parser("activations", help="run a model on an image; write a layer's channels as a mosaic")
    acts.add_argument("model")
    acts.add_argument("image")
    acts.add_argument("--layer", help="layer name (default: the first convolution)")
    acts.add_argument("--out", required=True, metavar="MOSAIC.png")
    acts.add_argument("--npz", metavar="ALL.npz", help="save every activation, keyed by tensor name")
    acts.add_argument("--allow-large", action="store_true", help="open models over the 1 GB safety limit")
    _add_limits(acts)

    explain = sub.add_parser("explain", help="which part of an image the model's decision rests on (heat map)")
    explain.add_argument("model")
    explain.add_argument("image")
    explain.add_argument("--method", required=True, choices=["occlusion", "score-cam", "ablation-cam", "eigen-cam"])
    explain.add_argument("--layer", help="layer for the CAM methods (default: the last one with a spatial map)")
    explain.add_argument("--class", dest="class_index", type=int, metavar="K", help="class (default: the top one)")
    explain.add_argument("--out", required=True, metavar="HEAT.png", help="the heat map over the image")
    explain.add_argument("--npy", metavar="HEAT.npy", help="the map, float32, the image's height and width")
    _add_limits(explain, per_step=True)

    erf = sub.add_parser("erf", help="the measured effective receptive field of one unit")
    erf.add_argument("model")
    erf.add_argument("--layer", required=True)
    erf.add_argument("--unit", required=True, type=int, nargs=3, metavar=("C", "Y", "X"))
    erf.add_argument("--image", dest="erf_image", metavar="IMAGE", help="measure around this image (default: grey)")
    erf.add_argument("--out", required=True, metavar="ERF.png")
    erf.add_argument("--npy", metavar="ERF.npy", help="the magnitude map, float32, the model input's size")
    _add_limits(erf, per_step=True)

    sub.add_parser("models", help="list the models: built-in, bundled and downloadable")

    download = sub.add_parser("download", help="download a trained model's published file into the user cache")
    download.add_argument("name", help="a name 'models' lists (e.g. googlenet-trained) or a zoo file stem (googlenet-12)")
    download.add_argument("--mirror", metavar="FOLDER|URL",
                          help="try this folder or URL (holding the zoo file names) first; also CNN_EXPLORER_MIRROR")

    cache = sub.add_parser("cache", help="list the user cache, or delete from it with --clear")
    cache.add_argument("--clear", nargs="?", const="", metavar="NAME",
                       help="delete this model's cached files (a name 'cache' or 'models' lists), or everything")

    export = sub.add_parser("export", help="write a catalog model as a standalone ONNX file")
    export.add_argument("name")
    export.add_argument("--out", required=True, metavar="FILE.onnx")
    return parser


def _add_limits(command: argparse.ArgumentParser, per_step: bool = False) -> None:
    """--timeout and --max-memory: a user's .onnx file runs in a limited child process (core/sandbox.py).
    ``per_step``: the work is many forward passes, and the limit bounds each batch of them, not the whole."""
    from explorer.core import sandbox

    runs = "spends longer than S seconds on one batch of forward passes" if per_step else "runs longer than S seconds"
    command.add_argument("--timeout", type=_positive, default=DEFAULT_TIMEOUT_S, metavar="S",
                         help=f"stop a model file that {runs} (default {DEFAULT_TIMEOUT_S:g})")
    default_gb = sandbox.default_memory_bytes() / sandbox.GB
    command.add_argument("--max-memory", type=_positive, default=default_gb, metavar="GB",
                         help=f"stop a model file that needs more memory (default {default_gb:.3g} GB)")


def _positive(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"expected a positive number, not {text!r}")
    return value


def main(argv: Sequence[str] | None = None) -> int:
    # The frozen app starts itself with --multiprocessing-fork for a sandbox child: become that child here.
    multiprocessing.freeze_support()
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        args = _build_parser().parse_args(argv)
        code = _dispatch(args)
        sys.stdout.flush()  # a reader that went away (`| head -3`) shows up here at the latest
        return code
    except UserError as exc:
        print(f"cnn-explorer: {exc}", file=sys.stderr)
        return EXIT_USER_ERROR
    except BrokenPipeError:
        # The reader closed the pipe: stop quietly like other command-line tools. Point stdout at the null
        # device so the interpreter's final flush does not print a second BrokenPipeError.
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, sys.stdout.fileno())
        os.close(null)
        return EXIT_BROKEN_PIPE
    except KeyboardInterrupt:
        return 130


def _dispatch(args: argparse.Namespace) -> int:
    if args.version:
        from explorer import __version__

        print(__version__)
        return 0
    commands = {"conv": _cmd_conv, "inspect": _cmd_inspect, "rf": _cmd_rf, "activations": _cmd_activations,
                "models": _cmd_models, "export": _cmd_export, "download": _cmd_download, "cache": _cmd_cache,
                "explain": _cmd_explain, "erf": _cmd_erf}
    if args.command:
        return commands[args.command](args)
    from explorer.app import run_gui

    return run_gui(image=args.image, model=args.model, screenshot=args.screenshot, self_test=args.self_test,
                   video=args.video, camera=args.camera, size=args.window_size, tab=args.tab,
                   zoom=args.zoom, theme=args.theme)


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
            kernel = np.asarray(json.loads(stripped), dtype=np.float64)  # float64: 1e39 stays finite until core checks it
        except (ValueError, TypeError):
            raise UserError("--kernel JSON must be a square list of rows of numbers, e.g. [[1,0,-1],[1,0,-1],[1,0,-1]].") from None
        if kernel.ndim != 2 or kernel.shape[0] != kernel.shape[1]:
            raise UserError(f"--kernel must be square (f×f); got shape {kernel.shape}.")
        return kernel if size is None else kernels.resize_kernel(kernel, size)
    return kernels.make_kernel(kernels.preset_name(stripped), 3 if size is None else size)


def _cmd_conv(args: argparse.Namespace) -> int:
    import numpy as np

    from explorer.core import conv, images, render

    padding = _parse_padding(args.padding)
    pool = conv.PoolParams(kind=args.pool or "none", size=args.pool_size, stride=args.pool_stride)
    # The Playground's limits before anything is built: --size 100000 would be a 40 GB kernel.
    conv.check_playground_limits(conv.ConvParams(size=3 if args.size is None else args.size, stride=args.stride,
                                                 padding=padding, dilation=args.dilation), pool)
    kernel = _parse_kernel(args.kernel, args.size)
    params = conv.ConvParams(size=kernel.shape[0], stride=args.stride, padding=padding, dilation=args.dilation)
    image = images.load_image(args.image)
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
    print(_limited(args, _inspect_text, args.model, args.json, args.allow_large))
    return 0


def _cmd_rf(args: argparse.Namespace) -> int:
    y, x = args.unit
    box = _limited(args, _unit_box, args.model, args.layer, y, x, args.allow_large)
    if args.json:
        print(json.dumps({"layer": args.layer, "unit": [y, x], "box": None if box is None else list(box)}))
    elif box is None:
        print(f"{args.layer} unit ({y}, {x}) sees the whole input.")
    elif not box:
        print(f"{args.layer} unit ({y}, {x}) sees no input pixel (only padding).")
    else:
        top, left, bottom, right = box
        print(f"{args.layer} unit ({y}, {x}) sees input rows {top}–{bottom} and columns {left}–{right} "
              f"({bottom - top + 1}×{right - left + 1} pixels).")
    return 0


def _unit_box(model: str, layer: str, y: int, x: int, allow_large: bool):
    """The exact input box one unit sees (None: the whole input; (): only padding): what `rf` prints."""
    from explorer.core import inspect

    return inspect.unit_box(inspect.inspect_model(model, allow_large=allow_large), layer, y, x)


def _cmd_activations(args: argparse.Namespace) -> int:
    from explorer.core import models

    progress = _progress_printer() if models.is_builtin(args.model) else None  # a closure cannot go to a child
    print(_limited(args, _activations_report, args.model, args.image, args.layer, args.out, args.npz,
                   args.allow_large, progress))
    return 0


def _limited(args: argparse.Namespace, job, *job_args, trusted: bool | None = None, progress=None):
    """Built-in models (our own files; ``trusted`` overrides) run in this process; a user's model file runs in a
    child process that is stopped after --timeout seconds or beyond --max-memory GB (core/sandbox.py).
    ``progress``: ``job`` takes it as a keyword and reports through it from either place (in the child the
    time limit then applies between two reports)."""
    from explorer.core import models, sandbox

    reporting = {} if progress is None else {"progress": progress}
    if models.is_builtin(args.model) if trusted is None else trusted:
        return job(*job_args, **reporting)
    try:
        return sandbox.run_limited(job, *job_args, timeout_s=args.timeout,
                                   memory_bytes=int(args.max_memory * sandbox.GB), what=f"'{Path(args.model).name}'",
                                   **reporting)
    except sandbox.OutOfMemory as exc:
        raise UserError(f"{exc} If you trust the model and have the memory, raise --max-memory.") from None
    except sandbox.TimedOut as exc:
        raise UserError(f"{exc} If you trust the model, allow more time with --timeout.") from None


def _inspect_text(model: str, as_json: bool, allow_large: bool) -> str:
    """The layer table (or its JSON) of a model: what `inspect` prints."""
    from explorer.core import inspect

    info = inspect.inspect_model(model, allow_large=allow_large)
    return json.dumps(inspect.to_json(info), indent=1) if as_json else inspect.format_table(info, width=120)


def _activations_report(model_name: str, image_path: str, layer: str | None, out: str, npz: str | None,
                        allow_large: bool, progress=None) -> str:
    """Run a model on an image, write the layer's mosaic (and every tensor to npz); the line `activations` prints."""
    import numpy as np

    from explorer.core import files, images, models, mosaic, render, runtime

    model = models.open_model(model_name, progress=progress, allow_large=allow_large)
    image = images.load_image(image_path)
    acts = runtime.compute_activations(model, image)
    layer = layer or models.first_convolution(model)
    if layer not in acts.layer_tensor and layer not in acts.tensors:
        raise UserError(f"No layer named {layer!r} in {model_name}; 'cnn-explorer inspect {model_name}' lists them.")
    tensor_name = acts.layer_tensor.get(layer, layer)
    values = np.asarray(acts.tensors[tensor_name])
    channels = values.reshape(values.shape[1], 1, 1) if values.ndim == 2 else values[0] if values.ndim == 4 else values
    if channels.ndim != 3:
        raise UserError(f"Layer {layer!r} has shape {values.shape}; only (N,C,H,W) or vector layers can be drawn.")
    tiles = mosaic.channel_mosaic(channels, normalize="channel")
    render.write_png(out, render.upscale_nearest(render.unit_to_rgb(tiles.image, tiles.mask)))
    if npz:
        files.write_npz(npz, acts.tensors)
    stats = mosaic.layer_stats(channels)
    return (f"{out}: layer {layer} {tuple(values.shape)} on {acts.provider}, "
            f"{acts.timings.get('run_ms', 0):.1f} ms; min {stats.min:.4g} max {stats.max:.4g} "
            f"mean {stats.mean:.4g} zeros {stats.zero_fraction:.1%}")


def _cmd_explain(args: argparse.Namespace) -> int:
    _print_report(_limited(args, _explain_report, args.model, args.image, args.method, args.layer, args.class_index,
                           args.out, args.npy, trusted=_trusted(args.model), progress=_progress_reporter()))
    return 0


def _cmd_erf(args: argparse.Namespace) -> int:
    _print_report(_limited(args, _erf_report, args.model, args.layer, tuple(args.unit), args.erf_image, args.out,
                           args.npy, trusted=_trusted(args.model), progress=_progress_reporter()))
    return 0


def _trusted(model: str) -> bool:
    """Explanations run our own models (built-ins, bundled, zoo files recognised by sha256) in this process and a
    user's file in the sandbox: they run it many times over, in batches, on sessions over cuts of its graph."""
    from explorer.core import catalog
    from explorer.core.explain import sandboxed

    return sandboxed.trusted(catalog.resolve(model))


def _print_report(report: tuple[str, tuple[str, ...]]) -> None:
    line, notes = report
    print(line)
    for note in notes:
        print(f"note: {note}", file=sys.stderr)


def _explain_report(model_name: str, image_path: str, method: str, layer: str | None, class_index: int | None,
                    out: str, npy: str | None, progress=None) -> tuple[str, tuple[str, ...]]:
    """Explain, write the overlay (and the map): the line `explain` prints and its notes."""
    import numpy as np

    from explorer.core import explain, images, models, render

    model = explain.ExplainModel(models.open_model(model_name, progress=progress))
    image = images.load_image(image_path)
    result = explain.explain(model, image, method, layer=layer, class_index=class_index, progress=progress)
    render.write_png(out, explain.overlay(image, result.heat))
    if npy:
        np.save(npy, result.heat.astype(np.float32))
    name = f" ({result.class_name})" if result.class_name else ""
    where = f" at {result.layer}" if result.layer else ""
    head = f" + {result.head_passes} after the layer" if result.head_passes else ""
    return (f"{out}: {result.method}{where} for class {result.class_index}{name}, logit {result.score:.4g}; "
            f"{result.passes} forward passes{head}, {result.seconds:.2f} s", (*image.notes, *result.notes))


def _erf_report(model_name: str, layer: str, unit: tuple[int, int, int], image_path: str | None, out: str,
                npy: str | None, progress=None) -> tuple[str, tuple[str, ...]]:
    """Measure one unit's effective field, write its picture (and the map): the line `erf` prints and its notes."""
    import numpy as np

    from explorer.core import erf, explain, images, models, render

    model = explain.ExplainModel(models.open_model(model_name, progress=progress))
    image = images.load_image(image_path) if image_path else None
    field = erf.effective_receptive_field(model, layer, unit, image, progress=progress)
    render.write_png(out, explain.field_picture(field.magnitude, field.box))
    if npy:
        np.save(npy, field.magnitude.astype(np.float32))
    return (f"{out}: unit {field.unit} of {field.layer}, theoretical box {field.box}; 90 % of the effect in "
            f"{field.fraction90:.1%} of it; {field.passes} forward passes, {field.seconds:.2f} s", field.notes)


def _cmd_models(args: argparse.Namespace) -> int:
    from explorer.core import catalog

    print(f"{'name':<20} {'parameters':>12}  {'input':<10} {'title':<38} {'available':<30} weights")
    for entry in catalog.entries():
        shape = entry.input_shape
        size = f"{shape[2]}×{shape[3]}×{shape[1]}" if shape and len(shape) == 4 else "?"
        params = f"{entry.params:,}" if entry.params is not None else "?"
        status = "yes" if catalog.is_available(entry) else (
            f"download: {entry.weights.size / 1e6:.0f} MB, {entry.licence}")
        print(f"{entry.key:<20} {params:>12}  {size:<10} {entry.title:<38} {status:<30} {entry.weights_text}")
    return 0


def _cmd_export(args: argparse.Namespace) -> int:
    import shutil

    from explorer.core import catalog

    source = catalog.model_path(catalog.get(args.name), progress=_progress_printer())
    try:
        shutil.copyfile(source, args.out)
    except OSError as exc:
        raise UserError(f"Cannot write {args.out}: {exc.strerror or exc}. Choose another folder.") from exc
    print(f"{args.out}: {Path(args.out).stat().st_size / 1e6:.1f} MB")
    return 0


def _cmd_download(args: argparse.Namespace) -> int:
    from explorer.core import catalog, downloads

    entry = catalog.resolve(args.name)
    if isinstance(entry.weights, catalog.Download) and catalog.is_available(entry):
        print(f"{entry.key}: already here ({catalog.model_path(entry)})")
        return 0
    path = downloads.download(entry, progress=_progress_printer(), mirror=args.mirror)
    print(f"{entry.key}: {path} ({path.stat().st_size / 1e6:.1f} MB, sha256 verified; licence {entry.licence})")
    return 0


def _cache_name(name: str) -> str:
    """A name as 'cache' lists it, or a catalog name for the same files ("googlenet-trained" → "googlenet-12")."""
    from explorer.core import catalog, user_cache

    if name in {item.name for item in user_cache.listing()}:
        return name
    weights = catalog.resolve(name).weights
    return Path(weights.file).stem if isinstance(weights, catalog.Download) else name


def _cmd_cache(args: argparse.Namespace) -> int:
    from explorer.core import paths, user_cache

    if args.clear is not None:
        names = [_cache_name(args.clear)] if args.clear else None
        removed = user_cache.clear(names)
        if names and not removed:
            raise UserError(f"{args.clear!r} is not in the cache; 'cnn-explorer cache' lists what is.")
        print(f"deleted {sum(i.size for i in removed) / 1e6:.1f} MB: {', '.join(i.name for i in removed) or 'nothing'}")
        return 0
    items = user_cache.listing()
    print(f"{paths.cache_dir()}")
    for item in items:
        print(f"  {item.name:<20} {item.kind:<11} {item.size / 1e6:>9.1f} MB")
    print(f"  {'total':<32} {sum(i.size for i in items) / 1e6:>9.1f} MB")
    return 0


def _progress_reporter():
    """The progress printer, or a callback that says nothing: a sandboxed job's time limit runs between its
    reports, so it must report whether or not a person is watching."""
    return _progress_printer() or (lambda fraction, message: None)


def _progress_printer():
    """Progress on stderr only when a person is watching (a terminal)."""
    if not sys.stderr.isatty():
        return None

    def report(fraction: float, message: str) -> None:
        print(f"\r{fraction:5.0%} {message[:60]:<60}", end="" if fraction < 1 else "\n", file=sys.stderr)

    return report
