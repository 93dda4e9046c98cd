#!/usr/bin/env bash
# The old command line of the cluster bench, kept for the scripts that call it
# (bench/loadgen_target.sh, bench/report_bench.sh); the work is done by
# `heapdrift bench` (launcher/bench.cc), the one place that starts, watches
# and stops cluster processes.
#   bench/cluster_bench.sh [CONFIG] [--sweep 10000,100000] [--iterations N] [--out DIR]
#                          [--loadgen-args "ARGS"]   (extra flags for every loadgen)
#                          [--no-profile]
# Run folders go to DIR/ops<N>-it<K>/<alias>/ with DIR/table.tsv (default
# runs/bench-<time>); the report to reports/<basename DIR>/ (none with
# --no-profile). Without CONFIG: the embedded default on free loopback ports.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bin="${HEAPDRIFT_BIN:-$root/build/bin}"
args=()
out=""
profile=1
while (($#)); do
  case "$1" in
    --sweep|--iterations|--loadgen-args) args+=("$1" "$2"); shift 2 ;;
    --out) out="$2"; shift 2 ;;
    --no-profile) profile=0; args+=(--no-profile); shift ;;
    -h|--help) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "cluster_bench: unknown option $1" >&2; exit 2 ;;
    *) args+=("$1"); shift ;;
  esac
done
[[ -x "$bin/heapdrift" ]] || { echo "cluster_bench: $bin/heapdrift missing (build first)" >&2; exit 2; }
out="${out:-$root/runs/bench-$(date +%Y%m%d-%H%M%S)}"
report="$out"
((profile)) && report="$root/reports/$(basename "$out")"
exec "$bin/heapdrift" bench "${args[@]}" --runs-dir "$out" --out "$report" --progress lines
