"""Image loading: a corpus of good and bad files is generated in tmp_path; nothing is downloaded."""
from __future__ import annotations

import os
import struct
import zlib
from pathlib import Path

import cv2
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from explorer.core.errors import UserError
from explorer.core.images import (
    MAX_PIXELS,
    WORKING_MAX_SIDE,
    LoadedImage,
    decode_image,
    from_array,
    load_image,
    read_header,
)

RNG = np.random.default_rng(0)


def encode(ext: str, pixels: np.ndarray, params: list[int] | None = None) -> bytes:
    """cv2.imencode takes BGR(A); tests speak RGB(A), so flip colour images here."""
    if pixels.ndim == 3:
        pixels = cv2.cvtColor(pixels, cv2.COLOR_RGB2BGR if pixels.shape[2] == 3 else cv2.COLOR_RGBA2BGRA)
    ok, buf = cv2.imencode(ext, pixels, params or [])
    assert ok
    return buf.tobytes()


def _chunk(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))


def handmade_png(width: int, height: int, depth: int, colour_type: int, rows: list[bytes], extra: bytes = b"") -> bytes:
    """PNG variants OpenCV cannot write (gray+alpha, palette); also headers with any claimed size."""
    ihdr = struct.pack(">IIBBBBB", width, height, depth, colour_type, 0, 0, 0)
    idat = zlib.compress(b"".join(b"\x00" + row for row in rows))
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + extra + _chunk(b"IDAT", idat) + _chunk(b"IEND", b"")


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def refused(path_or_data, match: str, source: str = "bad.bin") -> str:
    """Assert a one-line UserError that names the file and matches `match`; return the message."""
    with pytest.raises(UserError) as info:
        if isinstance(path_or_data, Path):
            load_image(path_or_data)
        else:
            decode_image(path_or_data, source)
    message = str(info.value)
    name = path_or_data.name if isinstance(path_or_data, Path) else source
    assert name in message and "\n" not in message
    assert match in message, message
    return message


# --- round trips --------------------------------------------------------------------------------------------

LOSSLESS = [(".png", []), (".bmp", []), (".tiff", []), (".webp", [cv2.IMWRITE_WEBP_QUALITY, 101])]


@pytest.mark.parametrize("ext,params", LOSSLESS)
@pytest.mark.parametrize("channels", [1, 3])
def test_lossless_round_trip_is_exact(tmp_path, ext, params, channels):
    shape = (37, 53) if channels == 1 else (37, 53, 3)
    pixels = RNG.integers(0, 256, shape, dtype=np.uint8)
    image = load_image(write(tmp_path, "img" + ext, encode(ext, pixels, params)))
    if ext == ".webp" and channels == 1:
        pixels = np.stack([pixels] * 3, axis=2)  # WebP has no grayscale mode: the file itself is RGB
    assert image.pixels.dtype == np.uint8 and image.pixels.shape == pixels.shape
    np.testing.assert_array_equal(image.pixels, pixels)  # also proves RGB order, not BGR
    assert image.notes == () and image.source == "img" + ext


def test_jpeg_colour_and_gray_load_close_to_original(tmp_path):
    ramp = np.tile(np.linspace(0, 255, 64).astype(np.uint8), (48, 1))
    colour = np.stack([ramp, ramp[:, ::-1], np.full_like(ramp, 128)], axis=2)
    loaded = load_image(write(tmp_path, "c.jpg", encode(".jpg", colour, [cv2.IMWRITE_JPEG_QUALITY, 95])))
    assert loaded.pixels.shape == (48, 64, 3)
    assert np.abs(loaded.pixels.astype(int) - colour).mean() < 3  # close and in RGB order
    gray = load_image(write(tmp_path, "g.jpg", encode(".jpg", ramp)))
    assert gray.pixels.shape == (48, 64)


