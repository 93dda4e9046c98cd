#!/usr/bin/env bash
# The main job until `heapdrift bench` lands (issue 6): the seed workload from
# a config (default configs/local.conf) against a local 3-replica cluster, for
# each run length of the sweep (default 10000 and 100000 total ops), printing
# each run's merged result block and the seed-style table at the end. Every
# process records a memprof run folder (docs/run-folder.md) under
# OUT/ops<N>-it<K>/<alias>/ (--no-profile: none; then no heap sampling either).
#   bench/cluster_bench.sh [CONFIG] [--sweep 10000,100000] [--iterations N] [--out DIR]
#                          [--loadgen-args "ARGS"]   (extra flags for every loadgen)
#                          [--no-profile]
# Starts the replicas and one loadgen per client alias of the config, stops
# exactly the processes it started (also on Ctrl-C), leaves logs and result
# JSON under --out (default runs/bench-<time>).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bin="${HEAPDRIFT_BIN:-$root/build/bin}"
config="$root/configs/local.conf"
sweep="10000,100000"
iterations=1
out=""
loadgen_args=""
profile=1
while (($#)); do
  case "$1" in
    --sweep) sweep="$2"; shift 2 ;;
    --iterations) iterations="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    --loadgen-args) loadgen_args="$2"; shift 2 ;;
    --no-profile) profile=0; shift ;;
    -h|--help) sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "cluster_bench: unknown option $1" >&2; exit 2 ;;
    *) config="$1"; shift ;;
  esac
done
[[ -f "$config" ]] || { echo "cluster_bench: no config file $config" >&2; exit 2; }
for b in replica loadgen; do [[ -x "$bin/$b" ]] || { echo "cluster_bench: $bin/$b missing (build first)" >&2; exit 2; }; done
out="${out:-$root/runs/bench-$(date +%Y%m%d-%H%M%S)}"
mkdir -p "$out"

