#!/usr/bin/env bash
# Soak: the seed workload for --ops operations (default 1,000,000)
# on a local 3-replica cluster through `heapdrift bench`, heap profiles at ten
# points of the run, then two verdicts from the report and the run folders:
#   * replica live-heap growth after warm-up (the first 10 % of each replica's
#     own ops), per op: the allocation sites outside the KV store (the only
#     legitimate grower: it fills its key space) must sum to <= 16 B/op;
#     the `allocated` slope and the KV store's share are printed beside it;
#   * throughput over the last 10 % of the run's seconds >= 0.95 x the first
#     10 % after warm-up (the first 10 % of seconds).
#   Beside it, each process's CPU time per op in both windows: when it moves
#   in step in every process (clients included), the machine changed, not
#   the replica. The windows need >= 10 whole seconds: on an idle 2-core
#   machine 1M ops take ~7 s, so use --ops 3000000 there.
# The report of the run (OUT/report/index.html) is the evidence.
#   With --repeat N it soaks N times in a row (OUT/run1..N) and ends with
#   each run's throughput ratio and how many held >= 0.95 (issue 17's
#   target: 4 of 5 at 3M ops); the exit status is then 0 only if all passed.
#   Beside each ratio it prints the report's own trend (analysis/metrics/
#   decay.h: a fit over the whole run, its interval widened for
#   autocorrelation, verdict steady/declining/rising): at ~14 whole seconds
#   the 10 % windows are one second each and carry one second's noise.
#   Beside CPU per op it prints the speed probe (memprof/speed_probe.h): the
#   same fixed work in every process, timed in both windows; when it too
#   took longer, the machine slowed, not the processes' code.
#   With --config FILE the cluster and workload come from FILE instead of
#   configs/local.conf (its heapProfileAt is replaced as above).
#   bench/soak.sh [--ops N] [--repeat N] [--config FILE] [--out DIR] [--bin-dir DIR]
# Needs python3 for the arithmetic. Not part of CI.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ops=1000000
repeat=1
out=""
bin="$root/build/bin"
config="$root/configs/local.conf"
while (($#)); do
  case "$1" in
    --ops) ops="$2"; shift 2 ;;
    --repeat) repeat="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    --config) config="$2"; shift 2 ;;
    --bin-dir) bin="$(cd "$2" && pwd)"; shift 2 ;;
    -h|--help) sed -n '2,29p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "soak: unknown argument $1" >&2; exit 2 ;;
  esac
done
[[ "$ops" =~ ^[0-9]+$ && "$ops" -ge 100000 ]] || { echo "soak: --ops wants an integer >= 100000" >&2; exit 2; }
[[ "$repeat" =~ ^[0-9]+$ && "$repeat" -ge 1 && "$repeat" -le 50 ]] || { echo "soak: --repeat wants an integer in 1..50" >&2; exit 2; }
[[ -r "$config" ]] || { echo "soak: cannot read config $config" >&2; exit 2; }
command -v python3 >/dev/null || { echo "soak: python3 is needed for the verdicts" >&2; exit 2; }
[[ -x "$bin/heapdrift" ]] || { echo "soak: $bin/heapdrift missing (build first)" >&2; exit 2; }
out="${out:-$(mktemp -d /tmp/heapdrift-soak.XXXXXX)}"
mkdir -p "$out"

# The shipped local config with milestones spread over the whole run (each
# process counts its own ops; followers count fewer, so the early ones matter).
milestones=""
for i in 1 2 3 4 5 6 7 8 9 10; do milestones+="${milestones:+,}$((ops * i / 20))"; done
# (local.conf sets none: they would otherwise be 8 even steps of each process's ops.)
{ grep -v '^heapProfileAt:' "$config"; echo "heapProfileAt: $milestones"; } \
  >"$out/soak.conf"

