"""What exact receptive fields cost: every unit's box (interval propagation) against the triple algebra alone.

For each built-in: the triple algebra (its peer: what inspect computed before exact boxes), the exact analysis
(algebra + boxes of every element + the check of each triple), and the whole of inspect_model, with the memory
the exact unit boxes keep. Medians of alternating runs, so load from other processes hits both alike.
"""
from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

from bench.machine import describe
from explorer.core import zoo
from explorer.core.inspect import inspect_model
from explorer.core.onnx_load import find_image_input, image_axes
from explorer.core.receptive_field import _algebra, analyse, topological_order
from explorer.core.rf_shapes import runtime_shapes


def _ms(fn) -> float:
    start = time.perf_counter()
    fn()
    return (time.perf_counter() - start) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default=",".join(zoo.BUILTINS), help="comma-separated built-in names")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    import onnx
    import onnxruntime as ort

    print(describe(f"numpy {np.__version__}", f"onnx {onnx.__version__}", f"onnxruntime {ort.__version__}"))
    print(f"{'model':<12} {'nodes':>5} {'algebra ms':>11} {'exact ms':>9} {'ratio':>6} {'inspect ms':>11} "
          f"{'boxes kept MB':>13} {'~ layers':>8}")
    for name in args.models.split(","):
        model = zoo.build(name)
        input_name, input_shape = find_image_input(model)
        shapes = runtime_shapes(model, input_name, input_shape, [])[0]
        order = topological_order(model.graph)
        algebra, exact, whole = [], [], []
        for _ in range(args.runs):
            algebra.append(_ms(lambda: _algebra(model, order, input_name, image_axes(input_shape), shapes)))
            exact.append(_ms(lambda: analyse(model, shapes)))
            whole.append(_ms(lambda: inspect_model(model)))
        info = inspect_model(model)
        kept = sum(np.asarray(u.spans).nbytes if isinstance(u.spans, np.ndarray) else u.spans[0].nbytes +
                   u.spans[1].nbytes for u in info.units.values()) / 1e6
        bounded = sum(1 for layer in info.layers if layer.rf is not None and not layer.rf.exact)
        a, e = statistics.median(algebra), statistics.median(exact)
        print(f"{name:<12} {len(model.graph.node):>5} {a:>11.1f} {e:>9.1f} {e / a:>6.0f} "
              f"{statistics.median(whole):>11.1f} {kept:>13.1f} {bounded:>8}")


if __name__ == "__main__":
    main()
