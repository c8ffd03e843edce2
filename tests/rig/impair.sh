# shellcheck shell=bash
# tests/rig/impair.sh — the impaired rig.  Source it, then call
#   impair_up [--stack-ip ADDR/LEN] [hare-impair options...]
#   impair_stats     # SIGUSR1 to hare-impair, print its latest counters
#   impair_pid       # PID of hare-impair (empty if not running)
#   impair_down      # kill everything in the three namespaces, delete them
#
# Topology (same names as the plain rig, so apps run unchanged on either):
#
#   netns hare-peer            netns hare-mid                 netns hare-stack
#   hp0 198.18.0.2/24 <-veth-> hm0 [hare-impair] hm1 <-veth-> hs0 (no IP: DPDK
#   (Linux TCP, curl, ...)                                    opens it with
#                                                             net_af_packet)
#
# hare-impair forwards every frame hm0 <-> hm1 with seeded loss, reordering,
# duplication, corruption and delay (see `hare-impair --help`; rates are
# per-frame probabilities, "3%" or "0.03").  --stack-ip puts a kernel address
# on hs0 instead, to test the wire with kernel TCP on both ends.
#
# Loss can also come from iptables in the peer namespace instead of (or on
# top of) --loss, as this kernel has no netem:
#   ip netns exec hare-peer iptables -A OUTPUT -p tcp -m statistic \
#       --mode random --probability 0.03 -j DROP     (and the same on INPUT)
# --loss is preferred: it is seeded, so a failing run replays.
#
# Offloads are off on all four veth ends: with tx checksum offload a veth
# hands AF_PACKET frames with partial checksums, and TSO/GSO/GRO would make
# 64 KiB frames.  IPv6 is off in all three namespaces so no router
# solicitations or MLD reports enter the wire: the forwarder sees only the
# test's traffic, and a seed replays exactly.
#
# Environment: HARE_IMPAIR_BIN (default build/tests/tools/hare-impair of this
# checkout), HARE_IMPAIR_LOG (default /tmp/hare-impair-hare-mid.log:
# hare-impair's ready line and counters), IMPAIR_NS_PEER/MID/STACK or
# HARE_NS_PEER/MID/STACK (namespace names).

# Namespace names: IMPAIR_NS_*, else HARE_NS_* (as rig.sh), else the
# defaults; other names only to run a second rig next to the usual one.
: "${IMPAIR_NS_PEER:=${HARE_NS_PEER:-hare-peer}}"
: "${IMPAIR_NS_MID:=${HARE_NS_MID:-hare-mid}}"
: "${IMPAIR_NS_STACK:=${HARE_NS_STACK:-hare-stack}}"
IMPAIR_PEER_IP=198.18.0.2/24
IMPAIR_PEER_MAC=02:00:c6:12:00:02
IMPAIR_STACK_MAC=02:00:c6:12:00:01
IMPAIR_MID_MAC0=02:00:c6:12:01:00
IMPAIR_MID_MAC1=02:00:c6:12:01:01
IMPAIR_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=netns.sh
source "$IMPAIR_ROOT/tests/rig/netns.sh"
: "${HARE_IMPAIR_BIN:=$IMPAIR_ROOT/build/tests/tools/hare-impair}"
: "${HARE_IMPAIR_LOG:=/tmp/hare-impair-$IMPAIR_NS_MID.log}"

_impair_err() { echo "impair: $*" >&2; }

_impair_ns_exists() { ip netns list | awk '{print $1}' | grep -qx "$1"; }

# Offloads off (see above); fails loudly so a half-configured wire is never used.
_impair_offloads_off() {
	local ns=$1 dev=$2
	if ! ip netns exec "$ns" ethtool -K "$dev" tx off tso off gso off gro off \
		>/dev/null 2>&1; then
		_impair_err "ethtool -K $dev tx off tso off gso off gro off failed in $ns;" \
			"install ethtool (apt-get install ethtool)"
		return 1
	fi
}


# PID of the hare-impair process ($HARE_IMPAIR_BIN) in hare-mid, if any.
impair_pid() {
	local pid want
	_impair_ns_exists "$IMPAIR_NS_MID" || return 0
	want=$(readlink -f "$HARE_IMPAIR_BIN")
	for pid in $(ip netns pids "$IMPAIR_NS_MID" 2>/dev/null); do
		if [ "$(readlink -f "/proc/$pid/exe" 2>/dev/null)" = "$want" ]; then
			echo "$pid"
			return 0
		fi
	done
}

