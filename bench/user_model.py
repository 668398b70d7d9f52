"""What running a user's model in its own child process (core/sandboxed_session.py) costs the Model Explorer.

Run: `.venv/bin/python bench/user_model.py [--trials 9]`; results are recorded in bench/README.md ("A user's model
in its own process").

Peers measured in the same run, alternating (in-process, sandboxed, in-process, ...) so load hits both alike:
1. Opening: ``ActivationSession(path)`` vs ``SandboxedSession(path)`` (spawn, imports, the same session built in
   the child, its facts sent back), then the first run of each, for a small net and one whose activations are 100 MB.
2. Repeat runs: every activation (``run``) and a live frame (one layer + the output), medians.
3. Transfer of the 100 MB activation set from a spawned child: raw bytes through the pipe received straight into
   numpy arrays vs pickling the dict of arrays (``Connection.send``) vs the child writing into a shared-memory block
   the parent made once and the parent copying out (what SandboxedSession does); an in-process copy as the floor.
4. Cancel: from ``RunOptions.terminate`` set to ``run`` raising RunCancelled, on a Loop that never ends, and from
   there to the answer of the next request (a wrong-shaped input, which the child's session refuses at once):
   the child stops its run and stays (what the app does), against the child killed and a fresh one started for the
   next request (CANCEL_GRACE_S = 0: what a run that does not stop in time gets, and what every cancel got before).
"""
from __future__ import annotations

import argparse
import multiprocessing
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]
import hostile_files as hostile  # noqa: E402  (the same generators as the tests)

from bench.machine import describe  # noqa: E402
from explorer.core import sandbox, sandboxed_session  # noqa: E402
from explorer.core.errors import UserError  # noqa: E402
from explorer.core.live_inference import LiveSession  # noqa: E402
from explorer.core.ort_setup import ort  # noqa: E402
from explorer.core.runtime import ActivationSession, RunCancelled  # noqa: E402
from explorer.core.sandboxed_session import SandboxedLive, SandboxedSession  # noqa: E402
from explorer.core.zoo.graph import INPUT_NAME, GraphBuilder, fill_he_normal  # noqa: E402

CAP = 4 * sandbox.GB


def small_net(path: Path) -> Path:
    """RGB 32×32, two convolutions, global pool, fc 5: about 30 KB of activations."""
    g = GraphBuilder("small", (1, 3, 32, 32))
    x = g.relu("conv1/relu", g.conv("conv1", INPUT_NAME, 4, 3, pad=1))
    x = g.relu("conv2/relu", g.conv("conv2", x, 6, 3, pad=1))
    return _save(g.finish(g.gemm("fc", g.flatten("flat", g.global_avgpool("gap", x)), 5)), path)


def big_net(path: Path) -> Path:
    """Three 32-channel 3×3 convolutions at 512×512 (+ a global pool): 3 × 33.5 MB = 100.7 MB of activations."""
    g = GraphBuilder("big", (1, 3, 512, 512))
    x = g.conv("conv1", INPUT_NAME, 32, 3, pad=1)
    x = g.conv("conv2", x, 32, 3, pad=1)
    x = g.conv("conv3", x, 32, 3, pad=1)
    return _save(g.finish(g.flatten("flat", g.global_avgpool("gap", x))), path)


def _save(model, path: Path) -> Path:
    import onnx

    fill_he_normal(model, seed=0)
    onnx.save(model, str(path))
    return path


def timed(fn: Callable[[], object]) -> float:
    started = time.perf_counter()
    fn()
    return (time.perf_counter() - started) * 1000


def opening(path: Path, x: np.ndarray, trials: int) -> tuple[list[float], list[float], list[float], list[float]]:
    """(open ms, first run ms) in-process and sandboxed, alternating."""
    open_in, open_out, first_in, first_out = [], [], [], []
    for _ in range(trials):
        holder: dict = {}
        open_in.append(timed(lambda: holder.setdefault("s", ActivationSession(path))))
        first_in.append(timed(lambda: holder["s"].run(x)))
        holder.clear()
        open_out.append(timed(lambda: holder.setdefault("s", SandboxedSession(path, memory_bytes=CAP,
                                                                                timeout_s=120))))
        first_out.append(timed(lambda: holder["s"].run(x)))
        holder["s"].close()
    return open_in, open_out, first_in, first_out