soak_once() {  # soak_once REPORT_DIR: one soak, its verdicts; status 0 = PASS
"$bin/heapdrift" bench "$out/soak.conf" --sweep "$ops" --out "$1" --progress lines || return 1
python3 - "$1" <<'EOF'
import glob, json, os, sys

report = sys.argv[1]
summary = json.load(open(os.path.join(report, "summary.json")))
run = summary["runs"][-1]
ok = True

print("\nreplica live-heap growth after warm-up (bytes per op of each replica's own counter)")
for p in run["processes"]:
    if p["program"] != "replica":
        continue
    snaps = [json.loads(l) for l in open(glob.glob(os.path.join(report, "runs", "*", p["name"], "snapshots.jsonl"))[0])]
    final = max(s["ops"] for s in snaps)
    loaded = [s for s in snaps if s["ops"] >= 0.1 * final]
    first = loaded[0]
    last = next(s for s in snaps if s["ops"] == final)
    d_ops = max(1, last["ops"] - first["ops"])
    alloc_slope = (last["alloc"]["allocated"] - first["alloc"]["allocated"]) / d_ops \
        if last["alloc"].get("allocated") is not None else float("nan")
    kv = other = 0.0
    growers = []
    for s in p["sites"]:
        slope = s["slope_bytes_per_op"] or 0.0
        is_kv = "kv_store" in (s.get("file") or "") or "KvStore" in (s.get("function") or "")
        if is_kv:
            kv += slope
        else:
            other += slope
            if s["verdict"] == "accumulates":
                growers.append(f'{s["function"][:60]} {slope:.1f} B/op')
    verdict = "ok" if other <= 16 else "OVER 16 B/op"
    ok &= other <= 16
    print(f'  {p["name"]}: {final} ops; allocated {alloc_slope:+.1f} B/op after warm-up; '
          f'sites: KV store {kv:+.1f}, everything else {other:+.1f} B/op -> {verdict}')
    for g in growers:
        print(f'      accumulates: {g}')

# Throughput per second over the seconds in which every loadgen was running
# (each one's first and last, partial, seconds dropped), summed over loadgens.
series = {}
for path in glob.glob(os.path.join(report, "runs", "*", "*", "result.json")):
    secs = {e["unix_s"]: e["ops"] for e in json.load(open(path))["tput_series"]}
    if len(secs) > 2:
        secs.pop(min(secs)); secs.pop(max(secs))
    series[path] = secs
common = sorted(set.intersection(*(set(v) for v in series.values()))) if series else []
whole = [sum(v[t] for v in series.values()) for t in common]
if len(whole) >= 10:
    n = max(1, len(whole) // 10)
    first10 = sum(whole[n:2 * n]) / n
    last10 = sum(whole[-n:]) / n
    ratio = last10 / first10 if first10 else float("nan")
    ok &= ratio >= 0.95
    print(f"\nthroughput: first 10% after warm-up {first10:,.0f} ops/s, last 10% {last10:,.0f} ops/s, "
          f"ratio {ratio:.3f} (target >= 0.95) over {len(whole)} whole seconds of all loadgens")
    # Why, if it moved: CPU time (user + sys) per op of each process in the
    # same two windows, from its snapshots. Flat CPU per op with less
    # throughput means the processes did not do more work per op: the loss
    # came from outside them (a shared machine's neighbours, frequency).
    def cpu_per_op(snaps, t0_ms, t1_ms):
        inside = [s for s in snaps if t0_ms <= s["unix_ms"] <= t1_ms]
        if len(inside) < 2 or inside[-1]["ops"] <= inside[0]["ops"]:
            return None
        a, b = inside[0], inside[-1]
        n = b["ops"] - a["ops"]
        user = (b["proc"]["utime_us"] - a["proc"]["utime_us"]) / n
        sys_ = (b["proc"]["stime_us"] - a["proc"]["stime_us"]) / n
        return (user + sys_, user, sys_)
    w1 = (common[n] * 1000, (common[2 * n - 1] + 1) * 1000)
    w2 = (common[-n] * 1000, (common[-1] + 1) * 1000)
    print("  CPU per op (user + sys), first vs last window:")
    for path in sorted(glob.glob(os.path.join(report, "runs", "*", "*", "snapshots.jsonl"))):
        snaps = [json.loads(l) for l in open(path)]
        a, b = cpu_per_op(snaps, *w1), cpu_per_op(snaps, *w2)
        name = os.path.basename(os.path.dirname(path))
        if a is None or b is None:
            print(f"    {name}: too few snapshots in a window")
            continue
        print(f"    {name}: {a[0]:.2f} -> {b[0]:.2f} us/op ({b[0] / a[0]:.2f}x; "
              f"user {a[1]:.2f} -> {b[1]:.2f}, sys {a[2]:.2f} -> {b[2]:.2f})")
    # The speed probe: us per run of its fixed work, every process pooled.
    def probe(t0_ms, t1_ms):
        runs = chase = compute = kernel = 0
        for path in glob.glob(os.path.join(report, "runs", "*", "*", "snapshots.jsonl")):
            inside = [json.loads(l) for l in open(path)]
            inside = [s["proc"] for s in inside
                      if t0_ms <= s["unix_ms"] <= t1_ms and "probe_runs" in s["proc"]]
            if len(inside) >= 2:
                runs += inside[-1]["probe_runs"] - inside[0]["probe_runs"]
                chase += inside[-1]["probe_chase_ns"] - inside[0]["probe_chase_ns"]
                compute += inside[-1]["probe_compute_ns"] - inside[0]["probe_compute_ns"]
                kernel += inside[-1].get("probe_kernel_ns", 0) - inside[0].get("probe_kernel_ns", 0)
        return (chase / runs / 1000, compute / runs / 1000, runs, kernel / runs / 1000) if runs else None
    p1, p2 = probe(*w1), probe(*w2)
    if p1 and p2:
        print(f"  speed probe (fixed work, us per run; {p1[2]} and {p2[2]} runs): "
              f"memory {p1[0]:.0f} -> {p2[0]:.0f} ({p2[0] / p1[0]:.2f}x), "
              f"compute {p1[1]:.0f} -> {p2[1]:.0f} ({p2[1] / p1[1]:.2f}x), "
              f"kernel {p1[3]:.0f} -> {p2[3]:.0f} ({p2[3] / p1[3] if p1[3] else float('nan'):.2f}x)")
    else:
        print("  speed probe: no runs in a window (recorded by an older build?)")
    # The report's own trend (analysis/metrics/decay.h): an OLS fit over every
    # bin after warm-up and the ratio of its first and last 20 % windows,
    # intervals widened for autocorrelation. With ~14 whole seconds the
    # windows above are one second each, and one second's throughput moves
    # +-5-10 % on this VM, so their ratio carries that noise in full; the
    # trend says whether the decline is more than the noise.
    tt = run.get("throughput_trend") or {}
    if tt.get("trend") in ("steady", "declining", "rising"):
        print(f'  the report\'s trend: last/first {tt["ratio"]:.3f} '
              f'(95% CI {tt["ratio_ci95_low"]:.3f}-{tt["ratio_ci95_high"]:.3f}) '
              f'over {tt["points"]} bins of {tt.get("bin_s", 1.0):.2f} s: {tt["trend"]}')
        print(f'soak-trend {tt["ratio"]:.3f} {tt["ratio_ci95_low"]:.3f} '
              f'{tt["ratio_ci95_high"]:.3f} {tt["trend"]}')
    else:
        print(f'  the report\'s trend: {tt.get("trend", "absent")} ({tt.get("why", "no trend in summary.json")})')
    print(f"soak-ratio {ratio:.3f}")
else:
    print(f"\nthroughput: only {len(whole)} whole seconds with every loadgen running; "
          f"10 are needed for the 10% windows (run more ops)")
    ok = False
print(f'\nreport: {os.path.join(report, "index.html")}')
print("soak: PASS" if ok else "soak: FAIL")
sys.exit(0 if ok else 1)
EOF
}

echo "soak: $ops ops x $repeat, heap profiles at $milestones; output in $out"
if ((repeat == 1)); then
  soak_once "$out/report"
  exit $?
fi
passed=0 ratios="" trends="" declining=0
for i in $(seq 1 "$repeat"); do
  echo "== soak run $i of $repeat"
  soak_once "$out/run$i" | tee "$out/run$i.log" || true
  r="$(sed -n 's/^soak-ratio //p' "$out/run$i.log")"
  ratios+="${ratios:+, }${r:-n/a}"
  read -r t_ratio t_lo t_hi t_verdict < <(sed -n 's/^soak-trend //p' "$out/run$i.log") || true
  trends+="${trends:+, }${t_ratio:+$t_ratio ($t_lo-$t_hi) $t_verdict}"
  [[ -z "$t_ratio" ]] && trends+="n/a"
  [[ "${t_verdict:-}" == declining ]] && declining=$((declining + 1))
  if [[ -n "$r" ]] && python3 -c "import sys; sys.exit(0 if float(sys.argv[1]) >= 0.95 else 1)" "$r"; then
    passed=$((passed + 1))
  fi
done
echo
echo "soak x$repeat at $ops ops: throughput ratios (last / first 10 %): $ratios"
echo "soak: $passed of $repeat runs held >= 0.95"
echo "the report's trend per run (last/first, 95 % CI): $trends"
echo "soak: $declining of $repeat runs declining by the report's trend"
((passed == repeat))
