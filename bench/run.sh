#!/usr/bin/env bash
# bench/run.sh — hare against kernel sockets, side by side, in one run.
#
#   bench/run.sh [--smoke] [-d SEC] [--scenarios LIST] [options]
#
# Every scenario measures hare and the Linux kernel on the same cores (server
# on core 1, client on core 0; BENCH_SERVER_CORE / BENCH_CLIENT_CORE), with the
# same client program and the same rig, and reports hare / kernel:
#
#   http_keepalive  wrk -t1 -c64 (peer netns) -> hare-httpd (net_af_packet, and
#                   net_af_xdp where it starts) vs nginx-light, 1 worker, on
#                   198.18.0.1:80 in the stack netns; 64 B body; req/s
#   http_close      the same with `Connection: close`: one request per
#                   connection; conn/s
#   echo            bench/echo_client (64 connections, closed loop) -> hare-echo
#                   vs bench/kernel_echo (epoll), 64 B and 1 KiB rounds/s
#   bulk            1 GiB through echo on one connection (echo_client --bulk),
#                   Gbit/s one way
#   nokernel        hare-load (client core, net_virtio_user) <-> hare-httpd
#                   (server core, net_vhost), and over net_memif, vs wrk <->
#                   nginx over loopback; keep-alive req/s and conn/s. Reports
#                   "not available: hare-load missing" until hare-load exists
#   cost            server instructions per keep-alive request: callgrind on
#                   hare-httpd (net_af_packet), N and 2N requests, subtracted,
#                   split by layer (bench/cg_layers.py); no kernel figure
#
# How both servers are reached the same way: the stack end of the veth pair
# (hs0) is hare's port for the hare runs (no IP, ARP off: the kernel stays
# silent), and gets 198.18.0.1/24 with ARP on for the kernel runs. The MAC is
# the same, so the client's command line, route and neighbour entry are
# identical. Both ends keep the rig's offload settings (checksums in
# software, no TSO/GRO), the kernel's as much as hare's.
#
# Output: a table on stdout; bench/results/run-STAMP.json (every figure, the
# raw client outputs, CPU model, kernel, DPDK version, PMDs);
# bench/results/run-STAMP.{png,svg} (ratios, gnuplot); logs in
# bench/results/run-STAMP/. bench/results/latest.* point at the newest run.
#
# Options:
#   --smoke              1 s per measurement, 32 MiB bulk, 300/600 requests
#                        for cost (checks the harness, not the speed)
#   -d, --duration SEC   seconds per measurement (default 8; a full run of
#                        every scenario takes about 4 minutes)
#   --scenarios LIST     comma-separated subset of the names above
#   --connections N      client connections (default 64)
#   --bulk-bytes N       bytes for the bulk scenario (default 1073741824)
#   --cost-requests N    N for the cost scenario (default 4000; 2N also runs)
#   --no-plot            skip gnuplot
#   --keep-rig           leave the rig up at the end (debugging)
#   --list               print the scenario names and exit
#
# Environment: BENCH_SERVER_CORE (1), BENCH_CLIENT_CORE (0), BENCH_RESULTS
# (output directory, default bench/results), HARE_BUILD (build directory),
# BENCH_CG_ARGS (more callgrind options for cost, e.g. --dump-instr=yes for
# per-instruction counts).
#
# Needs root (namespaces), a build (./hare build) and Debian's wrk,
# nginx-light, valgrind, gnuplot-nox, python3. Namespaces are
# bench-peer / bench-stack (HARE_NS_PEER / HARE_NS_STACK override), never the
# test rig's, so a benchmark and `./hare test` can share a machine. Exit 0
# when every selected scenario produced its figures (hare and kernel), 1
# otherwise; the JSON is written either way.
set -uo pipefail

ROOT=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)
cd "$ROOT" || exit 1
PY=/usr/bin/python3
ALL_SCENARIOS="http_keepalive http_close echo bulk nokernel cost"