def test_jpeg_exif_orientation_is_applied():
    pixels = np.zeros((20, 40), np.uint8)
    pixels[:, :10] = 255  # landscape, bright band on the left
    data = encode(".jpg", pixels)
    exif_ifd = struct.pack(">H", 1) + struct.pack(">HHIHH", 0x0112, 3, 1, 6, 0) + bytes(4)  # orientation 6
    app1 = b"Exif\x00\x00" + b"MM\x00*" + struct.pack(">I", 8) + exif_ifd
    rotated = data[:2] + b"\xff\xe1" + struct.pack(">H", len(app1) + 2) + app1 + data[2:]
    image = decode_image(rotated, "phone.jpg")
    assert image.pixels.shape == (40, 20)  # upright: turned 90° clockwise, so the band is now on top
    assert image.pixels[:8].min() > 200 and image.pixels[-8:].max() < 50


def test_eight_bit_values_are_kept_exactly_even_tiny_ones(tmp_path):
    grid = np.array([[1, 1, 1, 0, 0], [0, 1, 1, 1, 0]], dtype=np.uint8)
    np.testing.assert_array_equal(load_image(write(tmp_path, "g.png", encode(".png", grid))).pixels, grid)


def test_one_by_one_png(tmp_path):
    image = load_image(write(tmp_path, "dot.png", encode(".png", np.array([[[10, 20, 30]]], np.uint8))))
    np.testing.assert_array_equal(image.pixels, [[[10, 20, 30]]])


def test_non_ascii_path(tmp_path):
    pixels = RNG.integers(0, 256, (8, 9, 3), dtype=np.uint8)
    image = load_image(write(tmp_path, "ü_图像.png", encode(".png", pixels)))
    np.testing.assert_array_equal(image.pixels, pixels)
    assert image.source == "ü_图像.png"


def test_gif(tmp_path):
    pixels = np.zeros((10, 12, 3), np.uint8)
    pixels[:, 6:] = (255, 0, 0)
    image = load_image(write(tmp_path, "a.gif", encode(".gif", pixels)))
    assert image.pixels.shape == pixels.shape
    assert np.abs(image.pixels.astype(int) - pixels).max() <= 8  # OpenCV's GIF palette is slightly coarse


# --- alpha, 16-bit, palettes ---------------------------------------------------------------------------------


def test_rgba_is_flattened_onto_white(tmp_path):
    rgba = np.array([[[200, 10, 20, 255], [200, 10, 20, 0], [0, 0, 0, 128]]], np.uint8)
    image = load_image(write(tmp_path, "a.png", encode(".png", rgba)))
    assert image.pixels.shape == (1, 3, 3)
    np.testing.assert_array_equal(image.pixels[0, 0], [200, 10, 20])  # opaque: exact
    np.testing.assert_array_equal(image.pixels[0, 1], [255, 255, 255])  # transparent: white
    np.testing.assert_array_equal(image.pixels[0, 2], [127, 127, 127])  # half: halfway to white
    assert image.notes == ("transparency flattened onto white",)


def test_fully_opaque_alpha_is_dropped_silently(tmp_path):
    rgba = RNG.integers(0, 256, (6, 7, 4), dtype=np.uint8)
    rgba[:, :, 3] = 255
    image = load_image(write(tmp_path, "o.png", encode(".png", rgba)))
    np.testing.assert_array_equal(image.pixels, rgba[:, :, :3])
    assert image.notes == ()


def test_gray_alpha_png_stays_grayscale(tmp_path):
    data = handmade_png(3, 1, 8, 4, [bytes([10, 255, 10, 0, 0, 128])])
    image = load_image(write(tmp_path, "ga.png", data))
    np.testing.assert_array_equal(image.pixels, [[10, 255, 127]])
    assert "transparency flattened onto white" in image.notes


def test_sixteen_bit_png_is_scaled_with_a_note(tmp_path):
    pixels = np.array([[0, 257, 65535, 32896]], np.uint16)
    image = load_image(write(tmp_path, "d.png", encode(".png", pixels)))
    np.testing.assert_array_equal(image.pixels, [[0, 1, 255, 128]])
    assert image.notes == ("16-bit values scaled to 8-bit",)


