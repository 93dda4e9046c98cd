#!/usr/bin/env bash
# A/B of two builds on the same workload: `heapdrift bench` (the seed
# workload of the embedded default, local 3-replica cluster, no profiling) run
# with build A's binaries and build B's, alternated --rounds times (the order
# flips every round so drift on a shared machine cancels). Prints each run's
# row of table.tsv, then per build the mean throughput, strong/weak p50/p99
# and slow-path count, and the ratios B/A. Use it for any "faster" or "no
# slower" claim: both sides measured in one script run.
#   bench/ab_builds.sh BIN_A BIN_B [--ops N] [--rounds R] [--out DIR]
# BIN_A, BIN_B: folders holding heapdrift, replica and loadgen (build/bin).
set -euo pipefail
usage() { sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; }
[[ $# -ge 1 && ($1 == -h || $1 == --help) ]] && { usage; exit 0; }
[[ $# -ge 2 ]] || { usage >&2; exit 2; }
bin_a="$1" bin_b="$2"
shift 2
ops=200000
rounds=6
out=""
while (($#)); do
  case "$1" in
    --ops) ops="$2"; shift 2 ;;
    --rounds) rounds="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    *) echo "ab_builds: unknown argument $1" >&2; exit 2 ;;
  esac
done
for side in "$bin_a" "$bin_b"; do
  for b in heapdrift replica loadgen; do
    [[ -x "$side/$b" ]] || { echo "ab_builds: $side/$b missing (build first)" >&2; exit 2; }
  done
done
out="${out:-$(mktemp -d /tmp/ab-builds.XXXXXX)}"
mkdir -p "$out"
echo "A = $bin_a"
echo "B = $bin_b"
echo "$ops ops/run, $rounds rounds (A/B alternated), out $out"
rows="$out/rows.tsv"
: >"$rows"
for round in $(seq 1 "$rounds"); do
  if ((round % 2)); then order=(A B); else order=(B A); fi
  for side in "${order[@]}"; do
    if [[ $side == A ]]; then bin="$bin_a"; else bin="$bin_b"; fi
    dir="$out/$side-$round"
    "$bin/heapdrift" bench --sweep "$ops" --loadgen-args=--quiet --no-profile \
      --out "$dir" --progress lines >"$dir.log" 2>&1 ||
      { echo "ab_builds: heapdrift bench ($side, round $round) failed; see $dir.log" >&2; exit 1; }
    row=$(awk -F'\t' 'NR == 2' "$dir/runs/table.tsv")
    printf '%s\t%s\n' "$side" "$row" >>"$rows"
    printf '  round %d %s  %s\n' "$round" "$side" "$row"
  done
done
python3 - "$rows" <<'PY'
import statistics, sys
# table.tsv: ops iter throughput weak_p50 weak_p99 strong_p50 strong_p99 slow_path timeouts allocator protocol
cols = {"throughput": 3, "weak_p50_ms": 4, "weak_p99_ms": 5, "strong_p50_ms": 6,
        "strong_p99_ms": 7, "slow_path": 8, "timeouts": 9}
runs = {"A": [], "B": []}
for line in open(sys.argv[1]):
    f = line.rstrip("\n").split("\t")
    runs[f[0]].append(f)
def mean(side, c):
    return statistics.mean(float(r[cols[c]]) for r in runs[side])
print(f"{'':16}{'A':>12}{'B':>12}{'B/A':>8}")
for c in cols:
    a, b = mean("A", c), mean("B", c)
    ratio = f"{b / a:8.3f}" if a else f"{'-':>8}"
    print(f"{c:16}{a:12.3f}{b:12.3f}{ratio}")
PY
