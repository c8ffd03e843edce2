#!/usr/bin/env bash
# tests/integration/dpdk_pair.sh — DPDK to DPDK, no kernel in the path:
# hare-load (lcore 0) against hare-httpd / hare-echo (lcore 1) over
#   virtio: net_virtio_user (the virtio datapath a VM guest runs) <-> net_vhost
#   memif:  net_memif client <-> net_memif server
# Every hare-load mode must run clean: 0 errors, responses counted, and a
# --get body byte-identical to the served file. Both ends are plain
# processes (no namespaces); each is stopped by its own PID.
set -u
cd "$(dirname "$0")/../.."
source tests/integration/lib/check.bash

B=build/apps
tmp=$(mktemp -d /tmp/hare-pair.XXXXXX)
SRV_PID=""
stop_server() {
	[ -n "$SRV_PID" ] || return 0
	kill -INT "$SRV_PID" 2>/dev/null
	for _ in $(seq 50); do kill -0 "$SRV_PID" 2>/dev/null || break; sleep 0.1; done
	kill -KILL "$SRV_PID" 2>/dev/null
	wait "$SRV_PID" 2>/dev/null
	SRV_PID=""
}
trap 'stop_server; rm -rf "$tmp"' EXIT

# Server side vdev and client side vdev of a transport.
server_vdev() {
	case $1 in
	virtio) echo "net_vhost0,iface=$tmp/vhost.sock,queues=1" ;;
	memif) echo "net_memif0,role=server,socket=$tmp/memif.sock" ;;
	esac
}
client_vdev() {
	case $1 in
	virtio) echo "net_virtio_user0,path=$tmp/vhost.sock,queues=1" ;;
	memif) echo "net_memif0,role=client,socket=$tmp/memif.sock" ;;
	esac
}

# start_server TRANSPORT APP APP-OPTIONS...: waits for `ready` (the server
# waits up to 5 s for the link, which comes up when the client attaches).
start_server() {
	local tr=$1 app=$2
	shift 2
	rm -f "$tmp/server.log"   # never read the previous server's `ready`
	"$B/$app" -l 1 --vdev "$(server_vdev "$tr")" -- --ip 198.19.5.1/24 "$@" \
		>"$tmp/server.log" 2>&1 &
	SRV_PID=$!
	for _ in $(seq 100); do
		grep -qs '^ready$' "$tmp/server.log" && return 0
		kill -0 "$SRV_PID" 2>/dev/null || break
		sleep 0.1
	done
	return 1
}

# load NAME TRANSPORT SRC LOAD-OPTIONS...: runs hare-load from 198.19.5.SRC,
# leaves JSON in $tmp/NAME.json. Each phase has its own source address: the
# server keeps TIME_WAIT (60 s) for the connections it closed, and a phase
# that reuses those 4-tuples at once measures that, not the path.
load() {
	local name=$1 tr=$2 src=$3
	shift 3
	timeout 60 "$B/hare-load" -l 0 --vdev "$(client_vdev "$tr")" -- --ip "198.19.5.$src/24" \
		--quiet --json "$tmp/$name.json" "$@" >"$tmp/$name.log" 2>&1
}

# json FILE KEY: a top-level number from hare-load's JSON.
json() { /usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$1" "$2" 2>/dev/null; }

# check_clean RUN RC: the run ended 0, with 0 errors and responses > 0.
check_clean() {
	local run=$1 rc=$2 name="pair.$1" f="$tmp/$1.json" errs resp
	errs=$(json "$f" errors)
	resp=$(json "$f" responses)
	if [ "$rc" = 0 ] && [ "$errs" = 0 ] && [ "${resp:-0}" -gt 0 ] 2>/dev/null; then
		t_pass "$name (responses $resp, errors 0)"
	else
		t_fail "$name" "exit $rc, errors ${errs:-?}, responses ${resp:-?}: $(grep -E 'Errors|port_ipackets|requests in|connections in|error' "$tmp/$run.log" | tail -4 | tr '\n' ' ')"
	fi
}

mkdir -p "$tmp/www"
head -c 64 /dev/urandom >"$tmp/www/small"
head -c $((4 << 20)) /dev/urandom >"$tmp/www/big"

for tr in virtio memif; do
	if ! start_server "$tr" hare-httpd --root "$tmp/www"; then
		t_fail "pair.$tr.httpd_start" "no ready: $(tail -3 "$tmp/server.log" | tr '\n' ' ')"
		stop_server
		continue
	fi
	# The link comes up when the client attaches; on a busy machine the
	# first handshake may wait for it. One connection first, up to 10 s,
	# so the measured runs start on a working path.
	for _ in $(seq 10); do
		load "$tr.warm" "$tr" 9 --connect 198.19.5.1:80 -n 1 -c 1 --connect-timeout 1s
		[ "$(json "$tmp/$tr.warm.json" connects_ok)" = 1 ] && break
	done
	load "$tr.url" "$tr" 2 --url http://198.19.5.1/small -c 32 -d 2; check_clean "$tr.url" $?
	load "$tr.close" "$tr" 3 --url http://198.19.5.1/small --close -c 16 -d 2; check_clean "$tr.close" $?
	load "$tr.connect" "$tr" 4 --connect 198.19.5.1:80 -c 16 -n 2000; check_clean "$tr.connect" $?
	load "$tr.get" "$tr" 5 --get http://198.19.5.1/big -o "$tmp/got"; rc=$?
	if [ $rc = 0 ] && cmp -s "$tmp/got" "$tmp/www/big"; then
		t_pass "pair.$tr.get (4 MiB identical)"
	else
		t_fail "pair.$tr.get" "exit $rc, body differs or missing: $(tail -2 "$tmp/$tr.get.log" | tr '\n' ' ')"
	fi
	stop_server
	t_check "pair.$tr.httpd_no_leak" "$(grep mbufs_in_use "$tmp/server.log")" grep -q '^mbufs_in_use 0$' "$tmp/server.log"

	if ! start_server "$tr" hare-echo --port 7; then
		t_fail "pair.$tr.echo_start" "no ready: $(tail -3 "$tmp/server.log" | tr '\n' ' ')"
		stop_server
		continue
	fi
	load "$tr.echo" "$tr" 6 --echo 198.19.5.1:7 --size 1024 -c 16 -d 2; check_clean "$tr.echo" $?
	stop_server
	t_check "pair.$tr.echo_no_leak" "$(grep mbufs_in_use "$tmp/server.log")" grep -q '^mbufs_in_use 0$' "$tmp/server.log"
done
exit $((T_FAILED > 0))
