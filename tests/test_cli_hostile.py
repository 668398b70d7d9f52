"""Hostile files and parameters on the command line: exit 2, one line on stderr, no traceback, in bounded time
and memory (peak resident memory of the whole process tree, the sandbox's child included)."""
from __future__ import annotations

import os
import subprocess
import sys

import cv2
import numpy as np
import pytest

import hostile_files as hostile
from explorer.cli import EXIT_BROKEN_PIPE, main

TIME_BOUND_S = 90  # generous: the test machine is shared; the bench records real times (bench/README.md)


@pytest.fixture(scope="module")
def image(tmp_path_factory):
    path = tmp_path_factory.mktemp("img") / "photo.png"
    cv2.imwrite(str(path), np.random.default_rng(0).integers(0, 256, (40, 40, 3), dtype=np.uint8))
    return path


def one_line_refusal(measured: hostile.Measured, words: str) -> None:
    assert measured.returncode == 2, measured
    lines = measured.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("cnn-explorer: ") and words in lines[0], measured.stderr
    assert measured.seconds < TIME_BOUND_S


# The other refusals (2^40 input, cycle, IR/opset 99) are the same code path; tests/core covers their messages.
@pytest.mark.parametrize("builder, extra, words, peak_mb", [
    (hostile.constant_of_shape, [], "6.00 GB", 400),
    (hostile.constant_of_shape_from_input, [], "6.02 GB", 400),
    (lambda: hostile.huge_input(65535), [], "17.18 GB", 400),
    (hostile.hidden_allocation, ["--max-memory", "1"], "memory", 1100),  # only the cap can stop this one
    (hostile.endless_loop, [], "runs 1,000,000,000,000,000 times", 400),
    # Its output grows as fast as the CPU allows (669 MB in 3 s under load, 1,195 MB idle): only the cap bounds the
    # memory, whichever limit stops it first; the line names the file either way.
    (lambda: hostile.endless_loop(hidden=True), ["--timeout", "3", "--max-memory", "1"], "'hostile.onnx'", 1400),
], ids=["constant-of-shape", "from-input-shape", "input-65535", "hidden-allocation", "loop-10^15",
        "hidden-loop"])
def test_hostile_models_are_refused_by_activations(tmp_path, image, builder, extra, words, peak_mb):
    model = hostile.save(builder(), tmp_path / "hostile.onnx")
    measured = hostile.run_measured(["activations", str(model), str(image), "--out", str(tmp_path / "m.png"),
                                     *extra])
    one_line_refusal(measured, words)
    assert measured.peak_mb < peak_mb, measured


# Explanations run only what the class scores need: hostile.scored makes the hostile part feed them.
@pytest.mark.parametrize("command, builder, extra, words, peak_mb", [
    ("explain", lambda: hostile.scored(hostile.constant_of_shape()), [], "6.00 GB", 400),  # 7.7 GB before
    ("explain", lambda: hostile.scored(hostile.constant_of_shape_from_input()), [], "6.02 GB", 400),
    ("explain", lambda: hostile.huge_input(65535), [], "17.18 GB", 400),  # an OpenCV traceback before
    ("explain", lambda: hostile.scored(hostile.endless_loop()), [], "runs 1,000,000,000,000,000 times", 400),
    ("explain", lambda: hostile.scored(hostile.hidden_allocation()), ["--max-memory", "1"], "memory", 1100),
    # As for activations: the memory cap or the time limit, whichever comes first; the line names the file.
    ("explain", lambda: hostile.scored(hostile.endless_loop(hidden=True)), ["--timeout", "3", "--max-memory", "1"],
     "'hostile.onnx'", 1400),
    ("erf", lambda: hostile.scored(hostile.hidden_allocation()), ["--max-memory", "1"], "memory", 1100),
    ("erf", lambda: hostile.scored(hostile.endless_loop(hidden=True)), ["--timeout", "3", "--max-memory", "1"],
     "'hostile.onnx'", 1400),
], ids=["explain-constant-of-shape", "explain-from-input-shape", "explain-input-65535", "explain-loop-10^15",
        "explain-hidden-allocation", "explain-hidden-loop", "erf-hidden-allocation", "erf-hidden-loop"])
def test_hostile_models_are_refused_by_explain_and_erf(tmp_path, image, command, builder, extra, words, peak_mb):
    model = hostile.save(builder(), tmp_path / "hostile.onnx")
    what = ([str(image), "--method", "occlusion"] if command == "explain"
            else ["--layer", "score", "--unit", "0", "0", "0"])
    measured = hostile.run_measured([command, str(model), *what, "--out", str(tmp_path / "m.png"), *extra])
    one_line_refusal(measured, words)
    assert "terminate called" not in measured.stderr
    assert measured.peak_mb < peak_mb, measured


def test_inspect_of_an_endless_loop_stops_at_the_timeout(tmp_path):
    model = hostile.save(hostile.endless_loop(hidden=True), tmp_path / "loop.onnx")
    one_line_refusal(hostile.run_measured(["inspect", str(model), "--timeout", "3"]), "did not finish within 3 s")


