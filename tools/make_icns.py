"""Make the macOS app icon packaging/macos/cnn-explorer.icns from assets/icon.png (256 px, drawn by tools/make_icon.py).

Needs Pillow, which the app never uses (maintainer environment only):
    python3 -m venv /tmp/iconenv && /tmp/iconenv/bin/pip install pillow && /tmp/iconenv/bin/python tools/make_icns.py
Every size an .icns holds (16-1024 px) is resampled from the 256 px PNG with Lanczos; 512 and 1024 are upscaled,
which the icon's flat grid tolerates. The result is committed; build_app.spec uses it for the macOS bundle.
"""
from pathlib import Path

from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
SIZES = (16, 32, 64, 128, 256, 512, 1024)


def main() -> None:
    source = Image.open(ROOT / "assets" / "icon.png").convert("RGBA")
    sizes = [source if size == source.width else source.resize((size, size), Image.Resampling.LANCZOS)
             for size in SIZES]
    out = ROOT / "packaging" / "macos" / "cnn-explorer.icns"
    sizes[-1].save(out, format="ICNS", append_images=sizes[:-1])
    with Image.open(out) as check:
        print(f"{out}: {out.stat().st_size / 1e3:.0f} kB, sizes {sorted(check.info['sizes'])}")


if __name__ == "__main__":
    main()
