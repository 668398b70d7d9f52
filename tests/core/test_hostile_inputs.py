"""Hostile and unusual files at the core: refused in one line at once, or handled exactly.

Every file is generated here (tests/hostile_files.py); references are brute force or hand calculations.
"""
from __future__ import annotations

import os
import sys
import threading
import zlib

import cv2
import numpy as np
import onnx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from onnx import TensorProto

import hostile_files as hostile
from explorer.core import files, images, inspect, kernels, models, onnx_load
from explorer.core import preprocess as pp
from explorer.core import conv as conv_core
from explorer.core.errors import UserError
from explorer.core.runtime import ActivationSession, compute_activations

posix_only = pytest.mark.skipif(sys.platform == "win32", reason="FIFOs and /dev files are POSIX")


def refused_at_once(call, *args) -> str:
    """The UserError message of call(*args), run in a thread so a blocking read fails the test, not hangs it."""
    outcome: list[BaseException | None] = []

    def target() -> None:
        try:
            call(*args)
            outcome.append(None)
        except BaseException as exc:  # noqa: BLE001 - inspected below
            outcome.append(exc)

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(timeout=30)  # a hang guard, not a speed test
    assert not thread.is_alive(), f"{call.__name__}{args} blocked"
    assert isinstance(outcome[0], UserError), outcome
    message = str(outcome[0])
    assert "\n" not in message
    return message


