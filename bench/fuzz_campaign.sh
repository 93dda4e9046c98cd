#!/usr/bin/env bash
# Long libFuzzer campaign (every parser fuzzed >= 10 minutes): runs
# each target on a scratch copy of its committed seed corpus for SECONDS,
# JOBS targets at a time, and prints one line per target with the exec count,
# the corpus growth and whether it crashed. `./heapdrift test` runs the same
# targets for 20 s each (CI: 10 s); this is the long run, not part of CI.
#
#   bench/fuzz_campaign.sh [--seconds N] [--jobs J] [--build-dir DIR] [TARGET...]
#
# TARGET: frame_decoder config heap_profile cpu_profile snapshots meta
# loadgen_result (default: all). DIR: a fuzz-preset build (default build/fuzz;
# built here with `--target fuzzers` if a target is missing). Crashing inputs
# are kept under DIR/campaign/<target>/ and the script exits 1.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
seconds=600
jobs=1
build="$root/build/fuzz"
targets=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --seconds) seconds="$2"; shift 2 ;;
    --jobs) jobs="$2"; shift 2 ;;
    --build-dir) build="$(cd "$2" && pwd)"; shift 2 ;;
    -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
    -*) echo "fuzz_campaign: unknown option $1" >&2; exit 2 ;;
    *) targets+=("$1"); shift ;;
  esac
done
[[ ${#targets[@]} -gt 0 ]] || targets=(frame_decoder config heap_profile cpu_profile snapshots meta loadgen_result)
[[ "$seconds" =~ ^[0-9]+$ && "$jobs" =~ ^[1-9][0-9]*$ ]] || { echo "fuzz_campaign: --seconds/--jobs want integers" >&2; exit 2; }

for t in "${targets[@]}"; do
  [[ -d "$root/tests/fuzz/corpus/$t" ]] || { echo "fuzz_campaign: no target '$t' (no tests/fuzz/corpus/$t)" >&2; exit 2; }
  if [[ ! -x "$build/bin/${t}_fuzz" ]]; then
    [[ -f "$build/CMakeCache.txt" ]] || cmake --preset fuzz -B "$build" >/dev/null
    cmake --build "$build" -j2 --target fuzzers
  fi
done

run_one() {
  local t="$1" work="$build/campaign/$1"
  rm -rf "$work"
  mkdir -p "$work/corpus"
  cp -r "$root/tests/fuzz/corpus/$t/." "$work/corpus/"
  local seeds
  seeds=$(find "$work/corpus" -type f | wc -l)
  local rc=0
  "$build/bin/${t}_fuzz" -max_total_time="$seconds" -print_final_stats=1 \
    -artifact_prefix="$work/" "$work/corpus" >"$work/log.txt" 2>&1 || rc=$?
  local execs corpus
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$work/log.txt" | grep -o '[0-9]*$' || echo "?")
  corpus=$(find "$work/corpus" -type f | wc -l)
  if [[ $rc -eq 0 ]]; then
    printf '%-16s %6ss  %12s execs  corpus %5s -> %5s  no crash\n' "$t" "$seconds" "$execs" "$seeds" "$corpus"
  else
    printf '%-16s %6ss  %12s execs  CRASH (exit %s): see %s\n' "$t" "$seconds" "$execs" "$rc" "$work"
    return 1
  fi
}

echo "fuzz_campaign: ${#targets[@]} targets x ${seconds}s, ${jobs} at a time ($(date -u +%FT%TZ))"
failed=0
pids=()
for t in "${targets[@]}"; do
  run_one "$t" &
  pids+=($!)
  if [[ ${#pids[@]} -ge $jobs ]]; then
    wait "${pids[0]}" || failed=1
    pids=("${pids[@]:1}")
  fi
done
for p in "${pids[@]}"; do wait "$p" || failed=1; done
exit $failed
