#!/usr/bin/env python3
"""Seeds the fuzz corpora (corpus/<target>/) from the repository's test fixtures.

The fixtures stay where they are; this copies them, in each target's input layout, into the
corpus directories, which are not committed. Run by run.sh; safe to rerun (files are named
by content).
"""

import csv
import hashlib
import io
import pathlib
import sys
import tomllib
import zipfile

ROOT = pathlib.Path(__file__).resolve().parent.parent
CORPUS = pathlib.Path(__file__).resolve().parent / "corpus"
FIXTURE_DIRS = [ROOT / "tests" / "fixtures"] + sorted((ROOT / "plugins").glob("*/tests"))
WORKBOOKS = {".xlsx", ".xlsm", ".xlsb", ".xls", ".ods"}
TEXT = {".csv", ".tsv", ".txt"}


def fixture_files():
    for d in FIXTURE_DIRS:
        for p in sorted(d.rglob("*")):
            if p.is_file():
                yield p


def write(target, data):
    folder = CORPUS / target
    folder.mkdir(parents=True, exist_ok=True)
    name = "seed-" + hashlib.sha1(data).hexdigest()
    (folder / name).write_bytes(data)


def case_inputs(path):
    """The input bytes of a source case file (`input` or `input_hex`), if any."""
    try:
        case = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError):
        return
    if isinstance(case.get("input"), str):
        yield case["input"].encode("utf-8")
    if isinstance(case.get("input_hex"), str):
        try:
            yield bytes.fromhex(case["input_hex"])
        except ValueError:
            pass


SEPARATOR = b"<!--next-part-->"


def workbook_parts(path):
    """workbook_xml seeds: the XML parts of a fixture workbook, in that target's layout."""
    try:
        z = zipfile.ZipFile(path)
        names = set(z.namelist())
    except (zipfile.BadZipFile, OSError):
        return
    if "content.xml" in names:
        yield b"o" + z.read("content.xml")
    shared = z.read("xl/sharedStrings.xml") if "xl/sharedStrings.xml" in names else b""
    workbook = z.read("xl/workbook.xml") if "xl/workbook.xml" in names else b""
    for name in sorted(names):
        if name.startswith("xl/worksheets/") and name.endswith(".xml"):
            yield b"x" + SEPARATOR.join([z.read(name), shared, workbook])


BIN_PARTS = ["xl/worksheets/sheet1.bin", "xl/sharedstrings.bin", "xl/workbook.bin"]


def binary_parts(path):
    """workbook_bin seeds: the binary parts of a fixture .xlsb, in that target's layout."""
    try:
        z = zipfile.ZipFile(path)
        names = {n.lower(): n for n in z.namelist()}
    except (zipfile.BadZipFile, OSError):
        return
    if "xl/workbook.bin" not in names:
        return
    parts = [z.read(names[p]) if p in names else b"" for p in BIN_PARTS]
    # All three parts; and the sheet alone (the others then the seed's own).
    yield SEPARATOR.join(parts)
    yield parts[0]


def strings(value):
    """Every string inside a parsed TOML value."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from strings(v)


def cells(text):
    for delimiter in ",;\t":
        try:
            for row in csv.reader(io.StringIO(text), delimiter=delimiter):
                yield from row
        except csv.Error:
            pass


def main():
    csv_files, cell_values, pipelines = [], set(), []
    for p in fixture_files():
        suffix = p.suffix.lower()
        if suffix in WORKBOOKS:
            write("excel_source", p.read_bytes())
            for seed in workbook_parts(p):
                write("workbook_xml", seed)
            for seed in binary_parts(p):
                write("workbook_bin", seed)
        elif suffix in TEXT:
            data = p.read_bytes()
            csv_files.append(data)
            cell_values.update(cells(data.decode("utf-8", "replace")))
        elif suffix == ".toml":
            if "plugins/csv/" in p.as_posix():
                csv_files.extend(case_inputs(p))
            try:
                parsed = tomllib.loads(p.read_text(encoding="utf-8"))
            except (tomllib.TOMLDecodeError, UnicodeDecodeError):
                continue
            if "pipeline" in parsed:
                pipelines.append(p.read_bytes())
            elif "plugins/mapping/" in p.as_posix():
                cell_values.update(strings(parsed))
    pipelines += [p.read_bytes() for p in sorted((ROOT / "configs").rglob("*.toml"))]

    # csv_source: byte 0 the parameters (0: all detected), byte 1 the chunk size (0: whole).
    for data in csv_files:
        for mode, chunk in [(0, 0), (0, 7), (1, 1), (2, 0), (0o22, 0)]:
            write("csv_source", bytes([mode, chunk]) + data)
    for data in pipelines:
        write("pipeline_toml", data)
    # normalisers: byte 0 picks the normaliser (low 3 bits) and its options.
    for value in sorted(cell_values):
        raw = value.encode("utf-8")
        if not raw or len(raw) > 200:
            continue
        for pick in range(8):
            write("normalisers", bytes([pick]) + raw)
    for target in [
        "csv_source",
        "excel_source",
        "workbook_xml",
        "workbook_bin",
        "pipeline_toml",
        "normalisers",
    ]:
        n = len(list((CORPUS / target).glob("seed-*")))
        print(f"seeded corpus/{target}: {n} seed files")
    return 0


if __name__ == "__main__":
    sys.exit(main())
