#!/usr/bin/env bash
# bench/load_vs_wrk.sh — hare-load against wrk, both driving the same nginx
# (1 worker, in the peer namespace, pinned to CPU 1) with the same number of
# keep-alive connections for the same time; the clients take turns on CPU 0
# in the stack namespace. hare-load uses net_af_packet on hs0; for wrk, hs0
# gets the kernel address 198.18.0.21 while wrk runs (hare-load is stopped
# then, so the two never share the interface).
# Then hare-load's own instructions per request with callgrind: two runs of
# -n N and -n 3N, difference / 2N, counting (a) everything, busy polling
# included (under callgrind the process runs ~50x slower, so idle polls and
# per-ms timers weigh far more than at full speed), and (b) only received
# packet processing with the app's callbacks in it (hare_worker_input and
# its callees: TCP, the response parser, the next request sent from
# on_data) — the per-request work itself.
#
#   bench/load_vs_wrk.sh [SECONDS] [CONNECTIONS]   (default 10 64)
# Writes bench/results/load_vs_wrk.json. Not a test: figures, no verdict.
set -u
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export HARE_NS_PEER=${HARE_NS_PEER:-lw-peer} HARE_NS_STACK=${HARE_NS_STACK:-lw-stack} HARE_NS_MID=${HARE_NS_MID:-lw-mid}
source "$ROOT/tests/rig/rig.sh"
DUR=${1:-10}
CONNS=${2:-64}
N=${LOAD_CG_REQUESTS:-3000}
PEER=198.18.0.2
TMP=$(mktemp -d /tmp/hare-lw.XXXXXX)
chmod 755 "$TMP"
OUT="$ROOT/bench/results/load_vs_wrk.json"
mkdir -p "$ROOT/bench/results"
cleanup() { rig_down >/dev/null 2>&1; rm -rf "$TMP"; }
trap cleanup EXIT
trap 'exit 130' INT TERM
for c in nginx wrk valgrind taskset; do
	command -v "$c" >/dev/null || { echo "load_vs_wrk: $c missing: run ./hare build" >&2; exit 1; }
done

rig_up >"$TMP/rig.log" 2>&1 || { echo "load_vs_wrk: rig_up failed: $(tail -3 "$TMP/rig.log")" >&2; exit 1; }
mkdir -p "$TMP/www"
head -c 64 /dev/zero | tr '\0' 'h' >"$TMP/www/small"
chmod -R a+rX "$TMP/www"
cat >"$TMP/nginx.conf" <<NGINX
daemon off;
worker_processes 1;
pid $TMP/nginx.pid;
error_log $TMP/nginx-error.log;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_requests 100000000;
  server { listen $PEER:80; root $TMP/www; }
}
NGINX
ip netns exec "$RIG_NS_PEER" taskset -c 1 nginx -c "$TMP/nginx.conf" -p "$TMP" >"$TMP/nginx.out" 2>&1 </dev/null &
for _ in $(seq 50); do rig_peer ss -Hltn 'sport = :80' | grep -q . && break; sleep 0.1; done

json() { /usr/bin/python3 -c "import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])" "$1" "$2"; }

run_hare() {  # NAME EXTRA-ARGS...: requests/s from the JSON
	local name=$1; shift
	timeout -k 5 $((DUR + 40)) ip netns exec "$RIG_NS_STACK" taskset -c 0 "$RIG_APPS/hare-load" \
		"$RIG_VDEV" -l 0 -- --ip 198.18.0.11/24 --url "http://$PEER/small" --quiet \
		--json "$TMP/$name.json" "$@" >"$TMP/$name.out" 2>&1 </dev/null
	json "$TMP/$name.json" requests_per_s
}
run_wrk() {
	rig_stack ip addr add 198.18.0.21/24 dev hs0
	rig_stack ip link set hs0 arp on
	rig_stack taskset -c 0 wrk -t1 -c"$CONNS" -d"${DUR}s" "http://$PEER/small" >"$TMP/wrk.out" 2>&1
	rig_stack ip addr del 198.18.0.21/24 dev hs0
	rig_stack ip link set hs0 arp off
	awk '/^Requests\/sec:/ {print $2}' "$TMP/wrk.out"
}

hare_rps=$(run_hare load -c "$CONNS" -d "$DUR")
wrk_rps=$(run_wrk)
ratio=$(awk -v a="$hare_rps" -v b="$wrk_rps" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "null" }')
hare_errs=$(json "$TMP/load.json" errors)
wrk_errs=$(awk '/Socket errors|Non-2xx/ {print}' "$TMP/wrk.out" | tr '\n' ' ')

# Instructions per request, hare-load under callgrind (-n N and -n 3N).
cg() {  # NAME COUNT TOGGLES...: Ir total
	local name=$1 count=$2; shift 2
	timeout -k 5 300 ip netns exec "$RIG_NS_STACK" valgrind --tool=callgrind \
		--callgrind-out-file="$TMP/$name.cg" "$@" "$RIG_APPS/hare-load" "$RIG_VDEV" -l 0 --no-huge -m 512 \
		-- --ip 198.18.0.12/24 --url "http://$PEER/small" -c 8 -n "$count" --quiet \
		>"$TMP/$name.out" 2>&1 </dev/null
	awk '/^(summary|totals):/ {print $2; exit}' "$TMP/$name.cg"
}
TOG=(--toggle-collect=hare_worker_input)
all1=$(cg all1 "$N"); all3=$(cg all3 $((3 * N)))
work1=$(cg work1 "$N" "${TOG[@]}"); work3=$(cg work3 $((3 * N)) "${TOG[@]}")
per_all=$(( (all3 - all1) / (2 * N) ))
per_work=$(( (work3 - work1) / (2 * N) ))

printf '%-34s %14s\n' "" "requests/s"
printf '%-34s %14.0f\n' "hare-load (af_packet, CPU 0)" "$hare_rps"
printf '%-34s %14.0f\n' "wrk -t1 (kernel, CPU 0)" "$wrk_rps"
printf '%-34s %14s\n' "ratio hare-load / wrk" "$ratio"
echo "nginx: 1 worker on CPU 1; $CONNS connections, ${DUR} s each; hare-load errors $hare_errs; wrk: ${wrk_errs:-no errors}"
echo "hare-load's own instructions per request: $per_work (received-packet processing: eth/IPv4/TCP, the response parser, the next request; callgrind, -n $N vs $((3 * N)), -c 8)"
echo "  (with busy polling: $per_all — under callgrind most of that is empty polls while nginx answers, not per-request work)"
cat >"$OUT" <<JSON
{"seconds": $DUR, "connections": $CONNS, "hare_load_rps": $hare_rps, "wrk_rps": ${wrk_rps:-null},
 "ratio": $ratio, "hare_load_errors": $hare_errs,
 "instructions_per_request_all": $per_all, "instructions_per_request_work": $per_work,
 "cpu": "$(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)", "kernel": "$(uname -r)",
 "dpdk": "$(pkg-config --modversion libdpdk)", "pmd": "net_af_packet"}
JSON
echo "written: $OUT"
