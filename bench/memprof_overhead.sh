#!/usr/bin/env bash
# memprof overhead (docs/run-folder.md, "Cost and non-perturbation"): the
# seed workload on a local 3-replica cluster
# (`heapdrift bench`: the embedded default on free ports), same allocator,
# memprof instrumentation ON (--run-dir on every replica and loadgen, the
# defaults: snapshots every 100 ms and every ~1/40 of each process's ops, heap
# profiles at 8 even steps of its ops and at the end, the sampling rate chosen
# from the run length: lg_prof_sample 14 for 10K ops, 17 for 100K) versus OFF,
# alternated --rounds times (default 20); prints each run's throughput and the ratio
# on/off, and what the last ON run recorded per process. Then the cost of one
# snapshot in microseconds per backend (memprof_probe --measure-snapshot).
# --split (jemalloc) adds two modes to every round, to say where the cost is:
# `rec`, the recorder alone (ON with MALLOC_CONF=prof:false: run folders,
# snapshots, op counting, no sampling), and `samp`, jemalloc's sampling alone
# (OFF with MALLOC_CONF=prof:true at the ON run's lg_prof_sample: no run
# folder, no recorder); each is printed against its round's OFF run.
#   bench/memprof_overhead.sh [--ops N] [--rounds R] [--allocator A] [--split] [--out DIR]
# heapdrift bench starts only its own processes and stops exactly those (also
# on Ctrl-C).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bin="${HEAPDRIFT_BIN:-$root/build/bin}"
ops=200000
# 20 rounds by default: a 200K-op round takes ~3 s here, and the paired
# ratios' standard deviation was 4.7-8.6 % on this VM (40-round batches), so
# fewer rounds cannot tell 3 % from 0.
rounds=20
allocator=jemalloc
out=""
split=0
while (($#)); do
  case "$1" in
    --ops) ops="$2"; shift 2 ;;
    --rounds) rounds="$2"; shift 2 ;;
    --allocator) allocator="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    --split) split=1; shift ;;
    -h|--help) sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "memprof_overhead: unknown argument $1" >&2; exit 2 ;;
  esac
done
for b in heapdrift replica loadgen memprof_probe; do
  [[ -x "$bin/$b" ]] || { echo "memprof_overhead: $bin/$b missing (build first)" >&2; exit 2; }
done
out="${out:-$(mktemp -d /tmp/memprof-overhead.XXXXXX)}"
mkdir -p "$out"

# One run = `heapdrift bench` (launcher/bench.cc: the seed workload of the
# embedded default on free ports, every process started, watched and stopped
# there) of one length; OFF without run folders, ON with them (the default
# recording, docs/run-folder.md "Density") but without the report. Prints the
# merged throughput from its table.tsv.
run_once() {  # $1 = on|off|rec|samp, $2 = round
  local mode="$1" dir="$out/$1-$2" flags=(--no-profile) conf=()
  [[ "$mode" == on || "$mode" == rec ]] && flags=(--no-report)
  # A user's MALLOC_CONF comes after memprof's and wins (docs/run-folder.md).
  [[ "$mode" == rec ]] && conf=(MALLOC_CONF=prof:false)
  [[ "$mode" == samp ]] && conf=("MALLOC_CONF=prof:true,prof_active:true,lg_prof_sample:$lg_sample")
  env "${conf[@]}" "$bin/heapdrift" bench --sweep "$ops" --allocators "$allocator" --loadgen-args=--quiet \
    "${flags[@]}" --out "$dir" --progress lines >"$dir.log" 2>&1 ||
    { echo "memprof_overhead: heapdrift bench failed; see $dir.log" >&2; exit 1; }
  awk -F'\t' 'NR == 2 {print $3}' "$dir/runs/table.tsv"
}

if ((split)) && [[ "$allocator" != jemalloc ]]; then
  echo "memprof_overhead: --split needs --allocator jemalloc (it sets MALLOC_CONF)" >&2; exit 2