def repeats(path: Path, x: np.ndarray, layer: str, trials: int) -> dict[str, list[float]]:
    here = ActivationSession(path)
    there = SandboxedSession(path, memory_bytes=CAP, timeout_s=120)
    live_here, live_there = LiveSession(here, [layer]), SandboxedLive(there, [layer])
    for run in (here.run, there.run, live_here.run, live_there.run):
        run(x)  # warm-up (the child builds its live session on the first frame)
    out: dict[str, list[float]] = {"run in": [], "run out": [], "live in": [], "live out": []}
    for _ in range(trials):
        out["run in"].append(timed(lambda: here.run(x)))
        out["run out"].append(timed(lambda: there.run(x)))
        out["live in"].append(timed(lambda: live_here.run(x)))
        out["live out"].append(timed(lambda: live_there.run(x)))
    there.close()
    return out


def _sender(conn, arrays: dict[str, np.ndarray], trials: int) -> None:
    """In the child: each trial, the arrays once as raw bytes (SandboxedSession's way), once pickled, once written
    into a shared-memory block the parent created."""
    from multiprocessing import shared_memory

    for _ in range(trials):
        conn.recv()
        for array in arrays.values():
            conn.send_bytes(memoryview(np.ascontiguousarray(array).reshape(-1)).cast("B"))
        conn.recv()
        conn.send(arrays)
        block = shared_memory.SharedMemory(conn.recv())
        offset = 0
        for array in arrays.values():
            block.buf[offset:offset + array.nbytes] = memoryview(np.ascontiguousarray(array)).cast("B")
            offset += array.nbytes
        block.close()
        conn.send("written")


def transfer(arrays: dict[str, np.ndarray], trials: int) -> dict[str, list[float]]:
    ctx = multiprocessing.get_context("spawn")
    here, there = ctx.Pipe()
    child = ctx.Process(target=_sender, args=(there, arrays, trials), daemon=True)
    child.start()
    out: dict[str, list[float]] = {"raw": [], "pickled": [], "shared": [], "copy": []}
    from multiprocessing import shared_memory

    block = shared_memory.SharedMemory(create=True, size=sum(a.nbytes for a in arrays.values()))

    def shared() -> None:
        here.send(block.name)
        here.recv()
        offset, got = 0, {}
        for name, array in arrays.items():  # the parent knows the layout from a header, as with raw bytes
            got[name] = np.frombuffer(block.buf, array.dtype, array.size, offset).reshape(array.shape).copy()
            offset += array.nbytes

    def raw() -> None:
        for array in arrays.values():  # the parent knows the layout from a header
            here.recv_bytes_into(memoryview(np.empty_like(array).reshape(-1)).cast("B"))

    for _ in range(trials):
        here.send("go")
        out["raw"].append(timed(raw))
        here.send("go")
        out["pickled"].append(timed(here.recv))
        out["shared"].append(timed(shared))
        out["copy"].append(timed(lambda: {k: v.copy() for k, v in arrays.items()}))
    child.join()
    block.close()
    block.unlink()
    return out


def cancel_latency(path: Path, trials: int, grace_s: float) -> tuple[list[float], list[float]]:
    """(ms from terminate to RunCancelled, ms from there to the next request's answer) per trial."""
    sandboxed_session.CANCEL_GRACE_S = grace_s
    session = SandboxedSession(path, memory_bytes=CAP, timeout_s=600)
    x, wrong = np.zeros((1, 1, 8, 8), np.float32), np.zeros((1, 1, 4, 4), np.float32)
    stop, next_answer = [], []
    for _ in range(trials):
        options, done = ort.RunOptions(), threading.Event()
        stopped: list[float] = []

        def work() -> None:
            try:
                session.run(x, options)
            except RunCancelled:
                stopped.append(time.perf_counter())
            done.set()

        threading.Thread(target=work).start()
        while not session.alive or not session._in_flight:  # the run was sent
            time.sleep(0.01)
        time.sleep(0.5)  # the Loop is running
        asked = time.perf_counter()
        options.terminate = True
        done.wait(60)
        stop.append((stopped[0] - asked) * 1000)
        try:
            session.run(wrong)
        except UserError:
            next_answer.append((time.perf_counter() - stopped[0]) * 1000)
    session.close()
    return stop, next_answer


