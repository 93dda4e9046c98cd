#!/usr/bin/env bash
# memprof overhead (issue 4): the seed workload on a local 3-replica cluster
# (free ports, temporary config), same allocator, memprof instrumentation ON
# (--run-dir on every replica and loadgen: 100 ms snapshots, heap profiles at
# op milestones and at the end, jemalloc lg_prof_sample 19) versus OFF,
# alternated --rounds times; prints each run's throughput and the ratio
# on/off. Then the cost of one snapshot in microseconds per backend
# (memprof_probe --measure-snapshot).
#   bench/memprof_overhead.sh [--ops N] [--rounds R] [--allocator A] [--out DIR]
# Starts only its own processes and stops exactly those (also on Ctrl-C).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bin="${HEAPDRIFT_BIN:-$root/build/bin}"
ops=200000
rounds=3
allocator=jemalloc
out=""
while (($#)); do
  case "$1" in
    --ops) ops="$2"; shift 2 ;;
    --rounds) rounds="$2"; shift 2 ;;
    --allocator) allocator="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    -h|--help) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "memprof_overhead: unknown argument $1" >&2; exit 2 ;;
  esac
done
for b in replica loadgen memprof_probe; do
  [[ -x "$bin/$b" ]] || { echo "memprof_overhead: $bin/$b missing (build first)" >&2; exit 2; }
done
out="${out:-$(mktemp -d /tmp/memprof-overhead.XXXXXX)}"
mkdir -p "$out"

# Five free ports on 127.0.0.1 (bound to 0, then released).
mapfile -t ports < <(python3 - <<'PY'
import socket
socks = []
for _ in range(5):
    s = socket.socket(); s.bind(("127.0.0.1", 0)); socks.append(s)
for s in socks: print(s.getsockname()[1])
PY
)
config="$out/cluster.conf"
cat >"$config" <<CONF
// memprof_overhead.sh: the seed workload (configs/local.conf) on free ports.
-- Replicas --
replica0 127.0.0.1:${ports[0]}
replica1 127.0.0.1:${ports[1]}
replica2 127.0.0.1:${ports[2]}
-- Clients --
client0 127.0.0.1:${ports[3]}
client1 127.0.0.1:${ports[4]}
protocol: curpht
writes: 5
conflicts: 0
commandSize: 100
clientThreads: 2
pipeline: true
pendings: 10
weakRatio: 50
weakWrites: 5
keySpace: 1000000
zipfSkew: 0.99
allocator: $allocator
snapshotIntervalMs: 100
heapProfileAt: 10000,25000,50000,100000
CONF
per_thread=$(( (ops + 3) / 4 ))  # 2 clients x 2 threads

pids=()
stop_all() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  pids=()
}
trap 'stop_all; exit 130' INT TERM
trap 'stop_all' EXIT

run_once() {  # $1 = on|off, $2 = round; prints aggregate throughput
  local mode="$1" dir="$out/$1-$2"
  mkdir -p "$dir"
  local memprof=()
  for r in 0 1 2; do
    memprof=()
    [[ "$mode" == on ]] && memprof=(--run-dir "$dir/replica$r")
    "$bin/replica" --config "$config" --alias "replica$r" --allocator "$allocator" \
      "${memprof[@]}" >"$dir/replica$r.log" 2>&1 &
    pids+=($!)
  done
  for _ in $(seq 1 100); do
    local ready=0
    for r in 0 1 2; do grep -q listening "$dir/replica$r.log" 2>/dev/null && ready=$((ready + 1)); done
    ((ready == 3)) && break
    sleep 0.05
  done
  local lpids=()
  for c in 0 1; do
    memprof=()
    [[ "$mode" == on ]] && memprof=(--run-dir "$dir/client$c")
    "$bin/loadgen" --config "$config" --alias "client$c" --reqs "$per_thread" --quiet \
      --allocator "$allocator" --json "$dir/client$c.json" "${memprof[@]}" \
      >"$dir/client$c.log" 2>&1 &
    lpids+=($!)
  done
  local failed=0
  for p in "${lpids[@]}"; do wait "$p" || failed=1; done
  stop_all
  ((failed == 0)) || { echo "memprof_overhead: a loadgen failed; see $dir" >&2; exit 1; }
  "$bin/loadgen" merge "$dir/client0.json" "$dir/client1.json" >"$dir/merged.txt"
  awk '/^Aggregate throughput:/ {print $3}' "$dir/merged.txt"
}

echo "memprof overhead: $ops ops/run, allocator $allocator, $rounds rounds (off/on alternated), out $out"
declare -a on_tp off_tp
for round in $(seq 1 "$rounds"); do
  # Alternate which mode goes first, so drift (thermal, neighbours) cancels.
  if ((round % 2)); then order=(off on); else order=(on off); fi
  for mode in "${order[@]}"; do
    tp=$(run_once "$mode" "$round")
    printf '  round %d %-3s %10s ops/s\n' "$round" "$mode" "$tp"
    if [[ "$mode" == on ]]; then on_tp+=("$tp"); else off_tp+=("$tp"); fi
  done
done
python3 - "${off_tp[*]}" "${on_tp[*]}" <<'PY'
import statistics, sys
off = [float(x) for x in sys.argv[1].split()]
on = [float(x) for x in sys.argv[2].split()]
mo, mn = statistics.mean(off), statistics.mean(on)
sd = lambda v: statistics.stdev(v) if len(v) > 1 else 0.0
print(f"throughput off {mo:.0f} +- {sd(off):.0f} ops/s, on {mn:.0f} +- {sd(on):.0f} ops/s")
print(f"throughput ratio on/off = {mn / mo:.3f} (target >= 0.97)")
PY
# What instrumentation produced in the last ON run (sanity).
last_on="$out/on-$rounds"
echo "  snapshots in $last_on/replica0: $(wc -l <"$last_on/replica0/snapshots.jsonl"), profiles: $(ls "$last_on/replica0/profiles" | tr '\n' ' ')"

echo "cost of one snapshot (format + write(2), in-process, 2000 samples):"
for b in jemalloc tcmalloc glibc; do
  "$bin/memprof_probe" --allocator "$b" --run-dir "$out/measure-$b" --measure-snapshot 2000 |
    sed 's/^/  /'
done
