"""Safe image loading: files, bytes and in-memory arrays become one normalised ``LoadedImage``.

Every source ends up as uint8, (H,W) for grayscale or (H,W,3) in RGB order, with a note for every change made
on the way (alpha flattened, 16-bit scaled, downscaled). 8-bit values are never touched, so a lecture grid
stored with the values 0 and 1 loads as 0 and 1.

Safety: the dimensions are read from the file header *before* decoding, so a small file that claims to be
100000×100000 pixels is refused instead of allocating gigabytes. Truncated PNG/JPEG files are refused too:
OpenCV would happily return a half-grey picture for a cut-off JPEG.
"""
from __future__ import annotations

import functools
import os
import struct
import threading
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from explorer.core import files
from explorer.core.errors import UserError

# Refuse anything above this many pixels: a 40 MP RGBA 16-bit image already needs ~320 MB once decoded.
MAX_PIXELS = 40_000_000
# A side beyond this is refused as absurd even if the pixel count is small (JPEG and PNG encoders in practice
# stop at 65535; a bigger claim means a damaged or hostile header). Long panoramas under MAX_PIXELS with sides
# between 8192 and MAX_SIDE are accepted and simply downscaled below.
MAX_SIDE = 65_535
# Images whose longer side exceeds this are downscaled to fit, so the playground stays interactive: the
# playground recomputes on the GUI thread, and at 2048² a 15×15 filter already takes ~60 ms (bench/README.md).
WORKING_MAX_SIDE = 2048
# Files bigger than this are not even read into memory (an uncompressed 40 MP RGBA 16-bit TIFF is ~320 MB).
MAX_FILE_BYTES = 512 * 1024 * 1024
# The decoder's own buffer may take this much: a 40 MP 16-bit RGBA PNG (320 MB) fits, a 40 MP float32 RGBA TIFF
# (640 MB, and more again in float64 while normalising) does not.
MAX_DECODED_BYTES = 400 * 2**20
# Integer images are normalised this many pixels at a time (see _normalise): float32 temporaries of a few MB.
_STRIP_PIXELS = 1 << 20

SUPPORTED_FORMATS = ("PNG", "JPEG", "BMP", "TIFF", "WebP", "GIF")
_SUPPORTED_TEXT = "PNG, JPEG, BMP, TIFF or WebP"


@dataclass(frozen=True, eq=False)  # eq=False: comparing numpy arrays with == is ambiguous; compare .pixels
class LoadedImage:
    pixels: np.ndarray  # uint8, (H,W) for grayscale sources, (H,W,3) RGB for colour; values kept as stored
    source: str  # file name or "clipboard"/"sample:<name>"
    notes: tuple[str, ...] = ()  # what was changed on load: alpha flattened, 16-bit scaled, downscaled from ...


@dataclass(frozen=True)
class ImageHeader:
    format: str  # one of SUPPORTED_FORMATS
    width: int
    height: int
    grayscale: bool | None  # True/False when the header says so, None when only decoding can tell
    bytes_per_pixel: int = 4  # decoded size per pixel as the header states it (PNG, TIFF); 8-bit RGBA otherwise


def load_image(path: str | os.PathLike[str], max_pixels: int = MAX_PIXELS) -> LoadedImage:
    """Read a regular file as bytes (so non-ASCII paths work on every OS) and decode it safely."""
    p = Path(path)
    name = p.name or str(p)
    try:
        data = files.read_regular(p, MAX_FILE_BYTES, kind="an image file")
    except files.TooLarge as exc:
        raise UserError(
            f"'{name}' is {exc.size / 2**20:.0f} MB, more than the {MAX_FILE_BYTES // 2**20} MB limit: "
            "save a smaller or compressed copy (PNG or JPEG) and open that."
        ) from None
    return decode_image(data, name, max_pixels)