impair_up() {
	local stack_ip="" ns pid _
	if [ "${1:-}" = --stack-ip ]; then
		stack_ip=${2:?--stack-ip needs ADDR/LEN, e.g. 198.18.0.1/24}
		shift 2
	fi
	if [ ! -x "$HARE_IMPAIR_BIN" ]; then
		_impair_err "$HARE_IMPAIR_BIN not built: run 'ninja -C $IMPAIR_ROOT/build'" \
			"(or set HARE_IMPAIR_BIN)"
		return 1
	fi
	for ns in "$IMPAIR_NS_PEER" "$IMPAIR_NS_MID" "$IMPAIR_NS_STACK"; do
		if _impair_ns_exists "$ns"; then
			_impair_err "namespace $ns already exists: tear the rig down first" \
				"(impair_down, or ./hare rig down)"
			return 1
		fi
	done
	# Check the options before building anything.
	if ! "$HARE_IMPAIR_BIN" --dry-run --a hm0 --b hm1 "$@" >/dev/null; then
		_impair_err "bad hare-impair options: $* (see $HARE_IMPAIR_BIN --help)"
		return 1
	fi

	{
		hare_netns_create "$IMPAIR_NS_PEER" &&
		hare_netns_create "$IMPAIR_NS_MID" &&
		hare_netns_create "$IMPAIR_NS_STACK" &&
		ip link add name hp0 address "$IMPAIR_PEER_MAC" netns "$IMPAIR_NS_PEER" type veth \
			peer name hm0 address "$IMPAIR_MID_MAC0" netns "$IMPAIR_NS_MID" &&
		ip link add name hs0 address "$IMPAIR_STACK_MAC" netns "$IMPAIR_NS_STACK" type veth \
			peer name hm1 address "$IMPAIR_MID_MAC1" netns "$IMPAIR_NS_MID" &&
		_impair_offloads_off "$IMPAIR_NS_PEER" hp0 &&
		_impair_offloads_off "$IMPAIR_NS_MID" hm0 &&
		_impair_offloads_off "$IMPAIR_NS_MID" hm1 &&
		_impair_offloads_off "$IMPAIR_NS_STACK" hs0 &&
		ip -n "$IMPAIR_NS_PEER" addr add "$IMPAIR_PEER_IP" dev hp0 &&
		ip -n "$IMPAIR_NS_MID" link set hm0 up &&
		ip -n "$IMPAIR_NS_MID" link set hm1 up &&
		ip -n "$IMPAIR_NS_PEER" link set hp0 up &&
		ip -n "$IMPAIR_NS_STACK" link set hs0 up &&
		if [ -n "$stack_ip" ]; then
			ip -n "$IMPAIR_NS_STACK" addr add "$stack_ip" dev hs0
		else
			# As in the plain rig: hs0 belongs to the DPDK process, so
			# the kernel must not answer ARP on it.
			ip -n "$IMPAIR_NS_STACK" link set hs0 arp off
		fi
	} || {
		_impair_err "building the namespaces failed (are you root?); cleaning up"
		impair_down
		return 1
	}

	# setsid: the bridge ignores the terminal's ^C and outlives the shell
	# that started it; impair_down stops it.  -w: if setsid must fork, it
	# stays to reap the bridge.  disown: a bare `wait` in the caller does
	# not block on it, yet this shell still reaps it (a double fork would
	# leave a zombie wherever PID 1 does not reap).
	: >"$HARE_IMPAIR_LOG"
	setsid -w ip netns exec "$IMPAIR_NS_MID" "$HARE_IMPAIR_BIN" --a hm0 --b hm1 "$@" \
		>>"$HARE_IMPAIR_LOG" 2>&1 </dev/null &
	disown $!
	for _ in $(seq 1 100); do
		grep -q '^hare-impair: ready' "$HARE_IMPAIR_LOG" 2>/dev/null && break
		sleep 0.05
	done
	pid=$(impair_pid)
	if [ -z "$pid" ] || ! grep -q '^hare-impair: ready' "$HARE_IMPAIR_LOG"; then
		_impair_err "hare-impair did not start; its output ($HARE_IMPAIR_LOG):"
		cat "$HARE_IMPAIR_LOG" >&2
		impair_down
		return 1
	fi
	echo "impair: up, hare-impair pid $pid: $(grep '^hare-impair: ready' "$HARE_IMPAIR_LOG" | tail -1 | cut -d' ' -f3-)"
}

# Ask hare-impair for its counters (two lines: a->b is peer->stack,
# b->a is stack->peer) and print them.
impair_stats() {
	local pid before _
	pid=$(impair_pid)
	if [ -z "$pid" ]; then
		_impair_err "hare-impair is not running (impair_up first)"
		return 1
	fi
	before=$(grep -c ' rx=' "$HARE_IMPAIR_LOG" 2>/dev/null)
	kill -USR1 "$pid" || return 1
	for _ in $(seq 1 100); do
		[ "$(grep -c ' rx=' "$HARE_IMPAIR_LOG")" -ge $((before + 2)) ] && break
		sleep 0.02
	done
	grep ' rx=' "$HARE_IMPAIR_LOG" | tail -2
}

# Kill every process in the three namespaces by PID (TERM, then KILL after
# 2 s), then delete the namespaces.  hare-impair prints its final counters to
# $HARE_IMPAIR_LOG on TERM.  Safe to call when nothing is up.
impair_down() {
	local ns pids _ rc=0
	for ns in "$IMPAIR_NS_MID" "$IMPAIR_NS_STACK" "$IMPAIR_NS_PEER"; do
		_impair_ns_exists "$ns" || continue
		pids=$(ip netns pids "$ns" 2>/dev/null)
		# shellcheck disable=SC2086 # one word per PID
		[ -n "$pids" ] && kill -TERM $pids 2>/dev/null
		for _ in $(seq 1 40); do
			pids=$(ip netns pids "$ns" 2>/dev/null)
			[ -z "$pids" ] && break
			sleep 0.05
		done
		if [ -n "$pids" ]; then
			# shellcheck disable=SC2086
			kill -KILL $pids 2>/dev/null
			sleep 0.1
		fi
		if ! ip netns del "$ns"; then
			_impair_err "could not delete namespace $ns; see 'ip netns pids $ns'"
			rc=1
		fi
	done
	return $rc
}