DUR=8
SMOKE=0
SCENARIOS=$ALL_SCENARIOS
CONNS=64
BULK=1073741824
COST_N=4000
PLOT=1
KEEP_RIG=0
SC=${BENCH_SERVER_CORE:-1}
CC=${BENCH_CLIENT_CORE:-0}
BUILD=${HARE_BUILD:-$ROOT/build}

say() { echo "bench: $*" >&2; }
die() { say "$*"; exit 1; }

while [ $# -gt 0 ]; do
	case "$1" in
	--smoke) SMOKE=1; DUR=1; BULK=$((32 << 20)); COST_N=300 ;;
	-d | --duration) DUR=${2:?}; shift ;;
	--scenarios) SCENARIOS=${2:?}; SCENARIOS=${SCENARIOS//,/ }; shift ;;
	--connections) CONNS=${2:?}; shift ;;
	--bulk-bytes) BULK=${2:?}; shift ;;
	--cost-requests) COST_N=${2:?}; shift ;;
	--no-plot) PLOT=0 ;;
	--keep-rig) KEEP_RIG=1 ;;
	--list) echo "$ALL_SCENARIOS"; exit 0 ;;
	-h | --help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
	*) die "unknown option '$1' (bench/run.sh --help)" ;;
	esac
	shift
done
for s in $SCENARIOS; do
	[[ " $ALL_SCENARIOS " == *" $s "* ]] || die "unknown scenario '$s': choose from $ALL_SCENARIOS"
done
[[ "$DUR" =~ ^[0-9]+$ ]] && [ "$DUR" -ge 1 ] || die "--duration wants whole seconds >= 1"
[ "$(id -u)" = 0 ] || die "needs root (network namespaces, hugepages): run as root"
for c in wrk nginx taskset ip; do
	command -v "$c" >/dev/null || die "'$c' missing: run ./hare build (it installs wrk, nginx-light, ...)"
done
for b in apps/hare-httpd apps/hare-echo bench/echo_client bench/kernel_echo; do
	[ -x "$BUILD/$b" ] || die "$BUILD/$b not built: run ./hare build"
done
has() { [[ " $SCENARIOS " == *" $1 "* ]]; }

export HARE_NS_PEER=${HARE_NS_PEER:-bench-peer} HARE_NS_STACK=${HARE_NS_STACK:-bench-stack}
export HARE_NS_MID=${HARE_NS_MID:-bench-mid}
# shellcheck source=../tests/rig/rig.sh
source "$ROOT/tests/rig/rig.sh"

STAMP=$(date +%Y%m%d-%H%M%S)
RESULTS=${BENCH_RESULTS:-$ROOT/bench/results}   # BENCH_RESULTS: elsewhere (the smoke test)
RUN=$RESULTS/run-$STAMP
mkdir -p "$RUN/logs" "$RUN/raw" "$RUN/bin" || die "cannot create $RUN"
: >"$RUN/rows.tsv"

# A snapshot of the binaries: other people rebuild while a run goes on, and
# every figure of one run must come from one build.
for b in apps/hare-httpd apps/hare-echo apps/hare-load bench/echo_client bench/kernel_echo; do
	[ -x "$BUILD/$b" ] && cp "$BUILD/$b" "$RUN/bin/"
done
BIN=$RUN/bin
export RIG_APPS=$BIN
HAVE_LOAD=0
# (grep without -q: an early exit would SIGPIPE hare-load and fail the pipeline)
if [ -x "$BIN/hare-load" ] && "$BIN/hare-load" --help 2>&1 | grep -- '--url' >/dev/null; then HAVE_LOAD=1; fi

# ---------------------------------------------------------------- processes

PIDS=()      # everything this run started, stopped by PID on exit
SOCKS=()