def decode_image(data: bytes, source: str, max_pixels: int = MAX_PIXELS) -> LoadedImage:
    """Decode encoded image bytes after checking the header's size claim and that the file is complete."""
    if not data:
        raise UserError(f"'{source}' is empty (0 bytes): choose another file or save the image again.")
    header = read_header(data, source)
    _check_size(header.width, header.height, source, max_pixels)
    decoded_bytes = header.width * header.height * header.bytes_per_pixel
    if decoded_bytes > MAX_DECODED_BYTES:
        raise UserError(
            f"'{source}' would take {decoded_bytes / 2**20:,.0f} MB once decoded ({header.width}×{header.height}, "
            f"{header.bytes_per_pixel} bytes per pixel), more than the {MAX_DECODED_BYTES // 2**20} MB limit: save "
            "it as an 8-bit PNG or JPEG."
        )
    _check_complete(data, header, source)

    buffer = np.frombuffer(data, dtype=np.uint8)
    if header.format == "JPEG":
        # JPEG holds neither alpha nor 16-bit; these flags also apply the EXIF orientation (UNCHANGED would not),
        # so phone photos are upright. Big photos decode at 1/2, 1/4 or 1/8 scale straight from the DCT (a 40 MP
        # JPEG: 850 ms -> ~150 ms, the GUI waits for it), never below the working size we downscale to anyway.
        reduction = _jpeg_reduction(max(header.width, header.height))
        flags = _JPEG_FLAGS[(header.grayscale, reduction)]
    else:
        flags = cv2.IMREAD_UNCHANGED  # keep alpha and 16-bit so we can handle them deliberately
    decoded = _decode_quietly(buffer, flags)
    if decoded is None or decoded.size == 0:
        if header.format == "GIF" and not _gif_supported():
            raise UserError(f"'{source}' is a GIF, which this OpenCV build cannot read: convert it to PNG.")
        raise UserError(
            f"'{source}' looks like {header.format} but could not be decoded: the file is damaged, cut short or "
            f"uses an unusual variant; re-save it as PNG or JPEG."
        )
    # The header was checked, but trust only what was actually decoded (e.g. a multi-image TIFF).
    _check_size(decoded.shape[1], decoded.shape[0], source, max_pixels)
    notes: list[str] = []
    pixels = _normalise(decoded, source, notes, bgr=True)
    if header.grayscale and pixels.ndim == 3:
        pixels = np.ascontiguousarray(pixels[:, :, 0])  # gray+alpha comes back from OpenCV as 4 equal channels
    return LoadedImage(fit_working_size(pixels, notes, original=(header.width, header.height)), source, tuple(notes))


# The decoders (libpng, OpenCV's loggers) write their own lines to stderr beside our one-line message. They
# write to file descriptor 2 from C, so only redirecting the descriptor silences them; the lock keeps two
# decoding threads from restoring each other's redirection.
_STDERR_LOCK = threading.Lock()


def _decode_quietly(buffer: np.ndarray, flags: int) -> np.ndarray | None:
    """cv2.imdecode with fd 2 pointed at the null device (when there is an fd 2 to redirect)."""
    with _STDERR_LOCK:
        try:
            saved = os.dup(2)
        except OSError:  # no stderr at all (a windowed app on Windows)
            saved = -1
        if saved >= 0:
            null = os.open(os.devnull, os.O_WRONLY)
            os.dup2(null, 2)
            os.close(null)
        try:
            return cv2.imdecode(buffer, flags)
        except cv2.error:
            return None
        finally:
            if saved >= 0:
                os.dup2(saved, 2)
                os.close(saved)


# The smallest GIF (1×1 pixel): decoding it tells whether this OpenCV has a GIF reader at all (added in 4.11).
_TINY_GIF = (b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00,"
             b"\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;")


@functools.cache
def _gif_supported() -> bool:
    return _decode_quietly(np.frombuffer(_TINY_GIF, np.uint8), cv2.IMREAD_UNCHANGED) is not None


_JPEG_FLAGS = {
    (False, 1): cv2.IMREAD_COLOR, (False, 2): cv2.IMREAD_REDUCED_COLOR_2,
    (False, 4): cv2.IMREAD_REDUCED_COLOR_4, (False, 8): cv2.IMREAD_REDUCED_COLOR_8,
    (True, 1): cv2.IMREAD_GRAYSCALE, (True, 2): cv2.IMREAD_REDUCED_GRAYSCALE_2,
    (True, 4): cv2.IMREAD_REDUCED_GRAYSCALE_4, (True, 8): cv2.IMREAD_REDUCED_GRAYSCALE_8,
}