def med(values: list[float]) -> str:
    return f"{statistics.median(values):.1f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=9)
    args = parser.parse_args()
    print(describe(f"numpy {np.__version__}", f"onnxruntime {ort.__version__}"))
    folder = Path(tempfile.mkdtemp(prefix="bench-user-model-"))
    small, big = small_net(folder / "small.onnx"), big_net(folder / "big.onnx")
    rng = np.random.default_rng(0)
    inputs = {small: rng.standard_normal((1, 3, 32, 32)).astype(np.float32),
              big: rng.standard_normal((1, 3, 512, 512)).astype(np.float32)}
    opened_trials = max(3, args.trials // 3)

    print(f"\nOpening and first run, median of {opened_trials} (ms)")
    print("| model | activations MB | open in-process | open sandboxed | first run in-process | first run sandboxed |")
    print("|---|---|---|---|---|---|")
    for path, x in inputs.items():
        mb = sum(a.nbytes for a in ActivationSession(path).run(x).tensors.values()) / 1e6
        o_in, o_out, f_in, f_out = opening(path, x, opened_trials)
        print(f"| {path.stem} | {mb:.1f} | {med(o_in)} | {med(o_out)} | {med(f_in)} | {med(f_out)} |")

    print(f"\nRepeat runs, median of {args.trials} (ms); ratio = sandboxed / in-process")
    print("| model | all in-process | all sandboxed | ratio | live in-process | live sandboxed | ratio |")
    print("|---|---|---|---|---|---|---|")
    for path, x in inputs.items():
        r = repeats(path, x, "conv1", args.trials)
        ratio = statistics.median(r["run out"]) / statistics.median(r["run in"])
        live_ratio = statistics.median(r["live out"]) / statistics.median(r["live in"])
        print(f"| {path.stem} | {med(r['run in'])} | {med(r['run out'])} | {ratio:.2f}× | {med(r['live in'])} | "
              f"{med(r['live out'])} | {live_ratio:.2f}× |")

    arrays = dict(ActivationSession(big).run(inputs[big]).tensors)
    mb = sum(a.nbytes for a in arrays.values()) / 1e6
    t = transfer(arrays, args.trials)
    print(f"\nTransfer of {mb:.1f} MB ({len(arrays)} arrays) from a child, median of {args.trials} (ms)")
    print("| raw bytes into arrays | pickled dict | shared memory, block reused (used) | in-process copy | "
          "pickled / raw | shared / raw |")
    print("|---|---|---|---|---|---|")
    print(f"| {med(t['raw'])} | {med(t['pickled'])} | {med(t['shared'])} | {med(t['copy'])} | "
          f"{statistics.median(t['pickled']) / statistics.median(t['raw']):.2f}× | "
          f"{statistics.median(t['shared']) / statistics.median(t['raw']):.2f}× |")

    loop = hostile.save(hostile.endless_loop(hidden=True), folder / "loop.onnx")
    trials = max(3, args.trials // 3)
    print(f"\nCancel of a running Loop, then the next request, median of {trials} (ms)")
    print("| the child | terminate → RunCancelled | → the next request answered |")
    print("|---|---|---|")
    for label, grace in (("stops its run and stays", 1.0), ("is killed, a fresh one starts", 0.0)):
        stop, after = cancel_latency(loop, trials, grace)
        print(f"| {label} | {med(stop)} | {med(after)} |")


if __name__ == "__main__":
    main()
