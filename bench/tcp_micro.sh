#!/usr/bin/env bash
# bench/tcp_micro.sh — instructions per TCP event, counted by callgrind
# (this machine's perf has no hardware counters; callgrind counts the same
# on every run). Each scenario runs with N and 2N events; the difference
# divided by N is the cost of one event in steady state, set-up excluded.
# Only hare_worker_input and hare_worker_timers (and what they call) are
# counted: the fake port, frame building and the test peer are not. In
# "data" neither is the app's callback b_data (collection toggled off
# inside it: the issue counts that segment "excluding the app"); in "conn"
# the close the app calls from it is stack work and counted.
# Two rows per scenario: received checksums vouched for by the NIC (RX
# offload: virtio, physical NICs, both directions) and computed/verified in
# software (af_packet).
#
#   bench/tcp_micro.sh [N]        default N=2000; writes bench/results/tcp_micro.json
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-2000}
BIN=${TCP_MICRO_BIN:-build/bench/tcp_micro}
[ -x "$BIN" ] || { echo "tcp_micro.sh: $BIN missing: run ./hare build first" >&2; exit 1; }
command -v valgrind >/dev/null || { echo "tcp_micro.sh: valgrind missing: apt-get install valgrind" >&2; exit 1; }
mkdir -p bench/results
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# instructions counted for one run: scenario, count
count_ir() {
	local out="$tmp/cg.$1.$2"
	env ${SWCK:+TCP_MICRO_SW_CKSUM=1} valgrind --tool=callgrind --callgrind-out-file="$out" \
		--toggle-collect=hare_worker_input --toggle-collect=hare_worker_timers \
		$([ "$1" = data ] && echo --toggle-collect=b_data) \
		"$BIN" "$1" "$2" >/dev/null 2>"$tmp/err" || { cat "$tmp/err" >&2; exit 1; }
	awk '/^(summary|totals):/ {print $2; exit}' "$out"
}

# rr has no target of its own: it is the TCP part of a keep-alive request
# (issues 4 and 5 count that inside the whole request)
declare -A target=([ack]=250 [data]=400 [conn]=3000 [rr]=0)
declare -A what=([ack]="pure ACK (one full segment acknowledged)"
		 [data]="in-order data segment, 1448 B (app excluded)"
		 [conn]="server connection, SYN to TIME_WAIT reaped"
		 [rr]="request/response: 80 B in, 200 B reply out")
json="{\"n\": $N, \"scenarios\": {"
printf '%-6s %-48s %-8s %12s %8s\n' scenario what rx-cksum "instr/event" target
sep=""
for s in ack data conn rr; do
	for SWCK in "" 1; do
		a=$(count_ir "$s" "$N")
		b=$(count_ir "$s" "$((2 * N))")
		per=$(( (b - a) / N ))
		mode=${SWCK:+software}; mode=${mode:-offload}
		t=${target[$s]}; [ "$t" = 0 ] && t=-
		printf '%-6s %-48s %-8s %12d %8s\n' "$s" "${what[$s]}" "$mode" "$per" "$t"
		json+="$sep\"${s}_${mode}\": {\"instructions_per_event\": $per, \"target\": $([ "$t" = - ] && echo null || echo "$t"), \"ir_n\": $a, \"ir_2n\": $b}"
		sep=", "
	done
done
sizes=$("$BIN" sizes)
conn=$(awk '/hare_tcp_conn/ {print $3}' <<<"$sizes")
tw=$(awk '/tcp_tw/ {print $3}' <<<"$sizes")
slot=$(awk '/tcp_slot/ {print $3}' <<<"$sizes")
echo
echo "memory: connection $conn B + flow slot $slot B; TIME_WAIT entry $tw B + flow slot $slot B"
json+="}, \"sizes\": {\"conn\": $conn, \"time_wait\": $tw, \"flow_slot\": $slot}}"
echo "$json" > bench/results/tcp_micro.json
echo "written: bench/results/tcp_micro.json"