# stop PID: TERM, up to 10 s, then KILL
stop_pid() {
	local pid=$1 i
	[ -z "$pid" ] && return 0
	kill -TERM "$pid" 2>/dev/null || return 0
	for i in $(seq 1 100); do
		rig_pid_alive "$pid" || break
		sleep 0.1
	done
	if rig_pid_alive "$pid"; then
		say "pid $pid ignored SIGTERM: SIGKILL"
		kill -KILL "$pid" 2>/dev/null
	fi
	wait "$pid" 2>/dev/null
	return 0
}

cleanup() {
	local p
	trap - EXIT INT TERM
	for p in "${PIDS[@]}"; do stop_pid "$p"; done
	[ "$KEEP_RIG" = 1 ] || rig_down >/dev/null 2>&1
	for p in "${SOCKS[@]}"; do rm -f "$p"; done
}
trap cleanup EXIT
trap 'say "interrupted: tearing down"; exit 130' INT TERM

# bg NS LOG CMD...: start CMD in netns NS ("" = here), output to LOG; sets BG_PID
bg() {
	local ns=$1 log=$2
	shift 2
	if [ -n "$ns" ]; then
		ip netns exec "$ns" "$@" >"$log" 2>&1 </dev/null &
	else
		"$@" >"$log" 2>&1 </dev/null &
	fi
	BG_PID=$!
	PIDS+=("$BG_PID")
}

# wait_ready LOG PID SEC: until LOG has a `ready` line; 1 if PID died or SEC passed
wait_ready() {
	local log=$1 pid=$2 i
	for i in $(seq 1 $(($3 * 10))); do
		grep -qx ready "$log" 2>/dev/null && return 0
		[ -d "/proc/$pid" ] || return 1
		sleep 0.1
	done
	return 1
}

# why LOG: the first line of LOG that looks like a reason, for a table note
why() {
	grep -m1 -iE 'error|cannot|failed|fatal|not |no such' "$1" 2>/dev/null |
		tr -d '\t"' | cut -c1-110 || echo "see $1"
}

# ensure_hugepages PAGES: at least PAGES free 2 MiB pages. Other DPDK
# processes on the machine (tests, colleagues) hold some of `./hare build`'s
# 512; a hare server with its default 8192 connections needs ~300, and
# virtio_user/vhost cannot fall back to --no-huge (they share memory through
# hugepage files), so reserve more rather than fail.
ensure_hugepages() {
	local want=$1 free total
	free=$(awk '/^HugePages_Free:/ {print $2}' /proc/meminfo)
	total=$(awk '/^HugePages_Total:/ {print $2}' /proc/meminfo)
	[ "${free:-0}" -ge "$want" ] && return 0
	if echo $((total + want - free)) >/proc/sys/vm/nr_hugepages 2>/dev/null; then
		say "reserved $((want - free)) more 2 MiB hugepages (only $free of $total free: other DPDK processes hold the rest)"
	else
		say "only $free hugepages free and cannot reserve more: hare apps may fall back to --no-huge"
	fi
}

# ---------------------------------------------------------------- rows

