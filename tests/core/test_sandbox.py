"""run_limited: a child process with a memory cap, a time limit and a cancel; results and errors come back.

The functions run in the child are importable ones (builtins and explorer's own), as spawn requires.
"""
from __future__ import annotations

import math
import multiprocessing
import os
import subprocess
import sys
import threading
import time

import pytest

from explorer.core import kernels, sandbox
from explorer.core.errors import UserError
from explorer.core.sandbox import Cancelled, run_limited

GB = sandbox.GB


def no_sandbox_children() -> bool:
    return not [p for p in multiprocessing.active_children() if p.name == "cnn-explorer-sandbox"]


def test_a_normal_function_returns_its_value():
    assert run_limited(math.factorial, 20, timeout_s=60, memory_bytes=2 * GB) == 2432902008176640000
    assert no_sandbox_children()


def test_a_user_error_inside_comes_back_unchanged():
    with pytest.raises(UserError) as raised:
        run_limited(kernels.make_kernel, "blurry", 3, timeout_s=60, memory_bytes=2 * GB)
    with pytest.raises(UserError) as direct:
        kernels.make_kernel("blurry", 3)
    assert str(raised.value) == str(direct.value)


def test_any_other_exception_becomes_one_line():
    with pytest.raises(UserError) as raised:
        run_limited(int, "twelve", timeout_s=60, memory_bytes=2 * GB, what="The parser")
    message = str(raised.value)
    assert message.startswith("The parser failed: ValueError: invalid literal for int()")
    assert "\n" not in message and "Traceback" not in message


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="RLIMIT_AS is enforced on Linux only")
def test_allocating_4_gb_under_a_1_gb_cap_is_refused():
    with pytest.raises(UserError, match=r"needed more than 1 GB of memory"):
        run_limited(bytearray, 4 * GB, timeout_s=60, memory_bytes=1 * GB)
    assert no_sandbox_children()


def test_the_time_limit_stops_a_function_that_never_returns():
    with pytest.raises(UserError, match=r"did not finish within 1 s"):
        run_limited(time.sleep, 10_000, timeout_s=1, memory_bytes=2 * GB)
    assert no_sandbox_children()


def test_cancel_from_another_thread_kills_the_child():
    cancel = threading.Event()
    outcome: list[BaseException] = []

    def work() -> None:
        try:
            run_limited(time.sleep, 10_000, timeout_s=600, memory_bytes=2 * GB, cancel=cancel)
        except BaseException as exc:  # noqa: BLE001 - the test inspects it
            outcome.append(exc)

    worker = threading.Thread(target=work)
    worker.start()
    # Wait until the child exists (spawn takes a moment), then cancel it.
    while no_sandbox_children() and worker.is_alive():
        time.sleep(0.01)
    cancel.set()
    worker.join(timeout=60)  # a hang guard, not a speed test (bench/hostile_inputs.py measures the latency)
    assert not worker.is_alive()
    assert len(outcome) == 1 and isinstance(outcome[0], Cancelled), outcome
    assert no_sandbox_children()


def test_a_child_killed_by_a_signal_is_reported_in_one_line():
    if not hasattr(os, "abort") or sys.platform == "win32":
        pytest.skip("signals are POSIX")
    with pytest.raises(UserError, match=r"crashed \(SIGABRT\).*more than 2 GB of memory"):
        run_limited(os.abort, timeout_s=60, memory_bytes=2 * GB)


def test_an_unpicklable_result_is_a_user_error():
    with pytest.raises(UserError, match="could not be sent back"):
        run_limited(threading.Lock, timeout_s=60, memory_bytes=2 * GB)


