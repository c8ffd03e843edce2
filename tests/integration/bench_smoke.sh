#!/usr/bin/env bash
# bench_smoke.sh — the benchmark harness runs, it does not measure: one
# `bench/run.sh --smoke` (1 s per measurement, every scenario) into a
# temporary directory, then checks what it left:
#   - it exited 0 (every scenario gave both figures or an explained
#     "not available"), within its time;
#   - the run's JSON is well-formed (python3 -m json.tool) and has the keys
#     the README promises: meta (CPU model, kernel, DPDK, PMDs via rows), and
#     per row scenario / pmd / hare / kernel / ratio / unit / note;
#   - every scenario appears in the rows, each with a positive figure on
#     both sides unless its note says "not available: ..." (a figure's size
#     is never asserted: speed lives in bench/, not in tests);
#   - a PNG and an SVG plot were written;
#   - nothing is left behind: its namespaces are gone, no process runs from
#     the run's binary snapshot.
# Own namespaces (bsmoke-*), so it never touches the test rig's.
set -u
ROOT=${HARE_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
PY=/usr/bin/python3
T=bench_smoke
OUT=$(mktemp -d /tmp/hare-bench-smoke.XXXXXX)
export HARE_NS_PEER=bsmoke-peer HARE_NS_STACK=bsmoke-stack HARE_NS_MID=bsmoke-mid
export BENCH_RESULTS=$OUT
RUNPID=""

fail() { echo "FAIL ${T}_$1: $2"; }
pass() { echo "PASS ${T}_$1"; }

cleanup() {
	local p
	[ -n "$RUNPID" ] && kill -TERM "$RUNPID" 2>/dev/null && wait "$RUNPID" 2>/dev/null
	for ns in "$HARE_NS_STACK" "$HARE_NS_PEER"; do
		ip netns list 2>/dev/null | awk '{print $1}' | grep -qx "$ns" || continue
		for p in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$p" 2>/dev/null; done
		ip netns del "$ns" 2>/dev/null
	done
	rm -rf "$OUT"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# the run (its own trap tears the rig down, also on failure)
HARE_BUILD=${HARE_BUILD:-$ROOT/build} timeout -k 5 150 bash "$ROOT/bench/run.sh" --smoke \
	>"$OUT/stdout" 2>"$OUT/stderr" &
RUNPID=$!
wait "$RUNPID"
rc=$?
RUNPID=""
if [ "$rc" = 0 ]; then
	pass runs
else
	fail runs "bench/run.sh --smoke exited $rc: $(tail -3 "$OUT/stderr" | tr '\n' ' ')"
	sed 's/^/    /' "$OUT/stdout" | tail -40
fi

json=$(ls "$OUT"/run-*.json 2>/dev/null | head -1)
if [ -n "$json" ] && $PY -m json.tool "$json" >/dev/null 2>"$OUT/json.err"; then
	pass json_well_formed
else
	fail json_well_formed "no run-*.json in $OUT, or not JSON: $(cat "$OUT/json.err" 2>/dev/null)"
	json=""
fi

if [ -n "$json" ]; then
	out=$($PY - "$json" "$(bash "$ROOT/bench/run.sh" --list)" <<'PYEOF'
import json, sys
d = json.load(open(sys.argv[1]))
want_meta = ["cpu_model", "kernel", "dpdk", "duration_s", "server_core", "client_core", "hare_git"]
want_row = ["scenario", "pmd", "hare", "kernel", "ratio", "unit", "note"]
missing = [k for k in want_meta if k not in d.get("meta", {})]
missing += [f"rows[{i}].{k}" for i, r in enumerate(d.get("rows", [])) for k in want_row if k not in r]
print("keys", "ok" if not missing and d.get("rows") else "missing: " + " ".join(missing or ["rows"]))
prefix = {"http_keepalive": "http_keepalive", "http_close": "http_close", "echo": "echo_",
          "bulk": "bulk_", "nokernel": "nokernel_", "cost": "cost_per_request"}
for s in sys.argv[2].split():
    rows = [r for r in d.get("rows", []) if r["scenario"].startswith(prefix[s])]
    bad = []
    for r in rows:
        if r["note"].startswith("not available"):
            continue
        need_k = r["scenario"] != "cost_per_request"
        if not (isinstance(r["hare"], (int, float)) and r["hare"] > 0):
            bad.append(f"{r['scenario']}/{r['pmd']}: no hare figure ({r['note']})")
        if need_k and not (isinstance(r["kernel"], (int, float)) and r["kernel"] > 0):
            bad.append(f"{r['scenario']}/{r['pmd']}: no kernel figure ({r['note']})")
        if need_k and r["ratio"] is None:
            bad.append(f"{r['scenario']}/{r['pmd']}: no ratio")
    if s == "cost" and rows and not rows[0]["note"].startswith("not available"):
        c = d.get("raw", {}).get("cost.hare", {})
        if not c.get("layers") or not c.get("top_functions"):
            bad.append("cost: no layer split or top functions in raw.cost.hare")
    print("scenario", s, "ok" if rows and not bad else ("no rows" if not rows else "; ".join(bad)))
PYEOF
)
	while read -r kind a b; do
		case "$kind" in
		keys) [ "$a" = ok ] && pass json_keys || fail json_keys "$a $b" ;;
		scenario) [ "$b" = ok ] && pass "scenario_$a" || fail "scenario_$a" "$b" ;;
		esac
	done <<<"$out"
fi

png=$(ls "$OUT"/run-*.png 2>/dev/null | head -1)
svg=$(ls "$OUT"/run-*.svg 2>/dev/null | head -1)
if [ -n "$png" ] && head -c 8 "$png" | od -An -c | grep -q 'P   N   G' && [ -n "$svg" ] &&
	grep -q '<svg' "$svg"; then
	pass plot
else
	fail plot "no PNG/SVG plot in $OUT (gnuplot-nox installed? see $OUT/stderr)"
fi

left=""
for ns in "$HARE_NS_PEER" "$HARE_NS_STACK"; do
	ip netns list 2>/dev/null | awk '{print $1}' | grep -qx "$ns" && left+=" netns $ns"
done
for p in $(pgrep -f "$OUT/run-" 2>/dev/null); do left+=" pid $p"; done
[ -z "$left" ] && pass teardown || fail teardown "left behind:$left"
