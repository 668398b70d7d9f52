"""Regenerate the bundled sample images in assets/samples/.

    python tools/make_samples.py                          # synthetic pattern + the lecture's grids
    python tools/make_samples.py --photos-from DIR        # also re-export the photos from scikit-image's data/

DIR is the ``skimage/data`` folder of a scikit-image wheel installed in a throwaway venv (scikit-image is not a
dependency of the app). Provenance and licences are recorded in assets/README.md.
"""
from __future__ import annotations

import argparse
from pathlib import Path

import cv2
import numpy as np

OUT = Path(__file__).resolve().parents[1] / "assets" / "samples"
PHOTO_MAX_SIDE = 512  # keeps each photo well under ~300 KB and the playground fast
JPEG_QUALITY = 90

# (file in skimage/data, file written here); PNG photos become JPEG to stay small, chelsea stays lossless.
PHOTOS = [
    ("chelsea.png", "chelsea.png"),
    ("astronaut.png", "astronaut.jpg"),
    ("coffee.png", "coffee.jpg"),
    ("rocket.jpg", "rocket.jpg"),
]


def lecture_edge() -> np.ndarray:
    """The lecture's 6×6 vertical-edge image: three bright columns, then three dark ones."""
    return np.array([[255, 255, 255, 0, 0, 0]] * 6, dtype=np.uint8)


def lecture_binary() -> np.ndarray:
    """The lecture's 5×5 binary image, stored with the values 0 and 1 exactly as written there."""
    rows = [[1, 1, 1, 0, 0], [0, 1, 1, 1, 0], [0, 0, 1, 1, 1], [0, 0, 1, 1, 0], [0, 1, 1, 0, 0]]
    return np.array(rows, dtype=np.uint8)


def pattern(size: int = 256) -> np.ndarray:
    """RGB test card: a checkerboard (vertical and horizontal edges), a horizontal gradient, circles and a bar."""
    img = np.zeros((size, size, 3), np.uint8)
    half = size // 2
    yy, xx = np.mgrid[0:half, 0:half]
    checker = (((yy // 16) + (xx // 16)) % 2 * 255).astype(np.uint8)
    img[:half, :half] = checker[:, :, None]  # top-left: 16-px checkerboard
    ramp = np.linspace(0, 255, half, dtype=np.float32).round().astype(np.uint8)
    img[:half, half:] = ramp[None, :, None]  # top-right: horizontal gradient (no edges, smooth change)
    img[half:, :] = (40, 40, 40)
    cv2.circle(img, (half // 2, half + half // 2), 44, (230, 60, 50), -1, lineType=cv2.LINE_AA)  # red disc
    cv2.circle(img, (half // 2, half + half // 2), 20, (250, 250, 250), -1, lineType=cv2.LINE_AA)
    cv2.circle(img, (half + half // 2, half + half // 2), 44, (60, 200, 90), 6, lineType=cv2.LINE_AA)  # ring
    img[half + 8 : half + 24, half + 8 : size - 8] = (50, 90, 240)  # a blue horizontal bar
    return img


def _write(name: str, rgb_or_gray: np.ndarray, params: list[int] | None = None) -> None:
    img = rgb_or_gray if rgb_or_gray.ndim == 2 else cv2.cvtColor(rgb_or_gray, cv2.COLOR_RGB2BGR)
    ok, buf = cv2.imencode(Path(name).suffix, img, params or [])
    if not ok:
        raise RuntimeError(f"could not encode {name}")
    (OUT / name).write_bytes(buf.tobytes())
    print(f"{name}: {rgb_or_gray.shape}, {len(buf) / 1024:.0f} KB")


def export_photos(data_dir: Path) -> None:
    for src, dst in PHOTOS:
        bgr = cv2.imdecode(np.fromfile(data_dir / src, np.uint8), cv2.IMREAD_COLOR)
        h, w = bgr.shape[:2]
        scale = min(1.0, PHOTO_MAX_SIDE / max(h, w))
        if scale < 1.0:
            bgr = cv2.resize(bgr, (round(w * scale), round(h * scale)), interpolation=cv2.INTER_AREA)
        params = [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY] if dst.endswith(".jpg") else []
        _write(dst, cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB), params)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--photos-from", type=Path, help="scikit-image's skimage/data folder")
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    _write("lecture-edge-6x6.png", lecture_edge())
    _write("lecture-binary-5x5.png", lecture_binary())
    _write("pattern-256.png", pattern())
    if args.photos_from:
        export_photos(args.photos_from)


if __name__ == "__main__":
    main()
