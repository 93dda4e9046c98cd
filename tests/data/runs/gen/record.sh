#!/usr/bin/env bash
# Records the golden run folders under tests/data/runs/ (the layout of
# docs/report.md: RUN/replicaN/, RUN/clientN/): a 3-replica cluster and two
# loadgens on free ports, jemalloc with a fine heap-profile sample rate so
# per-site slopes are well resolved. Re-run only to refresh the goldens:
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
# REPLICA_PLANT (default none) is given to every replica: docs/report.md "Plants".
set -euo pipefail
bin="$1" out="$2" name="$3" ops="$4" plant="${5:-none}"
shift $(( $# < 5 ? $# : 5 ))
lg_plant=none lg_args="" lg_sample=12 delay_ms=0 keep="" no_profiles="" milestones=500,1000,2000,3000,4000,5000,6000,7000,8000
while (($#)); do
  case "$1" in
    --loadgen-plant) lg_plant="$2"; shift 2 ;;
    --loadgen-args) lg_args="$2"; shift 2 ;;
    --lg-sample) lg_sample="$2"; shift 2 ;;
    --keep) keep="$2"; shift 2 ;;
    --no-profiles) no_profiles="$2"; shift 2 ;;
    --milestones) milestones="$2"; shift 2 ;;
    --network-delay) delay_ms="$2"; shift 2 ;;
    *) echo "record.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
dir="$out/$name"
rm -rf "$dir"; mkdir -p "$dir"
mapfile -t ports < <(python3 - <<'PY'
import socket
socks = []
for _ in range(5):
    s = socket.socket(); s.bind(("127.0.0.1", 0)); socks.append(s)
for s in socks: print(s.getsockname()[1])
PY
)
tmp="$(mktemp -d /tmp/hd-golden.XXXXXX)"
config="$tmp/cluster.conf"
cat >"$config" <<CONF
// golden run: the seed workload on free ports, small and fine-grained.
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
allocator: jemalloc
snapshotIntervalMs: 20
heapProfileAt: ${milestones}
lgProfSample: ${lg_sample}
networkDelay: ${delay_ms}
CONF
# --lg-sample 12 (default): 4 KiB mean sample period; the planted history
# (~100 B/op) gets hundreds of samples by 10K ops, so the unsampled per-site
# slope is good to a few % (docs/report.md "Golden data" bounds the leak plant).
per_thread=$(( (ops + 3) / 4 ))
pids=()
stop_all() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
             for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done; pids=(); }
trap stop_all EXIT
for r in 0 1 2; do
  extra=()
  [[ "$plant" != none ]] && extra=(--plant "$plant")
  "$bin/replica" --config "$config" --alias "replica$r" --run-dir "$dir/replica$r" "${extra[@]}" \
    >"$tmp/replica$r.log" 2>&1 &
  pids+=($!)
done
for _ in $(seq 1 100); do
  ready=0
  for r in 0 1 2; do grep -q listening "$tmp/replica$r.log" 2>/dev/null && ready=$((ready + 1)); done
  ((ready == 3)) && break
  sleep 0.05
done
lp=()
for c in 0 1; do
  lg_extra=()
  [[ "$lg_plant" != none ]] && lg_extra=(--plant "$lg_plant")
  read -r -a more <<<"$lg_args"
  lg_extra+=("${more[@]}")
  "$bin/loadgen" --config "$config" --alias "client$c" --reqs "$per_thread" --quiet "${lg_extra[@]}" \
    --run-dir "$dir/client$c" >"$tmp/client$c.log" 2>&1 &
  lp+=($!)
done
for p in "${lp[@]}"; do wait "$p"; done
sleep 0.3
stop_all
rm -rf "$tmp"
if [[ -n "$keep" ]]; then
  for p in "$dir"/*/; do
    p="$(basename "$p")"
    [[ " $keep " == *" $p "* ]] || rm -rf "${dir:?}/$p"
  done
fi
for p in $no_profiles; do rm -rf "${dir:?}/$p/profiles"; done
du -sh --apparent-size "$dir"
