#!/usr/bin/env bash
# Records the golden run folders under tests/data/runs/ (the layout of
# docs/report.md: RUN/replicaN/, RUN/clientN/): one `heapdrift bench` run of
# configs/local.conf's 3 replicas and two loadgens on free ports, jemalloc
# with a fine heap-profile sample rate so per-site slopes are well resolved.
# Re-run only to refresh the goldens:
#   tests/data/runs/gen/record.sh BIN_DIR OUT_DIR NAME TOTAL_OPS [REPLICA_PLANT] [options]
# options:
#   --loadgen-plant P   loadgen --plant P (e.g. cache)
#   --loadgen-args "A"  more loadgen arguments (e.g. "--cache-entries 512 --zipf-skew 0")
#   --lg-sample N       jemalloc lg_prof_sample (default 12: 4 KiB mean sample period)
#   --keep "A B ..."    process folders to keep (default all); the others are
#                       deleted after the run, to keep the goldens small
#   --no-profiles "A B" process folders whose profiles/ are deleted after the run
#   --network-delay MS  config networkDelay (one-way delay injected at receive; default 0)
#   --milestones LIST   heapProfileAt (default 500,1000,2000,...,8000)
#   --kill-leader-at N  bench --kill-leader-at N (SIGKILL the boot leader at N ops)
#   --interrupt         SIGINT the bench once the load has begun: the run keeps
#                       its FAILED marker ("interrupted") and no loadgen result
#   --by-hand           no bench: the processes started as README's "Diagnostics
#                       by hand" shows (replica/loadgen --run-dir; the loadgens
#                       also --json elsewhere), replicas SIGTERMed after the load
# REPLICA_PLANT (default none) is given to every replica: docs/report.md "Plants".
set -euo pipefail
bin="$1" out="$2" name="$3" ops="$4" plant="${5:-none}"
shift $(( $# < 5 ? $# : 5 ))
lg_plant=none lg_args="" lg_sample=12 delay_ms=0 keep="" no_profiles="" milestones=500,1000,2000,3000,4000,5000,6000,7000,8000
kill_at=0 interrupt=0 by_hand=0
while (($#)); do
  case "$1" in
    --loadgen-plant) lg_plant="$2"; shift 2 ;;
    --loadgen-args) lg_args="$2"; shift 2 ;;
    --lg-sample) lg_sample="$2"; shift 2 ;;
    --keep) keep="$2"; shift 2 ;;
    --no-profiles) no_profiles="$2"; shift 2 ;;
    --milestones) milestones="$2"; shift 2 ;;
    --network-delay) delay_ms="$2"; shift 2 ;;
    --kill-leader-at) kill_at="$2"; shift 2 ;;
    --interrupt) interrupt=1; shift ;;
    --by-hand) by_hand=1; shift ;;
    *) echo "record.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
