#!/usr/bin/env bash
# Runs the fuzz targets, one after the other, each for SECONDS (default 600).
#
#   fuzz/run.sh [SECONDS] [TARGET...]      targets: csv_source excel_source workbook_xml workbook_bin pipeline_toml normalisers
#
# Installs what it needs (a nightly toolchain, cargo-fuzz), seeds the corpora from the test
# fixtures (seed.py), and exits non-zero when a target crashed, after printing the path of
# the input that crashed it (under fuzz/artifacts/). One worker per target: libFuzzer's
# default, which leaves the other cores to everything else.
#
# Environment: FUZZ_SANITIZER (default "none": the code under test is safe Rust, where the
# bugs to find are panics, and an ASan build runs about half as fast; set "address" to use
# it), FUZZ_ARGS (more libFuzzer flags).
set -euo pipefail

cd "$(dirname "$0")"
seconds=${1:-600}
shift || true
if [ "$#" -gt 0 ]; then
    targets=("$@")
else
    targets=(csv_source excel_source workbook_xml workbook_bin pipeline_toml normalisers)
fi
sanitizer=${FUZZ_SANITIZER:-none}

if ! rustup toolchain list | grep -q '^nightly'; then
    rustup toolchain install nightly --profile minimal
fi
if ! cargo +nightly fuzz --version >/dev/null 2>&1; then
    cargo +nightly install cargo-fuzz --locked
fi
python3 seed.py

mkdir -p logs
failed=()
for target in "${targets[@]}"; do
    log="logs/$target.log"
    echo "== $target: ${seconds}s (log: fuzz/$log)"
    mkdir -p "corpus/$target" "artifacts/$target"
    # Counted before and after: with FUZZ_ARGS="-fork=1 -ignore_crashes=1" libFuzzer goes on
    # after a crash, and only the new files in artifacts/ tell.
    before=$(find "artifacts/$target" -type f | wc -l)
    touch "logs/.start-$target"
    set +e
    # `--debug-assertions`: overflow checks on, so arithmetic overflow is a crash too.
    cargo +nightly fuzz run -s "$sanitizer" --debug-assertions "$target" \
        "corpus/$target" -- -max_total_time="$seconds" -print_final_stats=1 \
        ${FUZZ_ARGS:-} 2>&1 | tee "$log" | grep -E '^#[0-9]+[[:space:]]+(DONE|INITED)|^stat::|Test unit written|panicked|^SUMMARY'
    status=${PIPESTATUS[0]}
    set -e
    after=$(find "artifacts/$target" -type f | wc -l)
    if [ "$status" -ne 0 ] || [ "$after" -gt "$before" ]; then
        failed+=("$target")
        echo "new inputs that crashed, ran out of memory or timed out:"
        find "artifacts/$target" -type f -newer "logs/.start-$target" | sed 's|^|  fuzz/|'
    fi
done

if [ "${#failed[@]}" -gt 0 ]; then
    echo "crashed: ${failed[*]} (inputs under fuzz/artifacts/; logs under fuzz/logs/)"
    exit 1
fi
echo "no crash in: ${targets[*]}"