def test_importing_the_sandbox_is_cheap():
    """The GUI imports it at start-up: no numpy, onnx or onnxruntime behind it."""
    code = ("import sys; import explorer.core.sandbox; "
            "print(sorted(m for m in ('numpy', 'onnx', 'onnxruntime', 'cv2', 'PySide6') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def steps(count: int, pause_s: float, progress) -> int:
    """Reports step i of ``count`` and then works ``pause_s`` (run in the child; importable as this module)."""
    for i in range(count):
        progress(i / count, f"step {i}")
        time.sleep(pause_s)
    progress(1.0, "done")
    return count


def test_progress_reports_reach_the_caller_in_order():
    seen: list[tuple[float, str]] = []
    # 0.2 s between reports, above the child's 0.05 s throttle: every report is sent.
    assert run_limited(steps, 4, 0.2, timeout_s=60, memory_bytes=2 * GB,
                       progress=lambda f, text: seen.append((f, text))) == 4
    assert seen == [(0.0, "step 0"), (0.25, "step 1"), (0.5, "step 2"), (0.75, "step 3"), (1.0, "done")]
    assert no_sandbox_children()


def test_with_progress_the_time_limit_bounds_each_step_not_the_whole():
    # Four steps of 2 s each: 8 s in all, twice the 4 s limit, but no step reaches it.
    assert run_limited(steps, 4, 2.0, timeout_s=4, memory_bytes=2 * GB, progress=lambda f, text: None) == 4
    with pytest.raises(UserError, match=r"made no progress for 1 s"):
        run_limited(steps, 1, 10_000, timeout_s=1, memory_bytes=2 * GB, progress=lambda f, text: None)
    assert no_sandbox_children()


def test_a_progress_callback_that_raises_stops_the_child():
    """A task runner's ctx.progress raises once the task is cancelled: that must end the child too."""
    class Stop(Exception):
        pass

    def stop(fraction: float, text: str) -> None:
        raise Stop

    with pytest.raises(Stop):
        run_limited(steps, 1, 10_000, timeout_s=600, memory_bytes=2 * GB, progress=stop)
    assert no_sandbox_children()


# ----- SandboxedSession: a user's model held in a long-lived child -------------------------------------------
def _model_children() -> list:
    return [p for p in multiprocessing.active_children() if p.name == "cnn-explorer-model"]


def _gone(pid: int) -> bool:
    """The process has exited and been reaped (a zombie would still be listed in /proc)."""
    return not os.path.exists(f"/proc/{pid}") if sys.platform.startswith("linux") else True


@pytest.fixture
def plain_model(tmp_path):
    import hostile_files as hostile

    return hostile.save(hostile.huge_input(16), tmp_path / "plain.onnx")  # a 16×16 conv net: nothing hostile


def test_a_sandboxed_model_gives_what_an_in_process_session_gives(plain_model):
    import numpy as np

    from explorer.core.live_inference import LiveSession
    from explorer.core.runtime import ActivationSession
    from explorer.core.sandboxed_session import SandboxedLive, SandboxedSession

    x = np.random.default_rng(1).standard_normal((1, 1, 16, 16)).astype(np.float32)
    here = ActivationSession(plain_model)
    there = SandboxedSession(plain_model, memory_bytes=2 * GB, timeout_s=60)
    assert (there.input_name, there.input_shape, there.tensor_names, there.layer_tensor, there.output_name) == (
        here.input_name, here.input_shape, here.tensor_names, here.layer_tensor, here.output_name)
    got, want = there.run(x), here.run(x)
    assert list(got.tensors) == list(want.tensors) == ["conv1"]
    assert got.tensors["conv1"].dtype == np.float32
    np.testing.assert_array_equal(got.tensors["conv1"], want.tensors["conv1"])
    np.testing.assert_array_equal(got.output, want.output)
    live = SandboxedLive(there, ["conv1"]).run(x)
    np.testing.assert_array_equal(live["conv1"], LiveSession(here, ["conv1"]).run(x)["conv1"])
    pid, block = there.pid, there._block[0].name  # the answers' shared memory
    there.close()
    assert pid is not None and _gone(pid) and not _model_children()
    if sys.platform.startswith("linux"):
        assert not os.path.exists(f"/dev/shm/{block}")  # unlinked, not left for the resource tracker


def test_a_child_that_died_is_replaced_by_a_fresh_one_on_the_next_run(plain_model):
    import numpy as np

    from explorer.core.sandboxed_session import SandboxedSession

    x = np.ones((1, 1, 16, 16), np.float32)
    session = SandboxedSession(plain_model, memory_bytes=2 * GB, timeout_s=60)
    first = session.run(x).tensors["conv1"]
    old = session.pid
    os.kill(old, 9)
    while session.alive:  # the kill lands asynchronously
        time.sleep(0.01)
    np.testing.assert_array_equal(session.run(x).tensors["conv1"], first)
    assert session.pid != old and _gone(old)
    session.close()


def test_a_hidden_allocation_is_one_line_and_the_child_is_gone(tmp_path):
    """ConstantOfShape behind an Abs passes every static check; under a 2 GB cap its 6 GB fail in the child."""
    import hostile_files as hostile
    import numpy as np

    from explorer.core.sandboxed_session import SandboxedSession

    path = hostile.save(hostile.hidden_allocation(), tmp_path / "alloc.onnx")
    session = SandboxedSession(path, memory_bytes=2 * GB, timeout_s=60)
    pid = session.pid
    with pytest.raises(UserError, match=r"^'alloc.onnx' needed more than 2 GB of memory and was stopped"):
        session.run(np.zeros((1, 1, 8, 8), np.float32))
    assert _gone(pid) and not session.alive


def test_an_answer_bigger_than_the_app_holds_is_refused(tmp_path, monkeypatch):
    """Under a cap with room for it, the hidden tensor is computed in the child but never sent to the app."""
    import hostile_files as hostile
    import numpy as np

    from explorer.core import sandboxed_session
    from explorer.core.sandboxed_session import SandboxedSession

    monkeypatch.setattr(sandboxed_session, "MAX_ANSWER_BYTES", 100_000)
    path = hostile.save(hostile.hidden_allocation(elements=1_000_000), tmp_path / "alloc.onnx")  # 4 MB
    session = SandboxedSession(path, memory_bytes=2 * GB, timeout_s=60)
    with pytest.raises(UserError, match=r"produced 0.00373 GB of activations, more than the 9.31e-05 GB"):
        session.run(np.zeros((1, 1, 8, 8), np.float32))
    assert not session.alive


def test_an_endless_run_times_out_and_the_next_request_gets_a_fresh_child(tmp_path):
    import hostile_files as hostile
    import numpy as np

    from explorer.core.sandboxed_session import SandboxedSession

    path = hostile.save(hostile.endless_loop(hidden=True), tmp_path / "loop.onnx")
    session = SandboxedSession(path, memory_bytes=4 * GB, timeout_s=60)
    session.timeout_s = 1  # the start above may take longer on a busy machine; the run may not
    pid = session.pid
    with pytest.raises(UserError, match=r"^'loop.onnx' did not finish within 1 s and was stopped"):
        session.run(np.zeros((1, 1, 8, 8), np.float32))
    assert _gone(pid) and not _model_children()


def _cancel_a_loop_run(tmp_path, monkeypatch, grace_s: float):
    """Run the endless-loop model on a thread, cancel it from here: (the run's exception, pid before, session)."""
    import hostile_files as hostile
    import numpy as np

    from explorer.core import sandboxed_session
    from explorer.core.ort_setup import ort
    from explorer.core.sandboxed_session import SandboxedSession

    monkeypatch.setattr(sandboxed_session, "CANCEL_GRACE_S", grace_s)
    path = hostile.save(hostile.endless_loop(hidden=True), tmp_path / "loop.onnx")
    session = SandboxedSession(path, memory_bytes=4 * GB, timeout_s=600)
    pid = session.pid
    options = ort.RunOptions()
    outcome: list[BaseException] = []

    def work() -> None:
        try:
            session.run(np.zeros((1, 1, 8, 8), np.float32), options)
        except BaseException as exc:  # noqa: BLE001 - the test inspects it
            outcome.append(exc)

    worker = threading.Thread(target=work)
    worker.start()
    while not session._in_flight and worker.is_alive():  # the run was sent
        time.sleep(0.01)
    time.sleep(0.2)  # well inside the loop
    session.cancel()
    worker.join(timeout=60)  # a hang guard; bench/user_model.py measures the latency
    assert not worker.is_alive()
    assert len(outcome) == 1
    return outcome[0], pid, session


def test_cancelling_a_run_stops_it_in_the_child_which_stays(tmp_path, monkeypatch):
    """Pausing a video or opening another picture cancels the run under way: the child stops it (onnxruntime's
    terminate, between nodes: here between iterations of an endless Loop) and keeps its session for the next
    request, instead of being killed and costing a new child and a model load."""
    from explorer.core.runtime import RunCancelled

    import numpy as np

    from explorer.core.errors import UserError

    error, pid, session = _cancel_a_loop_run(tmp_path, monkeypatch, grace_s=30.0)
    assert isinstance(error, RunCancelled), error
    assert session.alive and session.pid == pid
    with pytest.raises(UserError, match=r"expects an input of shape \(1, 1, 8, 8\)"):  # the next answer is its own
        session.run(np.zeros((1, 1, 4, 4), np.float32))
    assert session.pid == pid
    session.close()
    assert _gone(pid) and not _model_children()


def test_a_cancelled_run_that_does_not_stop_in_time_is_killed(tmp_path, monkeypatch):
    """A node that never looks at the terminate flag (a hostile model) must not hold the app: after the grace the
    child is killed, as before."""
    from explorer.core.runtime import RunCancelled

    error, pid, session = _cancel_a_loop_run(tmp_path, monkeypatch, grace_s=0.0)
    assert isinstance(error, RunCancelled), error
    assert _gone(pid) and not _model_children()


def _wake_ups(pid: int) -> int:
    """Times the threads of ``pid`` have gone to sleep and been woken (voluntary context switches), so far."""
    total = 0
    for task in os.listdir(f"/proc/{pid}/task"):
        with open(f"/proc/{pid}/task/{task}/status") as status:
            total += sum(int(line.split()[1]) for line in status if line.startswith("voluntary_ctxt_switches"))
    return total


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="counts context switches in /proc")
def test_an_idle_child_sleeps_until_a_cancel_comes(plain_model):
    """A loaded user's model idles for as long as it stays loaded: the thread that stops a cancelled run waits for
    the parent's word asleep. It used to look every 10 ms: ~100 wake-ups a second, for nothing."""
    import numpy as np

    from explorer.core.sandboxed_session import SandboxedSession

    session = SandboxedSession(plain_model, memory_bytes=2 * GB, timeout_s=60)
    session.run(np.ones((1, 1, 16, 16), np.float32))
    time.sleep(0.3)  # onnxruntime's and Python's own threads settle
    before = _wake_ups(session.pid)
    time.sleep(1.0)
    assert _wake_ups(session.pid) - before < 10
    session.close()


def test_a_session_dropped_without_close_stops_its_child(plain_model):
    import gc

    from explorer.core.sandboxed_session import SandboxedSession

    session = SandboxedSession(plain_model, memory_bytes=2 * GB, timeout_s=60)
    pid = session.pid
    del session
    gc.collect()
    assert _gone(pid) and not _model_children()
