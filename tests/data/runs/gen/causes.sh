#!/usr/bin/env bash
# Records the golden runs of tests/unit/analysis/report/causes_golden_test.cc
# with record.sh: leadership and run states, so no heap profiles (the
# default 512 KiB sample period, profiles/ deleted) and every process kept
# (the leadership is merged over the three replicas):
#   tests/data/runs/gen/causes.sh BIN_DIR [OUT_DIR]   (default tests/data/runs)
set -euo pipefail
bin="$1"
here="$(cd "$(dirname "$0")" && pwd)"
out="${2:-$here/..}"
all="replica0 replica1 replica2 client0 client1"
rec() { "$here/record.sh" "$bin" "$out" "$@" --lg-sample 19 --no-profiles "$all"; }
rec boot-2k 2000 none                       # the replicas boot, elect, and serve: no change
rec kill-2k 2000 none --kill-leader-at 1000  # the boot leader SIGKILLed at 1000 ops
rec kill-10k 10000 none --kill-leader-at 1000
rec interrupted-10k 10000 none --interrupt  # Ctrl-C during the load: FAILED, no result.json
rec byhand-2k 2000 none --by-hand           # README's "Diagnostics by hand"
