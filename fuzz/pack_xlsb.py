#!/usr/bin/env python3
"""Packs a workbook_bin input into the .xlsb the target reads, to keep it as a test file.

    fuzz/pack_xlsb.py INPUT OUTPUT.xlsb

As the target does: the input's parts (sheet, shared strings, workbook, separated by
`<!--next-part-->`) replace the seed's, a missing one is the seed's own, in the seed's
order. Deflated (the target stores them): the parts read the same, and the file is smaller.
"""

import pathlib
import sys
import zipfile

ROOT = pathlib.Path(__file__).resolve().parent.parent
SEED = ROOT / "plugins" / "excel" / "tests" / "fixtures" / "hello.xlsb"
SEPARATOR = b"<!--next-part-->"
PARTS = ["xl/worksheets/sheet1.bin", "xl/sharedstrings.bin", "xl/workbook.bin"]


def main(source, target):
    fuzzed = pathlib.Path(source).read_bytes().split(SEPARATOR)
    with zipfile.ZipFile(SEED) as seed, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as out:
        for name in seed.namelist():
            part = PARTS.index(name.lower()) if name.lower() in PARTS else None
            if part is not None and part < len(fuzzed):
                out.writestr(name, fuzzed[part])
            else:
                out.writestr(name, seed.read(name))
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    sys.exit(main(sys.argv[1], sys.argv[2]))
