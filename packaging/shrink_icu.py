"""Build step for the Linux bundle: Qt's ICU data library holding only the ICU data Qt uses (32 MB -> 5 MB).

libicudata.so is one exported symbol, ``icudt<NN>_dat``: an ICU common-data package (a header, a table of contents,
then 16-byte aligned items). Qt links ICU for collation (QCollator), case mapping, IDNA and legacy text codecs; it
formats numbers and dates from its own CLDR tables. Left out: ICU's locale display names (languages, regions,
currencies, units, time zones), transliteration, spelled-out numbers, break-iterator dictionaries and the locale
bundles other than English, and the table-driven legacy codecs (*.cnv: Qt 6 on Linux assumes UTF-8). Checked
against the full data by tests/test_packaging.py: collation in six languages, Turkish case mapping, IDN and word,
line and sentence boundaries in Thai and Japanese come out identical. What changes: QTimeZone display names are
empty and QStringConverter lists 32 codecs instead of 233 (the app uses neither).

ICU's own tool for this is its data build tool with a filter file, which needs an ICU source build; Debian's icupkg
(ICU 72) rewrites the newer package so that collators fail to open. This module copies the items it keeps
byte for byte. Needs gcc and objcopy (binutils); build_app.spec skips the step without them.
"""
from __future__ import annotations

import fnmatch
import re
import struct
import subprocess
import tempfile
from pathlib import Path

DROPPED = ("unit/*", "curr/*", "lang/*", "region/*", "zone/*", "translit/*", "rbnf/*", "brkitr/*", "*.cnv")
KEPT_BUNDLES = {"root", "en", "en_US", "en_GB", "en_001", "en_150", "res_index", "pool"}
LOCALE_BUNDLE = re.compile(r"[a-z]{2,3}(_[A-Za-z0-9]+)*\.res")
ALIGN = 16  # ICU reads items in place and needs them 16-byte aligned


def items(package: bytes) -> tuple[bytes, list[tuple[str, bytes]]]:
    """(header, [(item name such as 'icudt73l/coll/de.res', item bytes incl. padding)]) of a common-data package."""
    header_size = struct.unpack_from("<H", package, 0)[0]
    if package[12:16] != b"CmnD" or header_size % ALIGN:
        raise ValueError("not an ICU common-data package")
    count = struct.unpack_from("<I", package, header_size)[0]
    toc = [struct.unpack_from("<II", package, header_size + 4 + 8 * i) for i in range(count)]
    starts = [header_size + data for _, data in toc]
    ends = starts[1:] + [len(package)]
    names = [package[header_size + name:package.index(b"\0", header_size + name)].decode() for name, _ in toc]
    return package[:header_size], [(name, package[start:end]) for name, start, end in zip(names, starts, ends)]


def pack(header: bytes, kept: list[tuple[str, bytes]]) -> bytes:
    """A common-data package of these items, in the given (sorted) order."""
    names = b"".join(name.encode() + b"\0" for name, _ in kept)
    names_at = 4 + 8 * len(kept)
    offset = -(-(names_at + len(names)) // ALIGN) * ALIGN
    toc, body, name_at = [struct.pack("<I", len(kept))], [], names_at
    for name, blob in kept:
        toc.append(struct.pack("<II", name_at, offset))
        name_at += len(name.encode()) + 1
        blob += b"\0" * (-len(blob) % ALIGN)
        body.append(blob)
        offset += len(blob)
    table = b"".join(toc) + names
    return header + table + b"\0" * (-len(table) % ALIGN) + b"".join(body)


def dropped(full_name: str) -> bool:
    name = full_name.split("/", 1)[-1]  # without the package's own prefix
    if any(fnmatch.fnmatchcase(name, pattern) for pattern in DROPPED):
        return True
    return "/" not in name and bool(LOCALE_BUNDLE.fullmatch(name)) and name[:-4] not in KEPT_BUNDLES


def shrink(library: Path, out: Path) -> None:
    """Write a smaller copy of libicudata.so.NN to ``out`` (same soname and symbol)."""
    symbol = re.search(r"\b(icudt\d+_dat)\b", subprocess.run(
        ["readelf", "--dyn-syms", "-W", str(library)], capture_output=True, text=True, check=True).stdout).group(1)
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "data.bin"
        subprocess.run(["objcopy", "-O", "binary", "--only-section=.rodata", str(library), str(raw)], check=True)
        header, all_items = items(raw.read_bytes())
        (Path(tmp) / "data.dat").write_bytes(pack(header, [item for item in all_items if not dropped(item[0])]))
        source = Path(tmp) / "data.S"
        source.write_text(f"""    .section .rodata
    .globl {symbol}
    .type {symbol}, @object
    .balign {ALIGN}
{symbol}:
    .incbin "{tmp}/data.dat"
    .size {symbol}, . - {symbol}
    .section .note.GNU-stack,"",@progbits
""")
        subprocess.run(["gcc", "-shared", "-nostdlib", f"-Wl,-soname,{library.name}", "-Wl,-z,noexecstack",
                        "-o", str(out), str(source)], check=True)
