#!/usr/bin/env bash
# Verdict agreement (issue 13, docs/report.md "Per-site verdicts"): runs the
# default sweep (`heapdrift bench`: 10K, 100K and 1M ops on a local 3-replica
# cluster) --repeat times in each of three scenarios — clean, `--plant leak`,
# `--plant history` — and prints, from each run's summary.json:
#   * agreement: over every pair of decided site verdicts of one site in one
#     role (the clients; the followers; the leader) at one run length, across
#     the repeats and the twins, the share that agree on whether the site
#     grows (accumulates/saturating) or not (constant/churn); target >= 95 %.
#     Beside it the strict share (identical verdicts, `too few samples`
#     included) and how many verdicts were `too few samples`, so a tool that
#     never decides cannot look good;
#   * the planted site named: the finding names the planted function
#     (leak: leak_plant_accumulate; history: ReplicatedLog::append); target
#     every repeat;
#   * false `accumulates` on the clean replicas: repeats where a clean
#     replica has an accumulating site; target 0.
#   bench/verdict_agreement.sh [--repeat N] [--out DIR] [--bin-dir DIR]
#       [--sweep LIST] [--scenarios clean,leak,history]
# Needs python3 for the arithmetic. Not part of CI (about 30 bench runs).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
repeat=10
out=""
bin="$root/build/bin"
sweep=""
scenarios="clean,leak,history"
while (($#)); do
  case "$1" in
    --repeat) repeat="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    --bin-dir) bin="$(cd "$2" && pwd)"; shift 2 ;;
    --sweep) sweep="$2"; shift 2 ;;
    --scenarios) scenarios="$2"; shift 2 ;;
    -h|--help) sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "verdict_agreement: unknown argument $1" >&2; exit 2 ;;
  esac
done
[[ "$repeat" =~ ^[1-9][0-9]*$ ]] || { echo "verdict_agreement: --repeat must be >= 1" >&2; exit 2; }
[[ -x "$bin/heapdrift" ]] || { echo "verdict_agreement: $bin/heapdrift missing (build first)" >&2; exit 2; }
command -v python3 >/dev/null || { echo "verdict_agreement: needs python3" >&2; exit 2; }
out="${out:-$(mktemp -d /tmp/verdict-agreement.XXXXXX)}"
mkdir -p "$out"
echo "verdict agreement: $repeat repeats of the default sweep${sweep:+ ($sweep)} per scenario ($scenarios), out $out"

IFS=, read -r -a scenario_list <<<"$scenarios"
for scenario in "${scenario_list[@]}"; do
  case "$scenario" in
    clean) plant=() ;;
    leak|history) plant=(--plant "$scenario") ;;
    *) echo "verdict_agreement: unknown scenario $scenario (clean, leak, history)" >&2; exit 2 ;;
  esac
  for ((i = 1; i <= repeat; i++)); do
    dir="$out/$scenario-$i"
    rm -rf "$dir"
    args=(bench --out "$dir" --progress lines --loadgen-args=--quiet "${plant[@]}")
    [[ -n "$sweep" ]] && args+=(--sweep "$sweep")
    if ! "$bin/heapdrift" "${args[@]}" >"$dir.log" 2>&1; then
      echo "verdict_agreement: $scenario repeat $i failed; see $dir.log" >&2
      exit 1
    fi
    echo "  $scenario $i/$repeat done"
  done
done

python3 - "$out" "$repeat" "$scenarios" <<'PY'
import itertools, json, os, sys
out, repeat, scenarios = sys.argv[1], int(sys.argv[2]), sys.argv[3].split(",")
GROWS, FLAT = {"accumulates", "saturating"}, {"constant", "churn"}
PLANTED = {"leak": "leak_plant_accumulate", "history": "ReplicatedLog::append"}

pairs = agree = strict_pairs = strict_agree = verdicts = too_few = 0
named = {s: 0 for s in scenarios}
planted_verdicts = {}
false_acc = 0
for s in scenarios:
    groups = {}  # (length, role, site) -> [verdict]
    for i in range(1, repeat + 1):
        j = json.load(open(os.path.join(out, f"{s}-{i}", "summary.json")))
        if s in PLANTED and PLANTED[s] in j["finding"]["text"]:
            named[s] += 1
        if s in PLANTED:  # the planted site's own verdict in every replica of the longest run
            for p in j["runs"][-1]["processes"]:
                if p["program"] != "replica":
                    continue
                for st in p["sites"]:
                    if PLANTED[s] in st["function"]:
                        planted_verdicts.setdefault(s, {}).setdefault(st["verdict"], 0)
                        planted_verdicts[s][st["verdict"]] += 1
                        break
        # Roles as the report pools them (pooled_sites); twins and repeats together.
        for ps in j.get("pooled_sites", []):
            key = (ps["length_ops"], ps["role"], ps["function"], ps["file"], ps["line"])
            groups.setdefault(key, []).extend(ps["member_verdicts"])
        if s == "clean":
            acc = [st["function"] for r in j["runs"] for p in r["processes"]
                   if p["program"] == "replica" for st in p["sites"]
                   if st["verdict"] == "accumulates"]
            if acc:
                false_acc += 1
                print(f"  clean repeat {i}: replica site(s) accumulate: {sorted(set(acc))[:3]}")
    for vs in groups.values():
        verdicts += len(vs)
        too_few += sum(v == "too few samples" for v in vs)
        for a, b in itertools.combinations(vs, 2):
            strict_pairs += 1
            strict_agree += a == b
            if a in GROWS | FLAT and b in GROWS | FLAT:
                pairs += 1
                agree += (a in GROWS) == (b in GROWS)

pct = lambda a, b: f"{100.0 * a / b:.1f} %" if b else "n/a"
print(f"agreement (decided pairs, grows vs not): {agree}/{pairs} = {pct(agree, pairs)}  (target >= 95 %)")
print(f"strict agreement (identical verdicts):   {strict_agree}/{strict_pairs} = {pct(strict_agree, strict_pairs)}")
print(f"verdicts 'too few samples':              {too_few}/{verdicts} = {pct(too_few, verdicts)}")
for s in scenarios:
    if s in PLANTED:
        print(f"planted site named ({s}: {PLANTED[s]}): {named[s]}/{repeat}  (target {repeat}/{repeat})")
        print(f"  its verdicts in the replicas of the longest runs: {planted_verdicts.get(s, {})}")
if "clean" in scenarios:
    print(f"false 'accumulates' on the clean replicas: {false_acc}/{repeat}  (target 0/{repeat})")
ok = (pairs and agree >= 0.95 * pairs) and all(named[s] == repeat for s in scenarios if s in PLANTED) \
     and false_acc == 0
print("targets met" if ok else "targets NOT met")
sys.exit(0 if ok else 1)
PY