# Aliases from the config (Replicas / Clients sections).
mapfile -t replicas < <(awk '/^-- *Replicas/{s=1;next} /^--/{s=0} s && $1 ~ /^replica[0-9]+$/ {print $1}' "$config")
mapfile -t clients < <(awk '/^-- *Clients/{s=1;next} /^--/{s=0} s && $1 ~ /^client[0-9]+$/ {print $1}' "$config")
((${#replicas[@]} >= 3)) || { echo "cluster_bench: need >= 3 replicas in $config" >&2; exit 2; }
((${#clients[@]} >= 1)) || { echo "cluster_bench: need >= 1 client in $config" >&2; exit 2; }
threads=$(awk -F: 'tolower($1) ~ /^clientthreads$/ {print $2+0}' "$config"); threads=${threads:-1}

pids=()
stop_all() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  pids=()
}
trap 'stop_all; exit 130' INT TERM
trap 'stop_all' EXIT

start_cluster() {
  local dir="$1"
  for r in "${replicas[@]}"; do
    local rd=()
    ((profile)) && rd=(--run-dir "$dir/$r")
    "$bin/replica" --config "$config" --alias "$r" "${rd[@]}" >"$dir/$r.log" 2>&1 &
    pids+=($!)
  done
  # Wait (bounded) until every replica logs that it listens.
  for _ in $(seq 1 100); do
    local ready=0
    for r in "${replicas[@]}"; do grep -q "listening" "$dir/$r.log" 2>/dev/null && ready=$((ready + 1)); done
    ((ready == ${#replicas[@]})) && return 0
    for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null || { echo "cluster_bench: a replica exited; see $dir" >&2; tail -3 "$dir"/replica*.log >&2; exit 1; }; done
    sleep 0.05
  done
  echo "cluster_bench: replicas not listening after 5 s; see $dir" >&2
  exit 1
}

IFS=, read -r -a lengths <<<"$sweep"
summary="$out/table.tsv"
printf 'ops\titer\tthroughput\tweak_p50_ms\tweak_p99_ms\tstrong_p50_ms\tstrong_p99_ms\tslow_path\ttimeouts\n' >"$summary"
for ops in "${lengths[@]}"; do
  per_thread=$(( (ops + ${#clients[@]} * threads - 1) / (${#clients[@]} * threads) ))
  for it in $(seq 1 "$iterations"); do
    dir="$out/ops$ops-it$it"
    mkdir -p "$dir"
    echo "==> $ops ops (reqs $per_thread x $threads threads x ${#clients[@]} clients), iteration $it" >&2
    start_cluster "$dir"
    lpids=()
    for c in "${clients[@]}"; do
      # With a run folder the result lives in it (RUN/<alias>/result.json), where
      # heapdrift report finds it.
      cd_args=(--json "$dir/$c.json")
      ((profile)) && cd_args=(--run-dir "$dir/$c" --json "$dir/$c/result.json")
      "$bin/loadgen" --config "$config" --alias "$c" --reqs "$per_thread" --seed "$it" "${cd_args[@]}" \
        $loadgen_args >"$dir/$c.log" 2>&1 &
      lpids+=($!)
    done
    failed=0
    for p in "${lpids[@]}"; do wait "$p" || failed=1; done
    stop_all
    ((failed == 0)) || { echo "cluster_bench: a loadgen failed; see $dir" >&2; tail -5 "$dir"/client*.log >&2; exit 1; }
    results=("$dir"/client*.json)
    ((profile)) && results=("$dir"/client*/result.json)
    "$bin/loadgen" merge "${results[@]}" --json "$dir/merged.json" | tee "$dir/merged.txt"
    awk -v ops="$ops" -v it="$it" '
      /^Aggregate throughput:/ {tp=$3}
      /^Strong Operations:/ {sec="s"} /^Weak Operations:/ {sec="w"}
      /Median latency:/ {p50[sec]=$3; p99[sec]=$7}
      /Fast path:/ {slow=$7}
      /Timeouts:/ {to=$5}
      END {printf "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", ops, it, tp, p50["w"], p99["w"], p50["s"], p99["s"], slow, to}
    ' "$dir/merged.txt" >>"$summary"
  done
done

echo
echo "=== Sweep summary ($config) ==="
awk -F'\t' '
  NR==1 {next}
  {n[$1]++; s[$1]+=$3; ss[$1]+=$3*$3; wp50[$1]=$4; wp99[$1]=$5; sp50[$1]=$6; sp99[$1]=$7; slow[$1]+=$8; to[$1]+=$9; order[++k]=$1}
  END {
    printf "%-10s %-22s %-22s %-22s %-10s %-8s\n", "Ops", "Throughput (ops/s)", "Weak p50 / p99 (ms)", "Strong p50 / p99 (ms)", "Slow path", "Timeouts"
    for (i = 1; i <= k; i++) { o = order[i]; if (done[o]++) continue
      m = s[o]/n[o]; sd = sqrt((ss[o]/n[o]) - m*m > 0 ? (ss[o]/n[o]) - m*m : 0)
      printf "%-10s %-22s %-22s %-22s %-10d %-8d\n", o, sprintf("%.0f +- %.0f", m, sd), wp50[o] " / " wp99[o], sp50[o] " / " sp99[o], slow[o], to[o] }
  }' "$summary"
echo "results: $out"

# The report: heap growth, site verdicts and the finding over every run.
if ((profile)) && [[ -x "$bin/heapdrift" ]]; then
  report="$root/reports/$(basename "$out")"
  echo "==> heapdrift report -> $report" >&2
  if "$bin/heapdrift" report "$out"/ops*-it* -o "$report" >"$out/report.log" 2>&1; then
    echo
    sed -n '/^## Finding/,/^## /p' "$report/summary.md" | sed '$d'
    echo "report: $report/index.html"
  else
    echo "cluster_bench: heapdrift report failed; see $out/report.log" >&2
    tail -5 "$out/report.log" >&2
    exit 1
  fi
fi
