"""Draw the app icon (assets/icon.png and, for Windows builds, assets/icon.ico): a 3×3 kernel sliding over a pixel
grid. Run once; both files are committed."""
import struct
from pathlib import Path

import cv2
import numpy as np

SIZE = 256
CELL = SIZE // 8


def main() -> None:
    icon = np.zeros((SIZE, SIZE, 4), np.uint8)
    cv2.rectangle(icon, (8, 8), (SIZE - 9, SIZE - 9), (70, 40, 20, 255), -1, cv2.LINE_AA)  # dark blue (BGR)
    for row in range(1, 7):
        for col in range(1, 7):
            shade = 90 + 25 * ((row + col) % 4)
            top_left = (col * CELL + 3, row * CELL + 3)
            cv2.rectangle(icon, top_left, (top_left[0] + CELL - 6, top_left[1] + CELL - 6), (shade, shade, shade, 255), -1)
    # the kernel window: 3×3 cells outlined in orange, one output cell lit
    cv2.rectangle(icon, (2 * CELL, 2 * CELL), (5 * CELL, 5 * CELL), (0, 140, 255, 255), 8, cv2.LINE_AA)
    cv2.rectangle(icon, (3 * CELL + 6, 3 * CELL + 6), (4 * CELL - 6, 4 * CELL - 6), (0, 200, 255, 255), -1)
    out = Path(__file__).resolve().parents[1] / "assets" / "icon.png"
    ok, data = cv2.imencode(".png", icon)
    assert ok
    png = data.tobytes()
    out.write_bytes(png)
    # An .ico may hold a PNG as is: ICONDIR (reserved, type 1, one image) + one ICONDIRENTRY (0 = 256 px).
    header = struct.pack("<HHH", 0, 1, 1) + struct.pack("<BBBBHHII", 0, 0, 0, 0, 1, 32, len(png), 22)
    out.with_suffix(".ico").write_bytes(header + png)
    print(out, out.with_suffix(".ico"))


if __name__ == "__main__":
    main()
