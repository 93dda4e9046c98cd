#!/usr/bin/env bash
# Records the known-answer golden runs (docs/report.md "Plants" and "Golden
# data") with record.sh, then writes their symbols.json:
#   tests/data/runs/gen/known_answers.sh BIN_DIR [OUT_DIR]   (default tests/data/runs)
# Only the process folders the golden tests read are kept.
set -euo pipefail
bin="$1"
here="$(cd "$(dirname "$0")" && pwd)"
out="${2:-$here/..}"
rec() { "$here/record.sh" "$bin" "$out" "$@"; }
cache_args="--cache-entries 512 --zipf-skew 0 --weak-ratio 100 --weak-writes 100"
for n in 2 10; do
  # leak: 256 B/op on every replica; the 4 KiB sample period bounds the slope error (report.md).
  rec "leak-${n}k" $((n * 1000)) leak:256 --keep "replica0 client0 client1" \
    --no-profiles "client0 client1"
  # fragment: no site resolution needed; the default 512 KiB sample period does
  # not inflate `allocated` with promoted samples.
  rec "fragment-${n}k" $((n * 1000)) fragment --lg-sample 19 --keep "replica0 client0 client1" \
    --no-profiles "replica0 client0 client1"
  # slowpath: after 3000 ops of the leader every strong op takes the slow path.
  # All ops strong, and a 2 ms one-way delay so the slow path's extra round
  # trip costs time the way a real network does (on bare loopback, with half
  # the ops weak, the loss hides in the run-to-run noise of a busy machine).
  rec "slowpath-${n}k" $((n * 1000)) slowpath:3000 --network-delay 2 \
    --loadgen-args "--weak-ratio 0" \
    --keep "replica0 client0 client1" --no-profiles "replica0 client0 client1"
  # cache: every op a weak write of a fresh key; the bounded cache keeps 512 entries a session.
  rec "cache-${n}k" $((n * 1000)) none --loadgen-plant cache --loadgen-args "$cache_args" \
    --keep "client0 client1"
done
rec cache-bounded-10k 10000 none --loadgen-args "$cache_args" --keep "client0 client1"
"$bin/heapdrift" report --save-symbols -o "$(mktemp -d /tmp/hd-known.XXXXXX)" \
  "$out"/leak-2k "$out"/leak-10k "$out"/cache-2k "$out"/cache-10k "$out"/cache-bounded-10k