def test_inspect_of_a_model_sized_by_its_input_does_not_allocate(tmp_path):
    model = hostile.save(hostile.constant_of_shape_from_input(), tmp_path / "big.onnx")
    measured = hostile.run_measured(["inspect", str(model)])
    assert measured.returncode == 0 and measured.stderr == ""
    assert measured.peak_mb < 400, measured  # it took 6 GB before


@pytest.mark.skipif(sys.platform == "win32", reason="FIFOs and /dev files are POSIX")
def test_a_fifo_and_dev_zero_as_images(tmp_path):
    fifo = tmp_path / "fifo.png"
    os.mkfifo(fifo)
    zero = tmp_path / "zero.png"
    zero.symlink_to("/dev/zero")
    for path, words in [(fifo, "named pipe"), (zero, "is a device")]:
        one_line_refusal(hostile.run_measured(["conv", str(path), "--out", str(tmp_path / "o.png")]), words)


def test_a_legal_40_megapixel_16_bit_png_decodes_in_bounded_memory(tmp_path):
    png = hostile.big_png_16bit_rgba(tmp_path / "big.png")
    measured = hostile.run_measured(["conv", str(png), "--out", str(tmp_path / "o.png")])
    assert measured.returncode == 0, measured
    # 320 MB decoded + 120 MB of 8-bit RGB + the interpreter; 2.1 GB before the strip-wise conversion.
    assert measured.peak_mb < 1000, measured


@pytest.mark.parametrize("args, words", [
    (["--padding", "20000"], "padding from 0 to 10"),
    (["--padding", "99999"], "padding from 0 to 10"),
    (["--size", "0"], "filter size from 1 to 15"),
    (["--size", "100000"], "filter size from 1 to 15"),
    (["--kernel", "[[NaN]]"], "value nan"),
    (["--kernel", "[[Infinity, 1], [1, 1]]"], "value inf"),
    (["--stride", "9"], "stride from 1 to 8"),
    (["--pool", "max", "--pool-size", "9"], "pool size from 1 to 8"),
])
def test_conv_parameters_follow_the_playground_limits(tmp_path, image, capsys, args, words):
    assert main(["conv", str(image), "--out", str(tmp_path / "o.png"), *args]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and words in err, err


def test_preset_names_with_underscores(tmp_path, image):
    outputs = []
    for name in ("sobel x", "sobel_x", "Sobel-X"):
        npy = tmp_path / f"{name}.npy"
        assert main(["conv", str(image), "--kernel", name, "--out", str(tmp_path / "o.png"), "--npy", str(npy)]) == 0
        outputs.append(np.load(npy))
    np.testing.assert_array_equal(outputs[0], outputs[1])
    np.testing.assert_array_equal(outputs[0], outputs[2])


def test_a_closed_pipe_ends_quietly():
    """`cnn-explorer inspect lenet5 | head -3`: the reader is gone before we print."""
    with subprocess.Popen([sys.executable, "-m", "explorer", "inspect", "lenet5", "--json"],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE) as process:
        process.stdout.close()
        err = process.stderr.read().decode()
        assert process.wait(timeout=TIME_BOUND_S) == EXIT_BROKEN_PIPE
    assert err == ""


def test_activations_npz_keeps_every_tensor_name(tmp_path):
    model = hostile.save(hostile.odd_tensor_names(), tmp_path / "names.onnx")
    image = tmp_path / "g.png"
    cv2.imwrite(str(image), np.full((16, 16), 100, np.uint8))
    npz = tmp_path / "all.npz"
    assert main(["activations", str(model), str(image), "--out", str(tmp_path / "m.png"), "--npz", str(npz)]) == 0
    with np.load(npz) as loaded:
        assert sorted(loaded.files) == sorted(["file", "allow_pickle", "/a/b:0", "x.npy", "conv1"])
        # Relu of a non-negative image is the image: every named tensor holds the input (100/255 in [0, 1]).
        for name in ("file", "allow_pickle", "/a/b:0", "x.npy"):
            np.testing.assert_allclose(loaded[name], np.full((1, 1, 16, 16), 100 / 255, np.float32), rtol=1e-6)


def test_a_quantised_model_shows_its_convolution(tmp_path, image, capsys):
    model = hostile.save(hostile.qlinear_conv(), tmp_path / "q.onnx")
    assert main(["activations", str(model), str(image), "--out", str(tmp_path / "m.png")]) == 0
    assert "layer qconv1 (1, 4, 8, 8)" in capsys.readouterr().out


def test_a_model_that_dies_at_the_memory_cap_leaves_one_line(tmp_path, image):
    """onnxruntime aborts with "terminate called … bfc_arena" when the cap makes an allocation fail; that text came
    through the child's stderr beside our message."""
    model = hostile.save(hostile.endless_loop(hidden=True), tmp_path / "hostile.onnx")
    measured = hostile.run_measured(["activations", str(model), str(image), "--out", str(tmp_path / "m.png"),
                                     "--timeout", "20", "--max-memory", "1"])
    one_line_refusal(measured, "'hostile.onnx'")
    assert "terminate called" not in measured.stderr
