#!/usr/bin/env bash
# Proves that an import streams: a generated CSV of at least 200 MB goes through the real
# interactions pipeline (csv → mapping → interactions → contacts → store) in a release
# build, and the sluice process's peak resident memory (VmHWM) must stay under 300 MB.
#
#   bench/stream-rss.sh                 # SIZE_MB=220 LIMIT_MB=300 by default
#
# The rows name 2,000 distinct people, so the contacts the import keeps in memory stay few
# and what is measured is the file's path through the engine, not the size of the store.
# Too slow for CI in a debug build; the in-CI proof of flat memory is the csv plugin's
# `memory_stays_flat_however_long_the_file` test.
set -euo pipefail
cd "$(dirname "$0")/.."
SIZE_MB=${SIZE_MB:-220}
LIMIT_MB=${LIMIT_MB:-300}

cargo build --release -p sluice --quiet
bin=target/release/sluice
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
file="$work/big.csv"

awk -v size=$((SIZE_MB * 1000 * 1000)) 'BEGIN {
  print "Interaction Type,Date,Contact Type,First Name,Last Name,Primary Address,Primary Email,Primary Phone,Employer,Occupation,Call Result,Pledge Amount,Notes"
  split("Call Email Meeting Text Thank", kind, " ")
  split("Maria James Aisha José Zoë Chen Olga Kwame", first, " ")
  split("Gonzalez OBrien Khan Müller Smith Nguyen Ivanova", last, " ")
  bytes = 0
  for (i = 0; bytes < size; i++) {
    p = i % 2000
    line = sprintf("%s,%d/%d/2025,individual,%s,%s,\"%d Oak St, Springfield, IL 62701\",person%d@example.org,(217) 555-%04d,Springfield Schools,Teacher,spoke,\"$%d.00\",\"Follow-up #%d, said \"\"call back\"\"\"",
      kind[i % 5 + 1], i % 12 + 1, i % 28 + 1, first[p % 8 + 1], last[p % 7 + 1], p + 1, p, p, i % 900 + 1, i)
    print line
    bytes += length(line) + 1
  }
}' > "$file"
size=$(stat -c %s "$file")
rows=$(($(wc -l < "$file") - 1))
echo "file: $rows rows, $((size / 1000000)) MB"

export SLUICE_CACHE_DIR="$work/cache"
start=$(date +%s.%N)
if [ -x /usr/bin/time ]; then
  /usr/bin/time -f %M -o "$work/maxrss" "$bin" import configs/interactions.toml "$file" \
    --db "$work/store.db" --json > "$work/result.json" || true
  peak_kb=$(tail -1 "$work/maxrss")
else
  "$bin" import configs/interactions.toml "$file" --db "$work/store.db" --json \
    > "$work/result.json" &
  pid=$!
  peak_kb=0
  while kill -0 "$pid" 2> /dev/null; do
    hwm=$(awk '/^VmHWM/ { print $2 }' "/proc/$pid/status" 2> /dev/null || echo 0)
    [ "${hwm:-0}" -gt "$peak_kb" ] && peak_kb=$hwm
    sleep 0.1
  done
  wait "$pid" || true
fi
end=$(date +%s.%N)
imported=$(grep -o '"results": *[0-9]*' "$work/result.json" | head -1 | grep -o '[0-9]*$' || echo 0)
echo "imported: ${imported} of $rows rows in $(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.1f", b - a }') s"
echo "peak RSS (VmHWM): $((peak_kb / 1024)) MB (limit $LIMIT_MB MB)"
if [ "$imported" != "$rows" ]; then
  echo "FAIL: not every row was imported; see the result:" >&2
  head -c 2000 "$work/result.json" >&2
  exit 1
fi
if [ $((peak_kb / 1024)) -ge "$LIMIT_MB" ]; then
  echo "FAIL: peak RSS above $LIMIT_MB MB" >&2
  exit 1
fi
echo "ok"