def correlate(image: np.ndarray, weight: np.ndarray, pad: int) -> np.ndarray:
    """Brute-force NCHW cross-correlation (stride 1): the oracle for the models below."""
    x = np.pad(image.astype(np.float64), ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    cout, cin, k, _ = weight.shape
    h, w = x.shape[2] - k + 1, x.shape[3] - k + 1
    out = np.zeros((1, cout, h, w))
    for o in range(cout):
        for y in range(h):
            for c in range(w):
                out[0, o, y, c] = (x[0, :, y:y + k, c:c + k] * weight[o]).sum()
    return out


# --- images -------------------------------------------------------------------------------------------------


@posix_only
def test_a_fifo_is_refused_without_blocking(tmp_path):
    fifo = tmp_path / "photo.png"
    os.mkfifo(fifo)
    for load in (images.load_image, onnx_load.load_model):
        assert "named pipe" in refused_at_once(load, fifo)


@posix_only
@pytest.mark.parametrize("device", ["/dev/zero", "/dev/urandom"])
def test_a_symlink_to_an_endless_device_is_refused(tmp_path, device):
    link = tmp_path / "photo.png"
    link.symlink_to(device)
    assert "is a device" in refused_at_once(images.load_image, link)
    assert "is a device" in refused_at_once(onnx_load.load_model, link.rename(tmp_path / "m.onnx"))


def test_a_folder_is_refused(tmp_path):
    assert "folder" in refused_at_once(images.load_image, tmp_path)


def test_read_regular_reads_exactly_the_file(tmp_path):
    path = tmp_path / "data.bin"
    payload = os.urandom(10_000)
    path.write_bytes(payload)
    assert files.read_regular(path, 10_000) == payload
    with pytest.raises(files.TooLarge) as raised:
        files.read_regular(path, 9_999)
    assert raised.value.size == 10_000


def test_a_16_bit_rgba_image_is_flattened_strip_by_strip_exactly(monkeypatch):
    """Strips give the same pixels as one whole-image pass, and both match the compositing formula."""
    rng = np.random.default_rng(0)
    rgba = rng.integers(0, 65536, (300, 200, 4), dtype=np.uint16)
    ok, data = cv2.imencode(".png", rgba)
    assert ok
    whole = images.decode_image(data.tobytes(), "whole.png")
    monkeypatch.setattr(images, "_STRIP_PIXELS", 1000)  # 5 rows per strip, the last one partial
    strips = images.decode_image(data.tobytes(), "strips.png")
    np.testing.assert_array_equal(strips.pixels, whole.pixels)
    assert strips.notes == whole.notes == ("16-bit values scaled to 8-bit", "transparency flattened onto white")
    colour = rgba[:, :, 2::-1].astype(np.float64) / 65535  # OpenCV's BGR(A) -> RGB
    alpha = rgba[:, :, 3:].astype(np.float64) / 65535
    expected = (colour * alpha + (1 - alpha)) * 255
    assert np.abs(strips.pixels - expected).max() <= 0.5 + 1e-3  # rounded once, in float32


def test_libpng_complaints_stay_off_stderr(capfd):
    ok, data = cv2.imencode(".png", np.random.default_rng(1).integers(0, 256, (64, 64, 3), dtype=np.uint8))
    damaged = bytearray(data.tobytes())
    damaged[len(damaged) // 2] ^= 0xFF  # inside IDAT: libpng prints "libpng error: IDAT: ..." by itself
    with pytest.raises(UserError, match="could not be decoded"):
        images.decode_image(bytes(damaged), "damaged.png")
    assert capfd.readouterr().err == ""


def test_a_truncated_gif_is_called_damaged_not_unsupported(tmp_path):
    path = hostile.truncated_gif(tmp_path / "cut.gif")
    message = refused_at_once(images.load_image, path)
    assert "damaged" in message and "support" not in message


@pytest.mark.parametrize("pixels, ext, per_pixel", [
    (np.zeros((10, 20, 4), np.uint16), ".png", 8), (np.zeros((10, 20, 3), np.uint8), ".png", 3),
    (np.zeros((10, 20), np.uint8), ".png", 1), (np.zeros((10, 20, 3), np.float32), ".tiff", 12),
    (np.zeros((10, 20, 4), np.uint16), ".tiff", 8), (np.zeros((10, 20), np.uint8), ".tiff", 1),
])
def test_the_header_tells_the_decoded_size(pixels, ext, per_pixel):
    ok, data = cv2.imencode(ext, pixels)
    assert ok
    assert images.read_header(data.tobytes(), "x").bytes_per_pixel == per_pixel


def test_decoding_is_refused_beyond_the_decoded_size_limit(monkeypatch):
    """100×100: 16-bit RGBA decodes to 80,000 bytes, 8-bit RGBA to 40,000; the limit sits between them."""
    monkeypatch.setattr(images, "MAX_DECODED_BYTES", 50_000)
    ok, deep = cv2.imencode(".png", np.zeros((100, 100, 4), np.uint16))
    ok8, shallow = cv2.imencode(".png", np.zeros((100, 100, 4), np.uint8))
    assert ok and ok8
    with pytest.raises(UserError, match="8 bytes per pixel"):
        images.decode_image(deep.tobytes(), "deep.png")
    assert images.decode_image(shallow.tobytes(), "shallow.png").pixels.shape == (100, 100, 3)


def test_the_16_bit_rgba_header_of_the_issue_is_legal(tmp_path):
    """The file the memory benchmark and the CLI test use: 6324×6324, 16-bit RGBA, ~311 KB."""
    path = hostile.big_png_16bit_rgba(tmp_path / "big.png")
    header = images.read_header(path.read_bytes(), "big.png")
    assert (header.width, header.height) == (6324, 6324)
    assert path.stat().st_size < 400_000
    assert zlib.crc32(path.read_bytes()[12:29]) == int.from_bytes(path.read_bytes()[29:33], "big")  # IHDR CRC


# --- playground parameters ------------------------------------------------------------------------------------


@pytest.mark.parametrize("params, pool, word", [
    (conv_core.ConvParams(padding=20000), conv_core.PoolParams(), "padding from 0 to 10"),
    (conv_core.ConvParams(size=16), conv_core.PoolParams(), "filter size from 1 to 15"),
    (conv_core.ConvParams(size=0), conv_core.PoolParams(), "filter size from 1 to 15"),
    (conv_core.ConvParams(stride=9), conv_core.PoolParams(), "stride from 1 to 8"),
    (conv_core.ConvParams(dilation=7), conv_core.PoolParams(), "dilation from 1 to 6"),
    (conv_core.ConvParams(), conv_core.PoolParams("max", size=9), "pool size from 1 to 8"),
    (conv_core.ConvParams(), conv_core.PoolParams("avg", stride=9), "pool stride from 1 to 8"),
])
def test_playground_limits(params, pool, word):
    with pytest.raises(UserError, match=word):
        conv_core.playground_forward(np.zeros((20, 20), np.uint8), np.ones((params.size, params.size)) if
                                     params.size > 0 else np.ones((1, 1)), params, "gray", pool)


def test_limits_themselves_are_allowed():
    params = conv_core.ConvParams(size=conv_core.MAX_FILTER, stride=conv_core.MAX_STRIDE,
                                  padding=conv_core.MAX_PADDING, dilation=1)
    pool = conv_core.PoolParams("max", size=2, stride=conv_core.MAX_POOL_STRIDE)
    result = conv_core.playground_forward(np.zeros((40, 40), np.uint8), np.ones((15, 15)), params, "gray", pool)
    assert result.conv.shape == (conv_core.output_size(40, 15, 8, 10),) * 2


@pytest.mark.parametrize("value", [np.nan, np.inf, -np.inf, 1e39, 2e6])
def test_non_finite_or_huge_kernel_values_are_refused(value):
    kernel = np.ones((3, 3))
    kernel[1, 2] = value
    with pytest.raises(UserError, match="finite values between"):
        conv_core.playground_forward(np.zeros((8, 8), np.uint8), kernel, conv_core.ConvParams(), "gray",
                                     conv_core.PoolParams())


@pytest.mark.parametrize("typed", ["sobel_x", "Sobel-X", "  SOBEL   x ", "sobel x"])
def test_preset_names_forgive_case_underscores_and_hyphens(typed):
    assert kernels.preset_name(typed) == "sobel x"


# --- models: refused before anything runs ------------------------------------------------------------------------


@pytest.mark.parametrize("model, words", [
    (hostile.constant_of_shape(), "tensor 'big' is 1,500,000,000 (6.00 GB)"),
    (hostile.constant_of_shape_from_input(), "tensor 'big' is 1×1×44,800×33,600 (6.02 GB)"),  # 224·200, 224·150
    (hostile.huge_input(65535), "input 'x' is 1×1×65,535×65,535 (17.18 GB)"),
    (hostile.huge_input(2**40), "input 'x' is 1×1×1,099,511,627,776×1,099,511,627,776"),
    (hostile.endless_loop(), "Loop 'loop' runs 1,000,000,000,000,000 times"),
])
def test_oversized_tensors_and_loops_are_refused_before_running(model, words):
    with pytest.raises(UserError) as raised:
        ActivationSession(model)
    assert words in str(raised.value)


def test_inspect_does_not_probe_an_oversized_model():
    info = inspect.inspect_model(hostile.constant_of_shape_from_input())
    assert any("6.02 GB" in note for note in info.notes)


def test_a_cycle_is_named(tmp_path):
    path = hostile.save(hostile.cycle(), tmp_path / "loop.onnx")
    message = refused_at_once(onnx_load.load_model, path)
    assert "cycle (a -> b -> a)" in message and "truncated" not in message


@pytest.mark.parametrize("model, words", [
    (hostile.versioned(ir=99), "IR version 99"),
    (hostile.versioned(opset=99), "opset 99"),
])
def test_onnxruntime_version_messages_are_plain_words(model, words):
    with pytest.raises(UserError) as raised:
        ActivationSession(model)
    message = str(raised.value)
    assert words in message
    assert "onnxruntime::" not in message and ".cc:" not in message and ".h:" not in message


# --- models: valid ones that used to be refused or mishandled ------------------------------------------------


def _weight(model: onnx.ModelProto) -> np.ndarray:
    return onnx.numpy_helper.to_array(next(t for t in model.graph.initializer if t.name == "w"))


def test_weights_listed_as_graph_inputs_are_fed_from_their_initializers():
    model = hostile.weights_as_inputs()
    image = np.random.default_rng(2).integers(0, 256, (16, 16, 3), dtype=np.uint8)
    acts = compute_activations(model, image)
    session = ActivationSession(model)
    assert session.input_name == "x"
    tensor = acts.tensors["conv1"]
    fed = pp.prepare(image, pp.default_for_input((1, 3, 16, 16))[0]).tensor
    np.testing.assert_allclose(tensor, correlate(fed, _weight(model), pad=1), atol=1e-4)


def test_a_uint8_input_gets_the_raw_pixels():
    model = hostile.typed_input(TensorProto.UINT8)
    image = np.random.default_rng(3).integers(0, 256, (16, 16, 3), dtype=np.uint8)
    acts = compute_activations(model, image)
    raw = image.transpose(2, 0, 1)[None]  # RGB planes, values 0..255 as stored
    np.testing.assert_allclose(acts.tensors["conv1"], correlate(raw, _weight(model), pad=1), rtol=1e-5, atol=1e-3)


def test_a_float16_input_is_fed_as_float16():
    model = hostile.typed_input(TensorProto.FLOAT16)
    session = ActivationSession(model)
    assert session.input_dtype == np.float16
    tensor = np.random.default_rng(4).random((1, 3, 16, 16)).astype(np.float32)
    out = session.run(tensor).tensors["conv1"]
    assert out.dtype == np.float16
    expected = correlate(tensor.astype(np.float16), _weight(model).astype(np.float64), pad=0)
    np.testing.assert_allclose(out, expected, atol=2e-2)  # float16 accumulation


def test_a_qlinearconv_model_lists_its_convolution_with_shape_params_and_macs():
    info = inspect.inspect_model(hostile.qlinear_conv())
    layer = next(layer for layer in info.layers if layer.op == "QLinearConv")
    # 16×16 input, 3×3 kernel, stride 2, pad 1: floor((16 + 2 - 3)/2) + 1 = 8; weights 4·3·3·3 = 108;
    # MACs 8·8 outputs · 4 filters · 27 taps = 6912.
    assert layer.shape == (1, 4, 8, 8)
    assert (layer.params, layer.macs) == (108, 6912)


def test_a_qlinearconv_model_runs_and_its_convolution_is_the_default_layer():
    model = hostile.qlinear_conv()
    assert models.first_convolution(model) == "qconv1"
    acts = compute_activations(model, np.zeros((16, 16, 3), np.uint8))
    assert acts.tensors["yq"].shape == (1, 4, 8, 8)


# --- npz for any tensor name ----------------------------------------------------------------------------------

_NAMES = st.text(st.characters(blacklist_characters="\x00", blacklist_categories=("Cs",)), min_size=1, max_size=12)


@settings(max_examples=15, deadline=None)
@given(names=st.lists(_NAMES, min_size=1, max_size=4, unique=True))
def test_npz_round_trips_any_tensor_names(tmp_path_factory, names):
    path = tmp_path_factory.mktemp("npz") / "all.npz"
    arrays = {name: np.arange(k + 1, dtype=np.float32) * (k + 1) for k, name in enumerate(names)}
    files.write_npz(path, arrays)
    with np.load(path) as loaded:
        assert sorted(loaded.files) == sorted(names)
        for name, array in arrays.items():
            np.testing.assert_array_equal(loaded[name], array)


def test_npz_takes_numpys_own_keyword_names(tmp_path):
    arrays = {"file": np.ones(2), "allow_pickle": np.zeros((2, 2)), "/a/b:0": np.arange(3), "x.npy": np.eye(2)}
    files.write_npz(tmp_path / "k.npz", arrays)
    with np.load(tmp_path / "k.npz") as loaded:
        assert {name: loaded[name].tolist() for name in loaded.files} == {k: v.tolist() for k, v in arrays.items()}


def test_a_qlinearconv_layer_has_the_receptive_field_of_its_convolution():
    """3×3, stride 2, pad 1: size 3, stride 2, padding 1 (it was "the whole input"); unit (3, 5) sees rows
    3·2 − 1 … 3·2 + 1 = 5…7 and columns 9…11."""
    info = inspect.inspect_model(hostile.qlinear_conv())
    layer = next(layer for layer in info.layers if layer.op == "QLinearConv")
    assert (layer.rf.size, layer.rf.stride, layer.rf.padding) == ((3, 3), (2, 2), (1, 1))
    assert inspect.unit_box(info, layer.name, 3, 5) == (5, 9, 7, 11)
