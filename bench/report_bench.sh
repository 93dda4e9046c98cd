#!/usr/bin/env bash
# Analyser performance (docs/report.md, "Performance"), printed, never asserted:
#  (a) `heapdrift report` over 4 run lengths x 3 iterations with heap profiles
#      (target <= 3 s): best and median of --repeat timed runs;
#  (b) symbolizing one heap profile: `heapdrift export --pprof` (parse +
#      libdw symbolization + encode) vs `jeprof --text` on the same profile
#      (target >= 10x), best of --repeat each.
#   bench/report_bench.sh [RUNS_DIR] [--sweep 10000,25000,50000,100000] [--iterations 3]
#                         [--repeat 3] [--keep]
# RUNS_DIR: a folder of run folders (ops<N>-it<K>/, as `heapdrift bench
# --runs-dir` or bench/cluster_bench.sh --out writes); without it the runs are
# recorded first with `heapdrift bench --sweep --iterations --no-report` (the
# default embedded cluster, every process profiled) into a scratch folder
# (removed afterwards unless --keep, which keeps them under runs/).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bin="${HEAPDRIFT_BIN:-$root/build/bin}"
runs=""
sweep="10000,25000,50000,100000"
iterations=3
repeat=3
keep=0
while (($#)); do
  case "$1" in
    --sweep) sweep="$2"; shift 2 ;;
    --iterations) iterations="$2"; shift 2 ;;
    --repeat) repeat="$2"; shift 2 ;;
    --keep) keep=1; shift ;;
    -h|--help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "report_bench: unknown option $1" >&2; exit 2 ;;
    *) runs="$1"; shift ;;
  esac
done
[[ -x "$bin/heapdrift" ]] || { echo "report_bench: $bin/heapdrift missing (build first)" >&2; exit 2; }
((repeat >= 1 && repeat <= 20)) || { echo "report_bench: --repeat 1..20" >&2; exit 2; }
scratch="$(mktemp -d /tmp/hd-report-bench.XXXXXX)"
cleanup() { rm -rf "$scratch"; }
trap cleanup EXIT

if [[ -z "$runs" ]]; then
  runs="$scratch/runs"
  ((keep)) && runs="$root/runs/report-bench-$(date +%Y%m%d-%H%M%S)"
  echo "recording runs: heapdrift bench --sweep $sweep --iterations $iterations --runs-dir $runs"
  "$bin/heapdrift" bench --sweep "$sweep" --iterations "$iterations" --runs-dir "$runs" \
    --out "$scratch/bench-out" --no-report --progress lines >"$scratch/bench.log" 2>&1 ||
    { echo "report_bench: heapdrift bench failed; tail of its log:" >&2; tail -20 "$scratch/bench.log" >&2; exit 1; }
fi
mapfile -t run_dirs < <(find "$runs" -mindepth 1 -maxdepth 1 -type d -name 'ops*-it*' | sort)
((${#run_dirs[@]})) || { echo "report_bench: no ops*-it* run folders in $runs" >&2; exit 2; }
n_heap=$(find "${run_dirs[@]}" -path '*/profiles/*.heap' | wc -l)
n_lengths=$(printf '%s\n' "${run_dirs[@]##*/}" | sed 's/-it.*//' | sort -u | wc -l)

# One run of "$@" (output discarded): "wall_s cpu_s" (cpu = user + sys,
# children included), from bash's own `time`.
measure() {
  local TIMEFORMAT='%R %U %S'
  { time "$@" >/dev/null 2>&1; } 2>&1 | awk '{printf "%.3f %.3f\n", $1, $2 + $3}'
}
# Runs "$@" --repeat times; prints "best_wall median_wall best_cpu".
best_of() {
  local i
  for ((i = 1; i <= repeat; i++)); do measure "$@"; done |
    sort -g | awk '{w[NR] = $1; if (NR == 1 || $2 < c) c = $2}
                   END {printf "%.3f %.3f %.3f\n", w[1], w[int((NR + 1) / 2)], c}'
}

echo "== (a) heapdrift report: ${#run_dirs[@]} runs, $n_lengths run lengths, $n_heap heap profiles ($runs)"
"$bin/heapdrift" report "${run_dirs[@]}" -o "$scratch/report" 2>"$scratch/report.log" ||
  { echo "report_bench: heapdrift report failed:" >&2; tail -5 "$scratch/report.log" >&2; exit 1; }
grep -m1 -o 'Finding ([a-z-]*)' "$scratch/report/index.html" | sed 's/^/report: /' || true
read -r best median cpu < <(best_of "$bin/heapdrift" report "${run_dirs[@]}" -o "$scratch/report")
printf 'report: best %.3f s wall (median %.3f, %d runs), best %.3f s CPU; target <= 3 s: %s\n' \
  "$best" "$median" "$repeat" "$cpu" "$(awk -v b="$best" 'BEGIN {print (b <= 3) ? "met" : "NOT met"}')"

echo "== (b) symbolizing one heap profile: heapdrift export --pprof vs jeprof --text"
# The replica heap profile with the most samples, from the longest runs.
profile=$(grep -c '^@' $(find "${run_dirs[@]}" -path '*/replica*/profiles/*.heap') /dev/null |
          sort -t: -k2 -n | tail -1 | cut -d: -f1)
[[ -n "$profile" ]] || { echo "no heap profile under $runs"; exit 0; }
proc_dir="$(dirname "$(dirname "$profile")")"
exe=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["objects"][0]["path"])' \
      "$proc_dir/meta.json")
echo "profile: $profile ($(grep -c '^@' "$profile") stacks), binary $exe"
read -r hd_wall _ hd_cpu < <(best_of "$bin/heapdrift" export --pprof "$profile" -o "$scratch/p.pb.gz")
printf 'heapdrift export --pprof: best %.3f s wall, %.3f s CPU\n' "$hd_wall" "$hd_cpu"
if ! command -v jeprof >/dev/null; then
  echo "jeprof: not installed (Debian libjemalloc-dev); no ratio"
  exit 0
fi
read -r je_wall _ je_cpu < <(best_of jeprof --text "$exe" "$profile")
printf 'jeprof --text: best %.3f s wall, %.3f s CPU\n' "$je_wall" "$je_cpu"
printf 'ratio jeprof / heapdrift: %.1fx wall, %.1fx CPU (target >= 10x)\n' \
  "$(awk -v a="$je_wall" -v b="$hd_wall" 'BEGIN {print a / b}')" \
  "$(awk -v a="$je_cpu" -v b="$hd_cpu" 'BEGIN {print a / b}')"