# row SCENARIO VARIANT HARE KERNEL UNIT NOTE: one line of the table (values
# may be "" = not measured, with NOTE saying why)
row() { printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$@" >>"$RUN/rows.tsv"; }

# raw NAME: stdin (one JSON object) saved as raw/NAME.json
raw() { cat >"$RUN/raw/$1.json"; }

# cpu_snap: the client and server cores' lines of /proc/stat
cpu_snap() { awk -v a="cpu$CC" -v b="cpu$SC" '$1 == a || $1 == b' /proc/stat; }

# cpu_record NAME BEFORE: raw/NAME.cpu.json = how busy each core was since
# BEFORE (a cpu_snap), in % of the interval: user, system, softirq+irq,
# steal (the hypervisor's), busy = all but idle. Evidence for what bounds a
# figure: a client core at 100% with the kernel server's core below it means
# the client is the limit (hare's server core always shows 100%: it polls).
cpu_record() {
	local name=$1 before=$2
	{ echo "$before" | sed 's/^/B /'; cpu_snap | sed 's/^/A /'; } | awk -v cc="cpu$CC" -v sc="cpu$SC" '
		{ t = 0; for (i = 3; i <= NF; i++) t += $i
		  k = $1 SUBSEP $2; tot[k] = t; us[k] = $3 + $4; sy[k] = $5; id[k] = $6 + $7
		  si[k] = $8 + $9; st[k] = $10 }
		END {
			printf "{"
			n = split(cc " " sc, cpus, " ")
			for (j = 1; j <= n; j++) {
				c = cpus[j]; a = "A" SUBSEP c; b = "B" SUBSEP c; d = tot[a] - tot[b]
				if (d <= 0) d = 1
				printf "%s\"%s\": {\"role\": \"%s\", \"busy_pct\": %.1f, \"user_pct\": %.1f, \"system_pct\": %.1f, \"softirq_pct\": %.1f, \"steal_pct\": %.1f}", \
					(j > 1 ? ", " : ""), c, (c == cc ? "client" : "server"), \
					100 * (d - (id[a] - id[b])) / d, 100 * (us[a] - us[b]) / d, 100 * (sy[a] - sy[b]) / d, \
					100 * (si[a] - si[b]) / d, 100 * (st[a] - st[b]) / d
			}
			print "}"
		}' | raw "$name.cpu"
}

# wrk_run NAME NS URL [wrk args...]: prints requests/s (or nothing on failure);
# raw/NAME.json gets the figures and error counts
wrk_run() {
	local name=$1 ns=$2 url=$3 log=$RUN/logs/$1.wrk.log rps err non2xx before
	shift 3
	before=$(cpu_snap)
	ip netns exec "$ns" taskset -c "$CC" wrk -t1 -c"$CONNS" -d"${DUR}s" "$@" "$url" >"$log" 2>&1
	cpu_record "$name" "$before"
	rps=$(awk '/^Requests\/sec:/ {print $2}' "$log")
	err=$(awk '/Socket errors:/ {gsub(",", ""); print $4 + $6 + $8 + $10}' "$log")
	non2xx=$(awk '/Non-2xx/ {print $NF}' "$log")
	printf '{"client": "wrk -t1 -c%s -d%ss %s %s", "requests_per_s": %s, "socket_errors": %s, "non_2xx": %s, "log": "%s"}\n' \
		"$CONNS" "$DUR" "$*" "$url" "${rps:-null}" "${err:-0}" "${non2xx:-0}" "${log#"$ROOT"/}" | raw "$name"
	echo "$rps"
}

# echo_run NAME ARGS...: echo_client in the peer netns on the client core;
# prints the figure (rounds/s or Gbit/s), raw/NAME.json gets its JSON line
echo_run() {
	local name=$1 out before
	shift
	before=$(cpu_snap)
	out=$(rig_peer taskset -c "$CC" "$BIN/echo_client" "$@" 2>"$RUN/logs/$name.err")
	cpu_record "$name" "$before"
	[ -n "$out" ] && echo "$out" | raw "$name"
	$PY -c 'import json,sys
d = json.loads(sys.argv[1]) if sys.argv[1] else {}
v = d.get("rounds_per_s", d.get("gbit_per_s"))
print("" if v is None or d.get("errors") else v)' "$out"
}

# ---------------------------------------------------------------- kernel side

# kernel_on / kernel_off: hs0 as a kernel interface with 198.18.0.1, or as hare's port
kernel_on() {
	ip -n "$RIG_NS_STACK" addr add 198.18.0.1/24 dev "$RIG_STACK_IF" &&
		ip -n "$RIG_NS_STACK" link set "$RIG_STACK_IF" arp on
}
kernel_off() {
	ip -n "$RIG_NS_STACK" addr flush dev "$RIG_STACK_IF"
	ip -n "$RIG_NS_STACK" link set "$RIG_STACK_IF" arp off
	ip -n "$RIG_NS_PEER" neigh flush dev "$RIG_PEER_IF" 2>/dev/null
	return 0
}

# nginx_start ADDR PORT: nginx-light, one worker, pinned to the server core,
# in the stack netns, answering every path with a 64-byte body (`return`:
# the lightest path nginx has, no file system). Sets NGINX_PID.
nginx_start() {
	local addr=$1 port=$2 d=$RUN/nginx-$2 body
	body=$(printf '%064d' 0 | tr 0 x)
	mkdir -p "$d"
	cat >"$d/nginx.conf" <<EOF
# written by bench/run.sh: the kernel's side of the HTTP scenarios
user root;
worker_processes 1;
daemon off;
pid $d/nginx.pid;
error_log $d/error.log warn;
events { worker_connections 16384; multi_accept on; }
http {
	access_log off;
	keepalive_requests 100000000;
	keepalive_timeout 65;
	tcp_nodelay on;
	server_tokens off;
	client_body_temp_path $d/tmp; proxy_temp_path $d/tmp; fastcgi_temp_path $d/tmp;
	uwsgi_temp_path $d/tmp; scgi_temp_path $d/tmp;
	server {
		listen $addr:$port backlog=4096;
		location / { default_type text/plain; return 200 "$body"; }
	}
}
EOF
	bg "$RIG_NS_STACK" "$RUN/logs/nginx-$port.log" taskset -c "$SC" nginx -p "$d" -c "$d/nginx.conf"
	NGINX_PID=$BG_PID
	for _ in $(seq 1 50); do
		ip netns exec "$RIG_NS_STACK" curl -s -o /dev/null -m 1 "http://$addr:$port/" && return 0
		sleep 0.1
	done
	say "nginx did not answer on $addr:$port: $(cat "$d/error.log" "$RUN/logs/nginx-$port.log" 2>/dev/null | tail -2)"
	return 1
}

# ---------------------------------------------------------------- hare side

# hare_start LOG APP VDEV ARGS...: a hare app in the stack netns on the server
# core; sets HARE_PID, returns 1 (reason in LOG) when it did not get ready
hare_start() {
	local log=$1 app=$2 vdev=$3
	shift 3
	bg "$RIG_NS_STACK" "$log" "$BIN/$app" "$vdev" -l "$SC" -- "$@"
	HARE_PID=$BG_PID
	wait_ready "$log" "$HARE_PID" 30 && return 0
	stop_pid "$HARE_PID"
	return 1
}

hare_stop() { stop_pid "$HARE_PID"; HARE_PID=""; }

# counter LOG NAME: NAME from the app's final lines (`name value`)
counter() { awk -v n="$2" '$1 == n && $2 ~ /^[0-9]+$/ {v = $2} END {print v + 0}' "$1"; }

# ---------------------------------------------------------------- scenarios

# HTTP over the veth rig: scenario 1 and 2 share each server start.
scen_http() {
	local url=http://198.18.0.1/ k_ka="" k_cl="" pmd vdev log ka cl note
	kernel_on || die "cannot give hs0 its address for the kernel runs"
	if nginx_start 198.18.0.1 80; then
		has http_keepalive && k_ka=$(wrk_run http_keepalive.kernel "$RIG_NS_PEER" "$url")
		has http_close && k_cl=$(wrk_run http_close.kernel "$RIG_NS_PEER" "$url" -H 'Connection: close')
	fi
	stop_pid "$NGINX_PID"
	kernel_off
	for pmd in af_packet af_xdp; do
		vdev="--vdev=net_${pmd}0,iface=$RIG_STACK_IF"
		log=$RUN/logs/hare-httpd.$pmd.log
		ka="" cl="" note=""
		if hare_start "$log" hare-httpd "$vdev" --ip 198.18.0.1/24 --body-size 64; then
			has http_keepalive && ka=$(wrk_run "http_keepalive.hare_$pmd" "$RIG_NS_PEER" "$url")
			has http_close && cl=$(wrk_run "http_close.hare_$pmd" "$RIG_NS_PEER" "$url" -H 'Connection: close')
			hare_stop
			[ "$(counter "$log" mbufs_in_use)" = 0 ] || note="hare-httpd leaked $(counter "$log" mbufs_in_use) mbufs at exit"
		else
			note="not available: hare-httpd on net_$pmd did not start ($(why "$log"))"
		fi
		has http_keepalive && row http_keepalive "$pmd" "$ka" "$k_ka" req/s "$note"
		has http_close && row http_close "$pmd" "$cl" "$k_cl" conn/s "$note"
	done
}

# Echo (scenario 3) and bulk (4): one server start per side.
scen_echo() {
	local side log v64 v1k vb k64="" k1k="" kb="" note=""
	for side in kernel hare; do
		v64="" v1k="" vb=""
		if [ "$side" = kernel ]; then
			kernel_on || die "cannot give hs0 its address for the kernel runs"
			log=$RUN/logs/kernel_echo.log
			bg "$RIG_NS_STACK" "$log" taskset -c "$SC" "$BIN/kernel_echo" -a 198.18.0.1 -p 7
			HARE_PID=$BG_PID
			wait_ready "$log" "$HARE_PID" 10 || { say "kernel_echo did not start: $(why "$log")"; HARE_PID=""; }
		else
			log=$RUN/logs/hare-echo.log
			hare_start "$log" hare-echo "$RIG_VDEV" --ip 198.18.0.1/24 ||
				{ note="hare-echo did not start ($(why "$log"))"; HARE_PID=""; }
		fi
		if [ -n "$HARE_PID" ]; then
			if has echo; then
				v64=$(echo_run "echo_64.$side" -a 198.18.0.1 -p 7 -c "$CONNS" -s 64 -d "$DUR")
				v1k=$(echo_run "echo_1k.$side" -a 198.18.0.1 -p 7 -c "$CONNS" -s 1024 -d "$DUR")
			fi
			has bulk && vb=$(echo_run "bulk.$side" -a 198.18.0.1 -p 7 --bulk "$BULK" -d 120)
			stop_pid "$HARE_PID"
		fi
		[ "$side" = kernel ] && { k64=$v64 k1k=$v1k kb=$vb; kernel_off; }
	done
	has echo && row echo_64B af_packet "$v64" "$k64" rounds/s "$note"
	has echo && row echo_1KiB af_packet "$v1k" "$k1k" rounds/s "$note"
	has bulk && row "bulk_$((BULK >> 20))MiB" af_packet "$vb" "$kb" Gbit/s "$note"
}

# Scenario 5: no kernel in the path. hare-load <-> hare-httpd over a shared
# memory PMD pair; the kernel's figure is wrt <-> nginx over loopback.
scen_nokernel() {
	local k_ka="" k_cl="" pair sv cv log ka cl note sock
	if nginx_start 127.0.0.1 8080; then
		k_ka=$(wrk_run nokernel_keepalive.kernel "$RIG_NS_STACK" http://127.0.0.1:8080/)
		k_cl=$(wrk_run nokernel_close.kernel "$RIG_NS_STACK" http://127.0.0.1:8080/ -H 'Connection: close')
	fi
	stop_pid "$NGINX_PID"
	for pair in vhost memif; do
		sock=$RUN/$pair.sock
		SOCKS+=("$sock")
		rm -f "$sock"
		if [ "$pair" = vhost ]; then
			sv="--vdev=net_vhost0,iface=$sock,queues=1"
			# (hare_eal adds --single-file-segments for virtio_user: vhost-user's
			# 8-region limit)
			cv="--vdev=net_virtio_user0,path=$sock,queues=1"
		else
			sv="--vdev=net_memif0,role=server,socket=$sock"
			cv="--vdev=net_memif0,role=client,socket=$sock"
		fi
		ka="" cl="" note=""
		if [ "$HAVE_LOAD" = 0 ]; then
			note="not available: hare-load missing (build/apps/hare-load)"
		else
			log=$RUN/logs/hare-httpd.$pair.log
			# the server waits for its link (up to 5 s) before `ready`: a short
			# client run brings the link up; the measured runs come after ready
			bg "" "$log" "$BIN/hare-httpd" "$sv" -l "$SC" --log-level=lib.vhost.config:error \
				-- --ip 198.18.1.1/24 --body-size 64
			HARE_PID=$BG_PID
			for _ in $(seq 1 50); do [ -S "$sock" ] && break; sleep 0.1; done
			# shellcheck disable=SC2086
			timeout 20 "$BIN/hare-load" $cv -l "$CC" -- --ip 198.18.1.2/24 \
				--url http://198.18.1.1/ -c 1 -d 1 --quiet >"$RUN/logs/hare-load.$pair.warmup.log" 2>&1
			if wait_ready "$log" "$HARE_PID" 10; then
				ka=$(load_run "nokernel_keepalive.hare_$pair" "$cv")
				cl=$(load_run "nokernel_close.hare_$pair" "$cv" --close)
			else
				note="not available: hare-httpd on net_$pair did not start ($(why "$log"))"
			fi
			stop_pid "$HARE_PID"
			[ -z "$ka$cl" ] && [ -z "$note" ] && note="hare-load over net_$pair gave no figure (see logs/hare-load.*)"
		fi
		row nokernel_keepalive "$pair" "$ka" "$k_ka" req/s "$note"
		row nokernel_close "$pair" "$cl" "$k_cl" conn/s "$note"
	done
}

# load_run NAME VDEV-ARGS [hare-load args]: prints requests/s (keep-alive) or
# connections/s (--close); raw/NAME.json is hare-load's own --json
load_run() {
	local name=$1 cv=$2 log=$RUN/logs/$1.log before
	shift 2
	before=$(cpu_snap)
	# shellcheck disable=SC2086
	timeout $((DUR + 30)) "$BIN/hare-load" $cv -l "$CC" -- --ip 198.18.1.2/24 \
		--url http://198.18.1.1/ -c "$CONNS" -d "$DUR" --quiet --json "$RUN/raw/$name.json" "$@" \
		>"$log" 2>&1
	cpu_record "$name" "$before"
	[ -s "$RUN/raw/$name.json" ] || return 0
	$PY -c 'import json,sys
d = json.load(open(sys.argv[1]))
v = d.get("connections_per_s" if sys.argv[2] == "--close" else "requests_per_s")
print("" if not v or d.get("errors") else v)' "$RUN/raw/$name.json" "${1:-}"
}

# Scenario 6: callgrind on hare-httpd. Three runs: idle (the cost of an
# empty poll, subtracted), N and 2N requests of echo_client --http on 8
# keep-alive connections. bench/cg_layers.py turns them into instructions
# per request and layers.
scen_cost() {
	local n tag log out reqs=() note="" cycles
	command -v valgrind >/dev/null || { row cost_per_request af_packet "" "" instr/request \
		"not available: valgrind missing (apt-get install valgrind)"; return; }
	for n in 0 "$COST_N" $((2 * COST_N)); do
		tag=cost.$n
		log=$RUN/logs/$tag.log
		out=$RUN/logs/$tag.callgrind
		# --no-huge: valgrind cannot map EAL's hugepage VA reservation
		# shellcheck disable=SC2086 # BENCH_CG_ARGS: extra callgrind options, split
		bg "$RIG_NS_STACK" "$log" valgrind --tool=callgrind --callgrind-out-file="$out" \
			--toggle-collect=hare_worker_run ${BENCH_CG_ARGS:-} "$BIN/hare-httpd" "$RIG_VDEV" -l "$SC" \
			--no-huge -m 700 -- --ip 198.18.0.1/24 --body-size 64 --max-conns 256
		HARE_PID=$BG_PID
		if ! wait_ready "$log" "$HARE_PID" 90; then
			note="hare-httpd under valgrind did not start ($(why "$log"))"
			stop_pid "$HARE_PID"
			break
		fi
		if [ "$n" = 0 ]; then
			sleep 1
		else
			echo_run "$tag" -a 198.18.0.1 -p 80 --http / -c 8 -n "$n" -d 120 >/dev/null
		fi
		stop_pid "$HARE_PID"
		reqs+=("$(counter "$log" httpd_requests)")
	done
	if [ -z "$note" ] && $PY bench/cg_layers.py --objdir "$BUILD" "$RUN/logs/cost.0.callgrind" \
		"${reqs[1]}" "$RUN/logs/cost.$COST_N.callgrind" "${reqs[2]}" \
		"$RUN/logs/cost.$((2 * COST_N)).callgrind" >"$RUN/raw/cost.hare.json" 2>"$RUN/logs/cost.err"; then
		cycles="perf stat cycles: not available (no hardware counters in this VM)"
		perf stat -e cycles -x, true 2>&1 | grep -q '^[0-9]' && cycles="perf stat cycles available (not used yet)"
		row cost_per_request af_packet \
			"$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["instructions_per_request"])' "$RUN/raw/cost.hare.json")" \
			"" instr/request "target <= 1500 (PMD included); kernel: no userspace equivalent; $cycles"
	else
		row cost_per_request af_packet "" "" instr/request "${note:-cg_layers.py failed: $(tail -1 "$RUN/logs/cost.err")}"
	fi
}

# ---------------------------------------------------------------- run

say "run $STAMP: scenarios: $SCENARIOS; ${DUR}s per measurement; server core $SC, client core $CC; logs in ${RUN#"$ROOT"/}"
rig_up >"$RUN/logs/rig.log" 2>&1 || die "rig_up failed: $(cat "$RUN/logs/rig.log")"
START=$SECONDS
ensure_hugepages 400
if has http_keepalive || has http_close; then scen_http; fi
if has echo || has bulk; then scen_echo; fi
has nokernel && { ensure_hugepages 700; scen_nokernel; }
has cost && scen_cost
ELAPSED=$((SECONDS - START))

cat >"$RUN/meta.json" <<EOF
{"stamp": "$STAMP", "smoke": $([ "$SMOKE" = 1 ] && echo true || echo false),
 "duration_s": $DUR, "connections": $CONNS, "bulk_bytes": $BULK, "cost_requests": $COST_N,
 "server_core": $SC, "client_core": $CC, "elapsed_s": $ELAPSED,
 "scenarios": "$SCENARIOS",
 "cpu_model": "$(lscpu | sed -n 's/^Model name: *//p' | head -1)",
 "cpus": $(nproc), "kernel": "$(uname -r)",
 "dpdk": "$(pkg-config --modversion libdpdk 2>/dev/null)",
 "nginx": "$(nginx -v 2>&1 | sed 's/.*: //')",
 "wrk": "$(wrk -v 2>&1 | head -1 | awk '{print $2}')",
 "hare_git": "$(git rev-parse --short HEAD 2>/dev/null)$(git diff --quiet 2>/dev/null || echo -dirty)",
 "hare_load": $([ "$HAVE_LOAD" = 1 ] && echo true || echo false),
 "load_avg_at_end": "$(cut -d' ' -f1-3 /proc/loadavg)"}
EOF
args=("$RUN" "$RESULTS/run-$STAMP")
[ "$PLOT" = 1 ] && args+=(--plot)
$PY bench/report.py "${args[@]}" || die "report.py failed (raw figures are in $RUN)"
for f in json png svg; do
	[ -e "$RESULTS/run-$STAMP.$f" ] && ln -sfn "run-$STAMP.$f" "$RESULTS/latest.$f"
done
# every selected scenario has both figures (or is an explained 'not available')
! awk -F'\t' '($3 == "" || ($4 == "" && $1 != "cost_per_request")) && $6 !~ /^not available/ {bad = 1} END {exit !bad}' "$RUN/rows.tsv"