def test_sixteen_bit_rgba(tmp_path):
    rgba = np.array([[[65535, 0, 0, 65535], [0, 0, 0, 0]]], np.uint16)
    image = load_image(write(tmp_path, "d.png", encode(".png", rgba)))
    np.testing.assert_array_equal(image.pixels, [[[255, 0, 0], [255, 255, 255]]])
    assert set(image.notes) == {"16-bit values scaled to 8-bit", "transparency flattened onto white"}


def test_palette_png_is_expanded_to_rgb(tmp_path):
    palette = _chunk(b"PLTE", bytes([255, 0, 0, 0, 0, 255]))
    image = load_image(write(tmp_path, "p.png", handmade_png(2, 1, 8, 3, [bytes([0, 1])], palette)))
    np.testing.assert_array_equal(image.pixels, [[[255, 0, 0], [0, 0, 255]]])


def test_palette_png_with_transparency(tmp_path):
    extra = _chunk(b"PLTE", bytes([255, 0, 0, 0, 0, 255])) + _chunk(b"tRNS", bytes([0]))
    image = load_image(write(tmp_path, "p.png", handmade_png(2, 1, 8, 3, [bytes([0, 1])], extra)))
    np.testing.assert_array_equal(image.pixels, [[[255, 255, 255], [0, 0, 255]]])


# --- refused files -------------------------------------------------------------------------------------------


def test_missing_file(tmp_path):
    refused(tmp_path / "nope.png", "not found")


def test_directory(tmp_path):
    (tmp_path / "folder.png").mkdir()
    refused(tmp_path / "folder.png", "is a folder")


def test_empty_file(tmp_path):
    refused(write(tmp_path, "empty.png", b""), "empty")


def test_text_named_png(tmp_path):
    refused(write(tmp_path, "notes.png", b"just some text, not pixels\n"), "not an image")


