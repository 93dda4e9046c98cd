#!/usr/bin/env bash
# run_cluster_bench.sh — start a 3-replica cluster on free 127.0.0.1 ports from
# a temporary config, run replica_bench_client against it, print its result,
# and stop exactly the replica PIDs this script started (also on Ctrl-C).
#
# Usage: bench/run_cluster_bench.sh [--bin-dir DIR] [--keep] [-- CLIENT_ARGS...]
#   --bin-dir DIR   where replica and replica_bench_client are (default: build/bin)
#   --keep          keep the temporary folder (config and replica logs)
#   CLIENT_ARGS     passed to replica_bench_client (default: -s 4 -p 10 -n 20000)
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bin_dir="$repo/build/bin"
keep=0
client_args=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --bin-dir) bin_dir="$2"; shift 2 ;;
    --keep) keep=1; shift ;;
    --) shift; client_args=("$@"); break ;;
    -h|--help) sed -n "2,9p" "$0"; exit 0 ;;
    *) echo "run_cluster_bench.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
if [[ ${#client_args[@]} -eq 0 ]]; then client_args=(-s 4 -p 10 -n 20000); fi
for b in replica replica_bench_client; do
  if [[ ! -x "$bin_dir/$b" ]]; then
    echo "run_cluster_bench.sh: $bin_dir/$b not found; build it or pass --bin-dir" >&2
    exit 2
  fi
done

work="$(mktemp -d /tmp/hd-cluster-bench-XXXXXX)"
pids=()
# shellcheck disable=SC2317  # invoked by the EXIT trap
cleanup() {
  local pid
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do
    # Bounded wait (2 s) for a clean exit, then SIGKILL that PID only.
    for _ in $(seq 1 200); do kill -0 "$pid" 2>/dev/null || break; sleep 0.01; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  pids=()
  if [[ $keep -eq 0 ]]; then rm -rf "$work"; else echo "kept: $work" >&2; fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Free ports: bind port 0 and read back what the kernel chose.
read -r -a ports < <(python3 - <<'PY'
import socket
socks = []
for _ in range(3):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    socks.append(s)
ports = [s.getsockname()[1] for s in socks]
for s in socks:
    s.close()  # before printing: the replicas start as soon as we print
print(" ".join(str(p) for p in ports))
PY
)

{
  echo "-- Replicas --"
  for i in 0 1 2; do echo "replica$i 127.0.0.1:${ports[$i]}"; done
  echo
  echo "protocol: curpht"
} > "$work/cluster.conf"

for i in 0 1 2; do
  "$bin_dir/replica" --config "$work/cluster.conf" --alias "replica$i" --log-level warn \
    2> "$work/replica$i.log" &
  pids+=("$!")
done

# Wait (bounded, 5 s) until every replica accepts connections.
for i in 0 1 2; do
  ok=0
  for _ in $(seq 1 500); do
    if (exec 3<>"/dev/tcp/127.0.0.1/${ports[$i]}") 2>/dev/null; then ok=1; break; fi
    sleep 0.01
  done
  if [[ $ok -eq 0 ]]; then
    echo "run_cluster_bench.sh: replica$i did not start; log:" >&2
    cat "$work/replica$i.log" >&2
    exit 1
  fi
done

echo "cluster: 3 replicas on 127.0.0.1:${ports[0]},${ports[1]},${ports[2]}; client: ${client_args[*]}"
# In the background + wait, so a signal runs the trap at once instead of after
# the client finishes; the client is stopped by its PID like the replicas.
"$bin_dir/replica_bench_client" --config "$work/cluster.conf" "${client_args[@]}" &
client_pid=$!
pids=("$client_pid" "${pids[@]}")
rc=0
wait "$client_pid" || rc=$?
exit "$rc"
