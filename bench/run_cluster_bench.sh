#!/usr/bin/env bash
# run_cluster_bench.sh — the transport benchmark: replica_bench_client against
# a 3-replica cluster on free 127.0.0.1 ports. `heapdrift cluster`
# (launcher/bench.cc) writes the config, starts the replicas, waits until each
# accepts connections, runs the client and stops exactly the replica PIDs it
# started (also on Ctrl-C).
#
# Usage: bench/run_cluster_bench.sh [--bin-dir DIR] [--keep] [-- CLIENT_ARGS...]
#   --bin-dir DIR   where heapdrift, replica and replica_bench_client are (default: build/bin)
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
    -h|--help) sed -n "2,11p" "$0"; exit 0 ;;
    *) echo "run_cluster_bench.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
if [[ ${#client_args[@]} -eq 0 ]]; then client_args=(-s 4 -p 10 -n 20000); fi
for b in heapdrift replica replica_bench_client; do
  if [[ ! -x "$bin_dir/$b" ]]; then
    echo "run_cluster_bench.sh: $bin_dir/$b not found; build it or pass --bin-dir" >&2
    exit 2
  fi
done

work="$(mktemp -d /tmp/hd-cluster-bench-XXXXXX)"
# shellcheck disable=SC2317  # invoked by the EXIT trap
cleanup() { if [[ $keep -eq 0 ]]; then rm -rf "$work"; else echo "kept: $work" >&2; fi; }
trap cleanup EXIT

echo "cluster: 3 replicas on free 127.0.0.1 ports ($work/cluster.conf); client: ${client_args[*]}"
"$bin_dir/heapdrift" cluster --out "$work" --bin-dir "$bin_dir" -- \
  "$bin_dir/replica_bench_client" --config '{config}' "${client_args[@]}"