fi
echo "memprof overhead: $ops ops/run, allocator $allocator, $rounds rounds (off/on alternated$( ((split)) && echo ", + rec and samp")), out $out"
declare -a on_tp off_tp rec_tp samp_tp
lg_sample=""
for round in $(seq 1 "$rounds"); do
  # Alternate which mode goes first, so drift (thermal, neighbours) cancels.
  if ((round % 2)); then order=(off on); else order=(on off); fi
  ((split)) && order+=(rec samp)
  for mode in "${order[@]}"; do
    tp=$(run_once "$mode" "$round")
    printf '  round %d %-4s %10s ops/s\n' "$round" "$mode" "$tp"
    case "$mode" in on) on_tp+=("$tp") ;; off) off_tp+=("$tp") ;; rec) rec_tp+=("$tp") ;; samp) samp_tp+=("$tp") ;; esac
    if [[ "$mode" == on && -z "$lg_sample" ]]; then
      # The sampling rate the ON run chose (meta.json), for the samp mode.
      lg_sample=$(python3 -c 'import glob, json, math, sys
m = json.load(open(sorted(glob.glob(sys.argv[1] + "/runs/*/*/meta.json"))[0]))
print(int(math.log2(m["allocator"]["heap_profile_sample_bytes"])))' "$out/on-$round")
    fi
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
# Each round ran off and on side by side: the per-round ratios are paired,
# so their spread (not the runs') is the uncertainty of the ratio.
pairs = [b / a for a, b in zip(off, on)]
if len(pairs) >= 3:
    t = {2: 4.30, 3: 3.18, 4: 2.78, 5: 2.57, 6: 2.45, 7: 2.36, 8: 2.31, 9: 2.26}.get(len(pairs) - 1, 2.0)
    half = t * statistics.stdev(pairs) / len(pairs) ** 0.5
    m = statistics.mean(pairs)
    print(f"per-round ratios: mean {m:.3f}, 95% CI {m - half:.3f}-{m + half:.3f} ({len(pairs)} rounds), "
          f"median {statistics.median(pairs):.3f}")
    # This 2-core VM's throughput swings 2x between rounds (its neighbours):
    # the median of paired ratios is the figure one such round cannot move.
    # Rounds with a ratio outside [0.5, 2] are almost surely a swing, not
    # the recording; say how many there were.
    wild = sum(1 for p in pairs if not 0.5 <= p <= 2)
    if wild:
        print(f"  {wild} round(s) with a ratio outside 0.5-2: the machine swung during them")
else:
    print("per-round ratios: too few rounds for an interval (3 or more)")
PY
# CPU per op of the whole cluster (every process's user + sys as the kernel
# accounted it when the launcher reaped it: runs/.../processes.tsv), ON over
# OFF per round: the cost of recording in CPU rather than in throughput.
python3 - "$out" "$ops" "$rounds" "$split" "$lg_sample" "${off_tp[*]}" "${rec_tp[*]}" "${samp_tp[*]}" <<'PY'
import csv, os, statistics, sys
out, ops, rounds = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
split, lg = sys.argv[4] == "1", sys.argv[5]
off_tp, rec_tp, samp_tp = ([float(x) for x in a.split()] for a in sys.argv[6:9])
def cpu_s(run):
    path = os.path.join(out, run, "runs", f"ops{ops}-it1", "processes.tsv")
    if not os.path.exists(path):
        return None
    rows = list(csv.DictReader(open(path), delimiter="\t"))
    if any(r["user_us"] == "-" for r in rows):
        return None
    return sum(int(r["user_us"]) + int(r["sys_us"]) for r in rows) / 1e6
ratios = []
for r in range(1, rounds + 1):
    off, on = cpu_s(f"off-{r}"), cpu_s(f"on-{r}")
    if off and on:
        ratios.append(on / off)
        print(f"  round {r}: cluster CPU off {off:.2f} s, on {on:.2f} s "
              f"({1e6 * off / ops:.1f} vs {1e6 * on / ops:.1f} us/op), on/off {on / off:.3f}")
def interval(v):  # mean and Student-t 95 % interval of per-round ratios
    if len(v) < 3:
        return f"{statistics.mean(v):.3f} ({len(v)} round(s); 3 or more for an interval)"
    t = {2: 4.30, 3: 3.18, 4: 2.78, 5: 2.57, 6: 2.45, 7: 2.36, 8: 2.31, 9: 2.26}.get(len(v) - 1, 2.0)
    m, half = statistics.mean(v), t * statistics.stdev(v) / len(v) ** 0.5
    return f"mean {m:.3f}, 95% CI {m - half:.3f}-{m + half:.3f} ({len(v)} rounds), median {statistics.median(v):.3f}"
if ratios:
    print(f"cluster CPU per op on/off: {interval(ratios)} (cost of recording in CPU)")
# --split: the recorder alone and jemalloc's sampling alone, each against its
# round's OFF run, in throughput and in cluster CPU per op.
if split:
    for mode, what, tps in (("rec", "recorder alone (MALLOC_CONF=prof:false)", rec_tp),
                            ("samp", f"jemalloc sampling alone (lg_prof_sample {lg}, no recorder)", samp_tp)):
        cpu = [cpu_s(f"{mode}-{r}") / cpu_s(f"off-{r}") for r in range(1, rounds + 1)
               if cpu_s(f"{mode}-{r}") and cpu_s(f"off-{r}")]
        print(f"{what}: throughput / off {interval([b / a for a, b in zip(off_tp, tps)])}")
        if cpu:
            print(f"  cluster CPU per op / off {interval(cpu)}")
PY
# The recorder's own CPU over each process's CPU (proc.recorder_cpu_us): a
# measure of recording's cost that the machine's noise does not blur. Median
# over the ON runs, per process. jemalloc's sampling is not in it.
python3 - "$out" "$ops" "$rounds" <<'PY'
import glob, json, os, statistics, sys
out, ops, rounds = sys.argv[1], sys.argv[2], int(sys.argv[3])
shares = {}
for r in range(1, rounds + 1):
    for d in glob.glob(os.path.join(out, f"on-{r}", "runs", f"ops{ops}-it1", "*", "snapshots.jsonl")):
        with_cpu = [json.loads(l) for l in open(d)]
        with_cpu = [l for l in with_cpu if l["proc"].get("recorder_cpu_us") is not None]
        if not with_cpu:
            continue
        last = with_cpu[-1]["proc"]
        cpu = last["utime_us"] + last["stime_us"]
        if cpu > 0:
            shares.setdefault(os.path.basename(os.path.dirname(d)), []).append(last["recorder_cpu_us"] / cpu)
if shares:
    print("recorder CPU / process CPU (median of the ON runs): " +
          ", ".join(f"{p} {100 * statistics.median(v):.1f}%" for p, v in sorted(shares.items())))
PY
# What instrumentation produced in the last ON run: per process, snapshot
# lines (of them op-step), heap profiles, the sampling period in force and
# the longest profile stall.
last_on="$out/on-$rounds/runs/ops$ops-it1"
echo "recorded in $last_on:"
python3 - "$last_on" <<'PY'
import glob, json, os, sys
for d in sorted(glob.glob(os.path.join(sys.argv[1], "*", "meta.json"))):
    d = os.path.dirname(d)
    lines = [json.loads(l) for l in open(os.path.join(d, "snapshots.jsonl"))]
    steps = sum(1 for l in lines if l["reason"] == "op-step")
    profs = [l for l in lines if l["profile"]]
    stall = max((l["profile_us"] or 0 for l in profs), default=0)
    meta = json.load(open(os.path.join(d, "meta.json")))
    print(f"  {os.path.basename(d):9} {len(lines):4} snapshots ({steps} op-step), "
          f"{len(profs):2} heap profiles (longest stall {stall} us), ops {lines[-1]['ops']}, "
          f"sample period {meta['allocator']['heap_profile_sample_bytes']} B")
PY

echo "cost of one snapshot (format + write(2), in-process, 2000 samples):"
for b in jemalloc tcmalloc glibc; do
  "$bin/memprof_probe" --allocator "$b" --run-dir "$out/measure-$b" --measure-snapshot 2000 |
    sed 's/^/  /'
done
