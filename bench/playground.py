"""Convolution Playground speed: the app's path vs the cv2 limit vs a plain numpy sliding window.

Run: `make bench` or `.venv/bin/python bench/playground.py [--quick]`. Prints a markdown table of median
milliseconds; results are recorded in bench/README.md ("Playground").

- app:   playground_forward (plane extraction + conv + no pooling), padding "same", from a uint8 image
- cv2:   bare cv2.filter2D with the same dilated kernel on the ready float32 plane(s) (3 calls for RGB volume)
- numpy: sliding_window_view + tensordot/einsum. Its memory and time grow with f²·Ho·Wo, so for big cases it is
         timed on a band of output rows and scaled to the full map (marked "~").
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.machine import describe  # noqa: E402
from explorer.core.conv import (  # noqa: E402
    ConvParams,
    PoolParams,
    dilate_kernel,
    playground_forward,
    resolve_padding,
)
from explorer.core.memory import keep_freed_buffers_for_reuse  # noqa: E402

NUMPY_BAND_ELEMENTS = 20_000_000  # window elements (Ho·Wo·f²·C) per numpy run; bigger cases use a row band


def median_ms(*fns: Callable[[], object], budget_s: float = 0.6, max_reps: int = 41) -> list[float]:
    """Median ms of each function. Runs alternate (a, b, a, b, ...) so that load from other processes on the
    shared machine hits every column alike and the ratio stays fair."""
    for fn in fns:
        fn()  # warm-up: first-call allocations and cv2's DFT plans
    times: list[list[float]] = [[] for _ in fns]
    start = time.perf_counter()
    while len(times[0]) < 3 or (len(times[0]) < max_reps and time.perf_counter() - start < budget_s):
        for fn, series in zip(fns, times):
            t0 = time.perf_counter()
            fn()
            series.append(time.perf_counter() - t0)
    return [statistics.median(series) * 1e3 for series in times]


def numpy_conv(plane: np.ndarray, kernel: np.ndarray, params: ConvParams, rows: int) -> np.ndarray:
    """Plain numpy: zero-pad, take every (dilated, strided) window, contract with the kernel; first `rows` rows."""
    f, s, d = params.size, params.stride, params.dilation
    (pt, pb), (pl, pr) = resolve_padding(plane.shape[0], params), resolve_padding(plane.shape[1], params)
    span = d * (f - 1) + 1
    pad = [(pt, pb), (pl, pr)] + [(0, 0)] * (plane.ndim - 2)
    padded = np.pad(plane, pad)[: (rows - 1) * s + span]
    windows = np.lib.stride_tricks.sliding_window_view(padded, (span, span), axis=(0, 1))[::s, ::s, ..., ::d, ::d]
    if plane.ndim == 2:
        return np.tensordot(windows, kernel, axes=([2, 3], [0, 1]))
    return np.einsum("hwcij,ij->hw", windows, kernel, optimize=True)


def numpy_ms(plane: np.ndarray, kernel: np.ndarray, params: ConvParams, out_hw: tuple[int, int]) -> str:
    channels = plane.shape[2] if plane.ndim == 3 else 1
    per_row = out_hw[1] * params.size**2 * channels
    rows = max(1, min(out_hw[0], NUMPY_BAND_ELEMENTS // per_row))
    (ms,) = median_ms(lambda: numpy_conv(plane, kernel, params, rows), budget_s=0.1, max_reps=3)
    if rows == out_hw[0]:
        return f"{ms:.1f}"
    return f"~{ms * out_hw[0] / rows:.0f}"


def bench_case(n: int, f: int, d: int, s: int, colour: bool) -> dict[str, str | float]:
    rng = np.random.default_rng(0)
    image = rng.integers(0, 256, (n, n, 3) if colour else (n, n), dtype=np.uint8)
    kernel = rng.normal(0, 1, (f, f)).astype(np.float32)
    params = ConvParams(size=f, stride=s, padding="same", dilation=d)
    mode = "volume" if colour else "gray"
    plane = image.astype(np.float32)
    planes = [np.ascontiguousarray(plane[..., c]) for c in range(3)] if colour else [plane]
    dk = dilate_kernel(kernel, d)
    app, limit = median_ms(lambda: playground_forward(image, kernel, params, mode, PoolParams()),
                           lambda: [cv2.filter2D(p, cv2.CV_32F, dk, borderType=cv2.BORDER_CONSTANT) for p in planes])
    out = playground_forward(image, kernel, params, mode, PoolParams()).conv
    return {"image": f"{n}² {'RGB volume' if colour else 'gray'}", "f": f, "d": d, "s": s, "app": app,
            "cv2": limit, "numpy": numpy_ms(plane, kernel, params, out.shape), "ratio": app / limit}


def machine() -> str:
    return describe(f"numpy {np.__version__}", f"cv2 {cv2.__version__} ({cv2.getNumThreads()} threads)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="only 1024² gray f=3 (the requirement's case)")
    args = parser.parse_args()
    keep_freed_buffers_for_reuse()  # as the app does at start-up
    cases = [(1024, 3, 1, 1, False)] if args.quick else [
        (n, f, d, s, colour) for colour in (False, True) for n in (512, 1024, 2048)
        for f in (3, 7, 11) for d in (1, 3) for s in (1, 2)]
    print(machine())
    print("\n| image | f | d | s | app ms | cv2 ms | numpy ms | app/cv2 |\n|---|---|---|---|---|---|---|---|")
    for case in cases:
        r = bench_case(*case)
        print(f"| {r['image']} | {r['f']} | {r['d']} | {r['s']} | {r['app']:.2f} | {r['cv2']:.2f} | {r['numpy']} "
              f"| {r['ratio']:.2f} |", flush=True)


if __name__ == "__main__":
    main()