def test_unreadable_file(tmp_path, monkeypatch):
    path = write(tmp_path, "secret.png", encode(".png", np.zeros((2, 2), np.uint8)))

    def deny(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(os, "open", deny)  # chmod does not stop root, which CI may be
    refused(path, "permission denied")


@pytest.mark.parametrize("ext", [".png", ".jpg"])
def test_truncated_png_and_jpeg(tmp_path, ext):
    data = encode(ext, RNG.integers(0, 256, (64, 64, 3), dtype=np.uint8))
    for cut in (len(data) // 2, len(data) - 2, 40):
        refused(write(tmp_path, "cut" + ext, data[:cut]), "damaged or incomplete")


def test_truncated_bmp_and_webp(tmp_path):
    pixels = RNG.integers(0, 256, (32, 32, 3), dtype=np.uint8)
    for ext in (".bmp", ".webp"):
        data = encode(ext, pixels)
        refused(write(tmp_path, "cut" + ext, data[: len(data) * 2 // 3]), "damaged or incomplete")


def test_header_cut_inside_ihdr(tmp_path):
    refused(write(tmp_path, "h.png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00"), "damaged or incomplete")


def test_complete_png_with_corrupt_pixel_data(tmp_path):
    good = handmade_png(4, 4, 8, 0, [bytes(4)] * 4)
    start = good.index(b"IDAT") + 4
    bad = good[:start] + b"\x00garbage!" + good[start + 9 :]
    refused(write(tmp_path, "corrupt.png", bad), "could not be decoded")


def test_png_claiming_absurd_size_is_not_decoded(tmp_path):
    data = handmade_png(100_000, 100_000, 8, 2, [b""])
    refused(write(tmp_path, "bomb.png", data), "100000×100000")


def test_png_claiming_more_than_the_pixel_cap(tmp_path):
    message = refused(write(tmp_path, "big.png", handmade_png(10_000, 5_000, 8, 0, [b""])), "40 MP limit")
    assert "10000×5000" in message


def test_max_pixels_parameter(tmp_path):
    path = write(tmp_path, "m.png", encode(".png", np.zeros((100, 100), np.uint8)))
    with pytest.raises(UserError, match="m.png"):
        load_image(path, max_pixels=5_000)
    assert load_image(path, max_pixels=10_000).pixels.shape == (100, 100)


def _jpeg_claiming(width: int, height: int) -> bytes:
    data = encode(".jpg", np.zeros((8, 8), np.uint8))
    sof = data.index(b"\xff\xc0") + 5
    return data[:sof] + struct.pack(">HH", height, width) + data[sof + 4 :]


def _webp_vp8x_claiming(width: int, height: int) -> bytes:
    payload = b"\x00\x00\x00\x00" + (width - 1).to_bytes(3, "little") + (height - 1).to_bytes(3, "little")
    body = b"WEBP" + b"VP8X" + struct.pack("<I", len(payload)) + payload
    return b"RIFF" + struct.pack("<I", len(body)) + body


def _bmp_claiming(width: int, height: int) -> bytes:
    return b"BM" + struct.pack("<IHHI", 54, 0, 0, 54) + struct.pack("<IiiHHI", 40, width, height, 1, 24, 0) + bytes(20)


def _tiff_claiming(width: int, height: int) -> bytes:
    entries = struct.pack("<HHII", 256, 4, 1, width) + struct.pack("<HHII", 257, 4, 1, height)
    return b"II*\x00" + struct.pack("<I", 8) + struct.pack("<H", 2) + entries + bytes(4)


@pytest.mark.parametrize(
    "name,data",
    [
        ("huge.jpg", _jpeg_claiming(60_000, 60_000)),
        ("huge.webp", _webp_vp8x_claiming(16_000, 16_000)),
        ("huge.bmp", _bmp_claiming(30_000, -30_000)),
        ("huge.tif", _tiff_claiming(50_000, 50_000)),
        ("huge.gif", b"GIF89a" + struct.pack("<HH", 65_000, 65_000) + bytes(10)),
    ],
)
def test_every_format_header_is_checked_before_decoding(tmp_path, name, data):
    refused(write(tmp_path, name, data), "MP limit")


@pytest.mark.parametrize(
    "data,fmt",
    [
        (encode(".webp", np.zeros((30, 41, 3), np.uint8), [cv2.IMWRITE_WEBP_QUALITY, 80]), "WebP"),
        (encode(".webp", np.zeros((30, 41, 3), np.uint8), [cv2.IMWRITE_WEBP_QUALITY, 101]), "WebP"),
        (_webp_vp8x_claiming(41, 30), "WebP"),
        (encode(".jpg", np.zeros((30, 41, 3), np.uint8)), "JPEG"),
        (encode(".tiff", np.zeros((30, 41), np.uint16)), "TIFF"),
        (encode(".bmp", np.zeros((30, 41), np.uint8)), "BMP"),
        (_bmp_claiming(41, -30), "BMP"),
    ],
)
def test_header_dimensions(data, fmt):
    header = read_header(data, "x")
    assert (header.format, header.width, header.height) == (fmt, 41, 30)


@pytest.mark.parametrize(
    "data,what",
    [
        (b"%PDF-1.7\n...", "PDF"),
        (b"P6\n4 4\n255\n" + bytes(48), "PNM"),
        (b"  <svg xmlns='http://www.w3.org/2000/svg'/>", "SVG"),
        (b"\x00\x00\x00\x1cftypavif" + bytes(20), "AVIF"),
    ],
)
def test_unsupported_formats_are_named(data, what):
    message = refused(data, "not supported", source="thing.dat")
    assert what in message


# --- size handling -------------------------------------------------------------------------------------------


def test_large_image_is_downscaled_with_a_note(tmp_path):
    pixels = np.zeros((100, 5000), np.uint8)
    pixels[:, 2500:] = 255
    image = load_image(write(tmp_path, "wide.png", encode(".png", pixels)))
    # 100 · 2048/5000 = 40.96 -> 41 rows
    assert WORKING_MAX_SIDE == 2048 and image.pixels.shape == (41, 2048)
    assert image.notes == ("downscaled from 5000×100 to 2048×41 to keep the playground interactive",)


def test_side_beyond_8192_under_the_cap_is_accepted(tmp_path):
    image = load_image(write(tmp_path, "pano.png", encode(".png", np.zeros((10, 12_000, 3), np.uint8))))
    assert image.pixels.shape == (2, WORKING_MAX_SIDE, 3)  # 10 · 2048/12000 = 1.7 -> 2 rows


def test_default_cap_is_forty_megapixels():
    assert MAX_PIXELS == 40_000_000


# --- from_array ----------------------------------------------------------------------------------------------


def test_from_array_keeps_uint8_values_and_rgb_order():
    rgb = RNG.integers(0, 256, (5, 6, 3), dtype=np.uint8)
    image = from_array(rgb, "clipboard")
    np.testing.assert_array_equal(image.pixels, rgb)
    assert isinstance(image, LoadedImage) and image.source == "clipboard" and image.notes == ()


@pytest.mark.parametrize(
    "array,expected",
    [
        (np.array([[0, 1], [1, 0]], np.uint8), [[0, 1], [1, 0]]),
        (np.array([[[0], [7]]], np.uint8), [[0, 7]]),
        (np.array([[0.0, 0.5, 1.0]], np.float32), [[0, 128, 255]]),
        (np.array([[0.0, 127.6, 300.0]], np.float64), [[0, 128, 255]]),
        (np.array([[0, 65535]], np.uint16), [[0, 255]]),
        (np.array([[True, False]]), [[255, 0]]),
        (np.array([[0, 1]], np.int64), [[0, 1]]),
        (np.array([[[9, 255], [9, 0]]], np.uint8), [[9, 255]]),  # gray + alpha
    ],
)
def test_from_array_dtypes_and_shapes(array, expected):
    image = from_array(array, "draw pad")
    assert image.pixels.dtype == np.uint8
    np.testing.assert_array_equal(image.pixels, expected)


def test_from_array_rgba_float():
    rgba = np.array([[[1.0, 0.0, 0.0, 1.0], [1.0, 0.0, 0.0, 0.0]]], np.float32)
    image = from_array(rgba, "clipboard")
    np.testing.assert_array_equal(image.pixels, [[[255, 0, 0], [255, 255, 255]]])
    assert image.notes == ("transparency flattened onto white",)


@pytest.mark.parametrize("shape", [(3,), (2, 2, 5), (0, 4), (2, 2, 2, 2)])
def test_from_array_refuses_non_images(shape):
    with pytest.raises(UserError, match="draw pad"):
        from_array(np.zeros(shape, np.uint8), "draw pad")


@settings(max_examples=40, deadline=None)
@given(arrays(np.uint8, st.tuples(st.integers(1, 12), st.integers(1, 12), st.sampled_from([1, 3]))))
def test_png_round_trip_property(pixels):
    pixels = pixels[:, :, 0] if pixels.shape[2] == 1 else pixels
    image = decode_image(encode(".png", pixels), "prop.png")
    np.testing.assert_array_equal(image.pixels, pixels)
    np.testing.assert_array_equal(from_array(pixels, "prop").pixels, pixels)


def test_big_jpeg_decoded_at_reduced_scale_matches_a_full_decode(tmp_path):
    """6600×4400 decodes at 1/2 scale from the DCT, then shrinks to the working size like any big image."""
    rng = np.random.default_rng(7)
    pixels = cv2.GaussianBlur(rng.integers(0, 256, (4400, 6600, 3), dtype=np.uint8), (0, 0), 6)
    path = write(tmp_path, "big.jpg", encode(".jpg", pixels))
    image = load_image(path)
    assert image.pixels.shape == (1365, 2048, 3)  # 4400 · 2048/6600 = 1365.3
    assert image.notes == ("downscaled from 6600×4400 to 2048×1365 to keep the playground interactive",)
    full = cv2.cvtColor(cv2.imdecode(np.fromfile(path, np.uint8), cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)
    reference = cv2.resize(full, (2048, 1365), interpolation=cv2.INTER_AREA)
    assert np.abs(image.pixels.astype(int) - reference.astype(int)).mean() < 2.0