def _jpeg_reduction(longest: int) -> int:
    """The largest JPEG decode scale-down (1, 2, 4, 8) that still leaves at least the working size."""
    return max((r for r in (1, 2, 4, 8) if longest // r >= WORKING_MAX_SIDE), default=1)


def from_array(array: np.ndarray, source: str) -> LoadedImage:
    """Normalise an in-memory image (clipboard, drawing pad) given in RGB(A) order.

    Accepts (H,W), (H,W,1), (H,W,2) gray+alpha, (H,W,3) RGB and (H,W,4) RGBA of uint8, uint16, bool or float.
    Floats are read as 0..1 when every value lies there, otherwise as 0..255 (clipped).
    """
    arr = np.asarray(array)
    if arr.ndim not in (2, 3) or arr.size == 0 or (arr.ndim == 3 and arr.shape[2] not in (1, 2, 3, 4)):
        raise UserError(
            f"'{source}' has shape {arr.shape}, which is not an image: expected (H,W) gray or (H,W,3/4) RGB(A)."
        )
    notes: list[str] = []
    pixels = _normalise(arr, source, notes, bgr=False)
    return LoadedImage(fit_working_size(pixels, notes), source, tuple(notes))


# --- header sniffing ---------------------------------------------------------------------------------------
# Why a hand-written sniffer: OpenCV has no header-only API (imdecode allocates the full image first), Pillow is
# not a runtime dependency and adding it just to read a width and height is not worth a 4 MB wheel. The formats
# are simple: a few fixed offsets, plus a marker walk for JPEG.

_UNSUPPORTED_MAGIC: tuple[tuple[bytes, int, str], ...] = (
    (b"II+\x00", 0, "BigTIFF"),
    (b"MM\x00+", 0, "BigTIFF"),
    (b"\x00\x00\x00\x0cjP  \r\n\x87\n", 0, "JPEG 2000"),
    (b"\xff\x4f\xff\x51", 0, "JPEG 2000"),
    (b"\xff\x0a", 0, "JPEG XL"),
    (b"\x00\x00\x00\x0cJXL ", 0, "JPEG XL"),
    (b"ftypavi", 4, "AVIF"),
    (b"ftyphei", 4, "HEIC"),
    (b"ftypmif1", 4, "HEIF"),
    (b"ftypmsf1", 4, "HEIF"),
    (b"8BPS", 0, "Photoshop PSD"),
    (b"%PDF", 0, "PDF"),
    (b"v/1\x01", 0, "OpenEXR"),
    (b"#?RADIANCE", 0, "Radiance HDR"),
    (b"#?RGBE", 0, "Radiance HDR"),
    (b"\x00\x00\x01\x00", 0, "Windows icon (ICO)"),
    (b"<svg", 0, "SVG"),
    (b"<?xml", 0, "SVG/XML"),
)


def read_header(data: bytes, source: str) -> ImageHeader:
    """Format and dimensions from the first bytes, without decoding. UserError if not a supported image."""
    try:
        if data.startswith(b"\x89PNG\r\n\x1a\n"):
            return _png_header(data, source)
        if data.startswith(b"\xff\xd8\xff"):
            return _jpeg_header(data, source)
        if data.startswith(b"BM"):
            return _bmp_header(data, source)
        if data.startswith((b"II*\x00", b"MM\x00*")):
            return _tiff_header(data, source)
        if data.startswith(b"RIFF") and data[8:12] == b"WEBP":
            return _webp_header(data, source)
        if data.startswith((b"GIF87a", b"GIF89a")):
            width, height = struct.unpack_from("<HH", data, 6)
            return ImageHeader("GIF", width, height, None)
    except struct.error:  # a read past the end of a header cut short
        raise _damaged(source, "its header is cut short") from None
    stripped = data.lstrip()
    for magic, offset, name in _UNSUPPORTED_MAGIC:
        if (stripped if name.startswith("SVG") else data)[offset : offset + len(magic)] == magic:
            raise UserError(f"'{source}' is a {name} file, which is not supported: convert it to {_SUPPORTED_TEXT}.")
    if len(data) > 1 and data[:1] == b"P" and data[1:2] in b"1234567" and data[2:3].isspace():
        raise UserError(f"'{source}' is a PNM/PPM file, which is not supported: convert it to {_SUPPORTED_TEXT}.")
    raise UserError(f"'{source}' is not an image file (unrecognised content): choose a {_SUPPORTED_TEXT} file.")


def _damaged(source: str, why: str) -> UserError:
    return UserError(f"'{source}' is damaged or incomplete ({why}): download or save it again.")


def _png_header(data: bytes, source: str) -> ImageHeader:
    if data[12:16] != b"IHDR":
        raise _damaged(source, "PNG without an IHDR chunk")
    width, height, depth, colour_type = struct.unpack_from(">IIBB", data, 16)
    channels = {0: 1, 2: 3, 3: 4, 4: 2, 6: 4}.get(colour_type, 4)  # a palette (3) may expand to RGBA
    return ImageHeader("PNG", width, height, colour_type in (0, 4),  # 0 gray, 4 gray+alpha
                       channels * (2 if depth == 16 else 1))


# SOFn markers carry the frame size; C4 (DHT), C8 (JPG) and CC (DAC) share the range but are not frames.
_JPEG_SOF = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}


def _jpeg_sof(data: bytes) -> int | None:
    """Offset of the first SOF segment's payload, walking marker segments; None if there is none before SOS."""
    i, n = 2, len(data)
    while i < n:
        if data[i] != 0xFF:
            return None
        while i < n and data[i] == 0xFF:  # fill bytes
            i += 1
        if i >= n:
            return None
        marker = data[i]
        i += 1
        if marker == 0x01 or 0xD0 <= marker <= 0xD8:  # stand-alone markers have no length
            continue
        if marker in (0xD9, 0xDA):  # EOI or start of scan before any frame header
            return None
        if marker in _JPEG_SOF:
            return i + 2
        i += struct.unpack_from(">H", data, i)[0]
    return None


def _jpeg_header(data: bytes, source: str) -> ImageHeader:
    sof = _jpeg_sof(data)
    if sof is None:
        raise _damaged(source, "JPEG without a frame header")
    _precision, height, width, components = struct.unpack_from(">BHHB", data, sof)
    return ImageHeader("JPEG", width, height, components == 1)


def _bmp_header(data: bytes, source: str) -> ImageHeader:
    dib_size = struct.unpack_from("<I", data, 14)[0]
    if dib_size == 12:  # OS/2 BITMAPCOREHEADER
        width, height = struct.unpack_from("<HH", data, 18)
    elif dib_size >= 40:
        width, height = struct.unpack_from("<ii", data, 18)
    else:
        raise UserError(f"'{source}' starts like a BMP but is not an image: choose a {_SUPPORTED_TEXT} file.")
    return ImageHeader("BMP", abs(width), abs(height), None)  # negative height = rows stored top-down


def _tiff_header(data: bytes, source: str) -> ImageHeader:
    end = "<" if data[:2] == b"II" else ">"
    ifd = struct.unpack_from(end + "I", data, 4)[0]
    count = struct.unpack_from(end + "H", data, ifd)[0]
    size: dict[int, int] = {258: 1, 277: 1}  # defaults: 1 bit per sample, 1 sample per pixel
    for k in range(count):
        tag, kind, values = struct.unpack_from(end + "HHI", data, ifd + 2 + 12 * k)
        if tag in (256, 257, 277) or (tag == 258 and values * (2 if kind == 3 else 4) <= 4):
            # ImageWidth, ImageLength, SamplesPerPixel, BitsPerSample: SHORT (3) or LONG (4), stored inline
            fmt = end + ("H" if kind == 3 else "I")
            size[tag] = struct.unpack_from(fmt, data, ifd + 2 + 12 * k + 8)[0]
        elif tag == 258:  # one BitsPerSample per sample, stored elsewhere: read the first
            offset = struct.unpack_from(end + "I", data, ifd + 2 + 12 * k + 8)[0]
            size[tag] = struct.unpack_from(end + ("H" if kind == 3 else "I"), data, offset)[0]
    if 256 not in size or 257 not in size:
        raise _damaged(source, "TIFF without width or height")
    return ImageHeader("TIFF", size[256], size[257], None, size[277] * max(1, -(-size[258] // 8)))


def _webp_header(data: bytes, source: str) -> ImageHeader:
    chunk = data[12:16]
    if chunk == b"VP8X":  # extended: 24-bit canvas width-1 and height-1
        if len(data) < 30:
            raise struct.error("VP8X header cut short")
        width = int.from_bytes(data[24:27], "little") + 1
        height = int.from_bytes(data[27:30], "little") + 1
    elif chunk == b"VP8L":  # lossless: 14-bit width-1 and height-1 after the 0x2f signature
        bits = struct.unpack_from("<I", data, 21)[0]
        width, height = (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    elif chunk == b"VP8 ":  # lossy: key frame start code, then 14-bit width and height
        if data[23:26] != b"\x9d\x01\x2a":
            raise _damaged(source, "WebP key frame without start code")
        width, height = (v & 0x3FFF for v in struct.unpack_from("<HH", data, 26))
    else:
        raise _damaged(source, f"unknown WebP chunk {chunk!r}")
    return ImageHeader("WebP", width, height, False)


# --- checks ------------------------------------------------------------------------------------------------


def _check_size(width: int, height: int, source: str, max_pixels: int) -> None:
    if width < 1 or height < 1:
        raise _damaged(source, f"it claims a size of {width}×{height} pixels")
    if width > MAX_SIDE or height > MAX_SIDE:
        raise UserError(
            f"'{source}' claims to be {width}×{height} pixels, beyond the {MAX_SIDE}-pixel side limit: "
            "the file is damaged or not a normal picture; choose another image."
        )
    if width * height > max_pixels:
        raise UserError(
            f"'{source}' is {width}×{height} pixels ({width * height / 1e6:.0f} MP), more than the "
            f"{max_pixels / 1e6:g} MP limit: downscale it in an image editor first."
        )


def _check_complete(data: bytes, header: ImageHeader, source: str) -> None:
    """Refuse files cut short: decoders may return a partly grey image without complaint."""
    if header.format == "PNG":
        pos, n = 8, len(data)
        while pos + 8 <= n:
            length, kind = struct.unpack_from(">I4s", data, pos)
            if kind == b"IEND" and pos + 12 <= n:  # IEND is complete with its CRC
                return
            pos += 12 + length  # length, type, data, CRC
        raise _damaged(source, "PNG ends before its IEND chunk")
    if header.format == "JPEG":
        # Entropy-coded data never contains FF D9 (0xFF is byte-stuffed), so an EOI after the frame header means
        # the main image is complete; an EXIF thumbnail's EOI comes before it and does not count.
        if data.find(b"\xff\xd9", _jpeg_sof(data) or 0) < 0:
            raise _damaged(source, "JPEG ends before its end-of-image marker")
    elif header.format == "WebP":
        if len(data) < 8 + struct.unpack_from("<I", data, 4)[0]:
            raise _damaged(source, "WebP shorter than its RIFF size")
    elif header.format == "BMP" and len(data) >= 34:
        offset = struct.unpack_from("<I", data, 10)[0]
        bits, compression = struct.unpack_from("<HI", data, 28)
        if compression in (0, 3) and bits in (1, 4, 8, 16, 24, 32):  # uncompressed rows: size is predictable
            stride = (header.width * bits + 31) // 32 * 4
            if len(data) < offset + stride * header.height:
                raise _damaged(source, "BMP shorter than its pixel rows")


# --- normalisation -----------------------------------------------------------------------------------------


def _normalise(arr: np.ndarray, source: str, notes: list[str], *, bgr: bool) -> np.ndarray:
    """Any decoded array -> uint8 (H,W) or (H,W,3) RGB, recording each change in notes.

    Integer pixels are converted one strip of rows at a time: compositing alpha in float32 over a whole 40 MP
    16-bit RGBA image would take ~2 GB of temporaries, strips take a few MB (bench/README.md). Floats go whole,
    because whether they mean 0..1 or 0..255 depends on the whole image.
    """
    if arr.ndim == 3 and arr.shape[2] > 4:
        raise UserError(f"'{source}' has {arr.shape[2]} channels: only gray, RGB and RGBA images are supported.")
    if arr.ndim == 3 and arr.shape[2] == 1:
        arr = arr[:, :, 0]
    has_alpha = arr.ndim == 3 and arr.shape[2] in (2, 4)
    opaque = has_alpha and _is_opaque(arr[:, :, -1])
    rows = max(1, _STRIP_PIXELS // max(1, arr.shape[1]))
    if np.issubdtype(arr.dtype, np.floating) or arr.shape[0] <= rows:
        return _normalise_block(arr, source, notes, bgr=bgr, opaque=opaque)
    out: np.ndarray | None = None
    strip_notes: list[str] = []
    for top in range(0, arr.shape[0], rows):
        block = _normalise_block(arr[top : top + rows], source, strip_notes, bgr=bgr, opaque=opaque)
        if out is None:
            out = np.empty((arr.shape[0], *block.shape[1:]), np.uint8)
        out[top : top + rows] = block
    notes.extend(dict.fromkeys(strip_notes))  # each change once, in order
    return out


def _normalise_block(arr: np.ndarray, source: str, notes: list[str], *, bgr: bool, opaque: bool) -> np.ndarray:
    """_normalise on a block of rows; ``opaque``: the whole image's alpha (if any) is fully opaque."""
    if arr.ndim == 3 and arr.shape[2] in (2, 4):
        colour, alpha = arr[:, :, :-1], arr[:, :, -1]
        if opaque:
            arr = colour  # an all-opaque alpha changes nothing: drop it without touching the values
        else:
            unit_colour = _to_unit(colour, source, notes)
            unit_alpha = _to_unit(alpha, source, [])[:, :, None]
            arr = np.rint((unit_colour * unit_alpha + (1.0 - unit_alpha)) * 255).astype(np.uint8)
            notes.append("transparency flattened onto white")
        if arr.shape[2] == 1:
            arr = arr[:, :, 0]
    arr = _to_uint8(arr, source, notes)
    if arr.ndim == 3 and bgr:
        arr = arr[:, :, ::-1]  # OpenCV decodes to BGR; everything above core speaks RGB
    return np.ascontiguousarray(arr)


def _is_opaque(alpha: np.ndarray) -> bool:
    if alpha.dtype == np.uint8:
        return bool((alpha == 255).all())
    if alpha.dtype == np.uint16:
        return bool((alpha == 65535).all())
    if alpha.dtype == np.bool_:
        return bool(alpha.all())
    return False  # floats and others go through the general path, which is exact for alpha == 1


def _float_scale(arr: np.ndarray, notes: list[str]) -> tuple[np.ndarray, float]:
    """Finite float pixels and their full-scale value: 1.0 when everything lies in [0,1], else 255."""
    if not np.isfinite(arr).all():
        arr = np.nan_to_num(arr, nan=0.0, posinf=0.0, neginf=0.0)
        notes.append("non-finite values set to 0")
    if arr.min(initial=0.0) >= 0.0 and arr.max(initial=0.0) <= 1.0:
        return arr, 1.0
    if arr.min() < 0.0 or arr.max() > 255.0:
        notes.append("values clipped to 0–255")
    return np.clip(arr, 0.0, 255.0), 255.0


def _to_unit(arr: np.ndarray, source: str, notes: list[str]) -> np.ndarray:
    """Pixels as float32 in [0,1] (for compositing)."""
    if arr.dtype == np.uint16:
        notes.append("16-bit values scaled to 8-bit")
        return arr.astype(np.float32) / 65535.0
    if np.issubdtype(arr.dtype, np.floating):
        arr, full = _float_scale(arr.astype(np.float32), notes)
        return arr / np.float32(full)
    return _to_uint8(arr, source, notes).astype(np.float32) / 255.0


def _to_uint8(arr: np.ndarray, source: str, notes: list[str]) -> np.ndarray:
    if arr.dtype == np.uint8:
        return arr
    if arr.dtype == np.uint16:
        notes.append("16-bit values scaled to 8-bit")
        return ((arr.astype(np.uint32) * 255 + 32767) // 65535).astype(np.uint8)
    if arr.dtype == np.bool_:
        return arr.astype(np.uint8) * np.uint8(255)
    if np.issubdtype(arr.dtype, np.floating):
        arr, full = _float_scale(arr.astype(np.float64), notes)
        return np.rint(arr * (255.0 / full)).astype(np.uint8)
    if np.issubdtype(arr.dtype, np.integer) and arr.min() >= 0 and arr.max() <= 255:
        return arr.astype(np.uint8)  # e.g. an int64 grid of 0/1 from a drawing pad: values kept
    raise UserError(f"'{source}' has {arr.dtype} pixels outside 0–255: convert it to 8-bit first.")


def fit_working_size(pixels: np.ndarray, notes: list[str], original: tuple[int, int] | None = None) -> np.ndarray:
    """Shrink to WORKING_MAX_SIDE; ``original`` (width, height) names the file's size when the decoder already
    reduced it (JPEG DCT scaling)."""
    height, width = pixels.shape[:2]
    longest = max(height, width)
    if longest <= WORKING_MAX_SIDE:
        return pixels
    scale = WORKING_MAX_SIDE / longest
    new_w, new_h = max(1, round(width * scale)), max(1, round(height * scale))
    if original is not None and max(original) > longest:  # report the file's size, not the reduced decode's
        width, height = original if (original[0] >= original[1]) == (width >= height) else original[::-1]
    notes.append(f"downscaled from {width}×{height} to {new_w}×{new_h} to keep the playground interactive")
    return cv2.resize(pixels, (new_w, new_h), interpolation=cv2.INTER_AREA)
