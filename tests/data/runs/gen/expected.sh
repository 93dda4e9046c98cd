#!/usr/bin/env bash
# Regenerates tests/data/runs/expected/: the summary.json of `heapdrift report`
# and the diff.txt of `heapdrift diff` over the committed golden runs, which
# tests/unit/analysis/report/golden_expected_test.cc recomputes in memory and
# compares field by field. Run it only when a change of the report's output
# is intended, and say why in the commit:
#   tests/data/runs/gen/expected.sh BIN_DIR        (e.g. build/bin)
# Inputs are named relative to the repository root, and absolute paths that
# come from the recorded data (source files and binaries of the recording
# machine) become their last three components without the leading '/', as
# the test does, so the files do not depend on any checkout's location.
set -euo pipefail
bin="$(cd "$1" && pwd)"
cd "$(dirname "$0")/../../../.."
runs=tests/data/runs
out=$runs/expected
tmp="$(mktemp -d /tmp/hd-expected.XXXXXX)"
trap 'rm -rf "$tmp"' EXIT

# Same rule as normalize_paths() in golden_expected_test.cc: an absolute path
# starts a string or follows a space or '('; it ends at whitespace : " ( ) ,
normalize() {
  python3 -c '
import sys
text = sys.stdin.read()
stops = set(" \t\n:\"(),")
out, i = [], 0
while i < len(text):
    c = text[i]
    if c == "/" and (i == 0 or text[i - 1] in " (\""):
        j = i
        while j < len(text) and text[j] not in stops:
            j += 1
        parts = text[i + 1:j].split("/")
        out.append("/".join(parts[-3:]))
        i = j
    else:
        out.append(c)
        i += 1
sys.stdout.write("".join(out))
'
}

# name: the runs of the report; the diff is of the first two.
sets=(
  "normal normal-2k normal-10k"
  "history history-2k history-10k"
  "leak leak-2k leak-10k"
  "fragment fragment-2k fragment-10k"
  "slowpath slowpath-2k slowpath-10k"
  "cache cache-2k cache-10k cache-bounded-10k"
)
for s in "${sets[@]}"; do
  read -r name first second rest <<<"$s"
  mkdir -p "$out/$name"
  dirs=()
  for r in $first $second $rest; do dirs+=("$runs/$r"); done
  "$bin/heapdrift" report -o "$tmp/$name" "${dirs[@]}" 2>/dev/null
  normalize <"$tmp/$name/summary.json" >"$out/$name/summary.json"
  "$bin/heapdrift" diff "$runs/$first" "$runs/$second" | normalize >"$out/$name/diff.txt"
done
echo "wrote $out"