dir="$out/$name"
rm -rf "$dir"; mkdir -p "$dir"
root="$(cd "$(dirname "$0")/../../../.." && pwd)"
mapfile -t ports < <(python3 - <<'PY'
import socket
socks = []
for _ in range(5):
    s = socket.socket(); s.bind(("127.0.0.1", 0)); socks.append(s)
for s in socks: print(s.getsockname()[1])
PY
)
tmp="$(mktemp -d /tmp/hd-golden.XXXXXX)"
trap 'rm -rf "$tmp"' EXIT
config="$tmp/cluster.conf"
# The seed workload is configs/local.conf's (tests/unit/launcher/default_config_test.cc
# checks every golden run against it): its endpoints on free ports, its
# profiling keys replaced by fine-grained ones.
# --lg-sample 12 (default): 4 KiB mean sample period; the planted history
# (~100 B/op) gets hundreds of samples by 10K ops, so the unsampled per-site
# slope is good to a few % (docs/report.md "Golden data" bounds the leak plant).
{
  echo "// golden run: configs/local.conf (the seed workload) on free ports, small and fine-grained."
  awk -v ports="${ports[*]}" '
    BEGIN { n = split(ports, p, " "); i = 0 }
    /^-- *(Replicas|Clients) *--/ { endpoints = 1; print; next }
    /^--/ { endpoints = 0 }
    endpoints && /^[A-Za-z0-9_]+[ \t]+[^ \t]+:[0-9]+/ { i++; sub(/:[0-9]+/, ":" p[i]); print; next }
    /^(allocator|snapshotIntervalMs|heapProfileAt|lgProfSample|networkDelay)[ \t]*:/ { next }
    { print }' "$root/configs/local.conf"
  printf 'allocator: jemalloc\nsnapshotIntervalMs: 20\nheapProfileAt: %s\nlgProfSample: %s\nnetworkDelay: %s\n' \
    "$milestones" "$lg_sample" "$delay_ms"
} >"$config"
loadgen_args="--quiet"
if [[ "$lg_plant" != none ]]; then loadgen_args+=" --plant $lg_plant"; fi
if [[ -n "$lg_args" ]]; then loadgen_args+=" $lg_args"; fi
run="$tmp/out/runs/ops$ops-it1"
if ((by_hand)); then
  # README's "Diagnostics by hand": every process with --run-dir, nothing more.
  mkdir -p "$run"
  pids=()
  for r in replica0 replica1 replica2; do
    extra=(); if [[ "$plant" != none ]]; then extra=(--plant "$plant"); fi
    "$bin/replica" --config "$config" --alias "$r" --run-dir "$run/$r" "${extra[@]}" \
      >"$run/$r.log" 2>&1 &
    pids+=($!)
  done
  sleep 1
  per_client=$(( (ops + 3) / 4 ))  # 2 loadgens x 2 threads (configs/local.conf)
  lpids=()
  for c in client0 client1; do
    # shellcheck disable=SC2086
    # --json as README's "Running a replica and a load" has it: the result
    # must still land in the run folder, where the report reads it.
    "$bin/loadgen" --config "$config" --alias "$c" --run-dir "$run/$c" --json "$run/$c.json" \
      --reqs "$per_client" $loadgen_args >"$run/$c.log" 2>&1 &
    lpids+=($!)
  done
  for p in "${lpids[@]}"; do wait "$p"; done
  kill -TERM "${pids[@]}"
  for p in "${pids[@]}"; do wait "$p" || true; done
else
  # One run of heapdrift bench (launcher::Cluster: replicas ready before the
  # load, every process stopped by PID, run folders written); no report.
  bench=("$bin/heapdrift" bench "$config" --sweep "$ops" --iterations 1 --out "$tmp/out" --no-report
         --progress lines --bin-dir "$bin" --loadgen-args "$loadgen_args")
  if [[ "$plant" != none ]]; then bench+=(--plant "$plant"); fi
  if ((kill_at > 0)); then bench+=(--kill-leader-at "$kill_at"); fi
  if ((interrupt)); then
    # SIGINT once a loadgen has recorded ops: the bench stops every process
    # and leaves RUN/FAILED ("interrupted"), as a user's Ctrl-C does.
    "${bench[@]}" >"$tmp/bench.log" 2>&1 &
    bench_pid=$!
    for _ in $(seq 1500); do  # up to 30 s
      if grep -qs '"ops":[1-9]' "$run/client0/snapshots.jsonl"; then break; fi
      sleep 0.02
    done
    kill -INT "$bench_pid"
    if wait "$bench_pid"; then echo "record.sh: the bench was not interrupted" >&2; exit 1; fi
    cp "$run/FAILED" "$dir/FAILED"
  elif ! "${bench[@]}" >"$tmp/bench.log" 2>&1; then
    cat "$tmp/bench.log" >&2
    echo "record.sh: heapdrift bench failed" >&2
    exit 1
  fi
fi
for p in "$run"/*/; do
  if [[ -f "$p/meta.json" ]]; then mv "$p" "$dir/"; fi
done
if [[ -n "$keep" ]]; then
  for p in "$dir"/*/; do
    p="$(basename "$p")"
    [[ " $keep " == *" $p "* ]] || rm -rf "${dir:?}/$p"
  done
fi
for p in $no_profiles; do rm -rf "${dir:?}/$p/profiles"; done
du -sh --apparent-size "$dir"
