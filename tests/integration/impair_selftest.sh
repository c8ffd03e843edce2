#!/usr/bin/env bash
# impair_selftest.sh — the impaired wire itself, with the Linux kernel on
# both ends (no DPDK): hare-impair (tests/tools/hare-impair.c) in netns
# hare-mid between hare-peer (198.18.0.2) and hare-stack (198.18.0.1 on hs0
# for this test only; hare's runs leave hs0 to the DPDK process).
#
#   options:   rates parse as "3%" or "0.03"; a bare "3" is refused.
#   tcp:       a 64 MiB random file crosses 3% loss, 10% reordering, 1%
#              duplication and 0.1% corruption byte-identical (sha256),
#              kernel TCP at both ends; the time is printed, not asserted.
#   rates:     per direction, each impairment's count is within 5 sigma of
#              its binomial expectation, and happened at all.
#   checksums: every corrupted frame was dropped by the receiving kernel's
#              IPv4/TCP checksum check (nstat), not delivered.
#   replay:    a fixed stream of 20000 numbered frames (impair-frames.py)
#              through the same seed twice gives the same counters and the
#              same received bytes in the same order; another seed does not.
#              The receiver's own view (lost, bad, repeated, late frames)
#              matches the forwarder's counters, and nothing loops back.
#   delay/64k: --delay-ms 20 adds 40 ms to a ping's round trip; a 65000-byte
#              ping crosses intact with MTU 65535 on all four veth ends.
#   vlan:      802.1Q tags, which the kernel hands AF_PACKET apart, are put
#              back on the frames.
#   partial:   a peer with tx checksum offload on sends partial checksums;
#              hare-impair counts them and says what to do.
#
# Every topology is torn down by impair_down (processes killed by PID from
# `ip netns pids`, namespaces deleted), also on failure or interrupt.
set -u
ROOT=${HARE_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD=${HARE_BUILD:-$ROOT/build}
: "${HARE_IMPAIR_BIN:=$BUILD/tests/tools/hare-impair}"
TMP=$(mktemp -d /tmp/hare-impair-selftest.XXXXXX)
export HARE_IMPAIR_BIN HARE_IMPAIR_LOG=$TMP/impair.log
source "$ROOT/tests/rig/impair.sh"
source "$ROOT/tests/integration/lib/check.bash"
FRAMES=$ROOT/tests/tools/impair-frames.py
PY=/usr/bin/python3

T=impair
STACK_IP=198.18.0.1
PEER=$IMPAIR_NS_PEER
STACK=$IMPAIR_NS_STACK

cleanup() {
	impair_down >/dev/null 2>&1
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ctr LINE NAME: a counter from one hare-impair stats line.
ctr() { grep -o " $2=[0-9]*" <<<"$1" | cut -d= -f2; }

# snmp NS NAME: an absolute kernel counter in NS (fresh namespaces start at 0).
snmp() {
	local v
	v=$(ip netns exec "$1" nstat -asz "$2" 2>/dev/null | awk -v n="$2" '$1 == n { print $2 }')
	echo "${v:-0}"
}

# check_rate NAME OBSERVED TRIALS P: binomial, within 5 sigma (+1 for tiny
# counts), and at least once when more than 10 are expected.
check_rate() {
	local name=$1 obs=$2 n=$3 p=$4 why
	why=$(awk -v o="$obs" -v n="$n" -v p="$p" 'BEGIN {
		e = n * p; s = sqrt(n * p * (1 - p))
		if (o < e - 5 * s - 1 || o > e + 5 * s + 1)
			printf "%d of %d is %.3f%%, expected %.3f%% (%.0f +- %.0f)", o, n, n ? 100 * o / n : 0, 100 * p, e, 5 * s
		else if (e >= 10 && o == 0)
			printf "never happened in %d frames (%.0f expected)", n, e
		else
			printf ""
	}')
	if [ -z "$why" ]; then
		t_pass "$name ($obs of $n = $(awk -v o="$obs" -v n="$n" 'BEGIN { printf "%.3f", n ? 100 * o / n : 0 }')%, configured $(awk -v p="$p" 'BEGIN { printf "%g", 100 * p }')%)"
	else
		t_fail "$name" "$why"
	fi
}

# wait_listen NS PORT: until something listens on TCP PORT in NS (5 s).
wait_listen() {
	local _
	for _ in $(seq 1 100); do
		ip netns exec "$1" ss -Hltn "sport = :$2" 2>/dev/null | grep -q . && return 0
		sleep 0.05
	done
	return 1
}

if [ ! -x "$HARE_IMPAIR_BIN" ]; then
	t_fail "$T.build" "$HARE_IMPAIR_BIN missing: run ninja -C $BUILD"
	exit 1
fi
for c in socat ethtool nstat ss sha256sum; do
	if ! command -v "$c" >/dev/null; then
		t_fail "$T.tools" "'$c' not installed: apt-get install socat ethtool iproute2 coreutils"
		exit 1
	fi
done
impair_down >/dev/null 2>&1	# like rig_up: whatever rig was up goes

# --- options -------------------------------------------------------------
a=$("$HARE_IMPAIR_BIN" --dry-run --a x --b y --loss 3% --reorder 0.1 --corrupt 0.1% 2>&1)
b=$("$HARE_IMPAIR_BIN" --dry-run --a x --b y --loss 3 2>&1)
rc=$?
if grep -q 'loss=0.03 reorder=0.1 .*corrupt=0.001 ' <<<"$a" && [ "$rc" = 2 ] &&
	grep -q '3%' <<<"$b"; then
	t_pass "$T.options (3% = 0.03; bare 3 refused)"
else
	t_fail "$T.options" "got '$a' / rc $rc '$b'"
fi

# --- TCP through the impaired wire ---------------------------------------
if ! impair_up --stack-ip "$STACK_IP/24" --loss 3% --reorder 10% --duplicate 1% \
	--corrupt 0.1% --seed 1 >/dev/null; then
	t_fail "$T.up" "impair_up failed (see messages above)"
	exit 1
fi
t_pass "$T.up (hare-impair pid $(impair_pid))"

bad_offload=""
for e in "$PEER hp0" "$IMPAIR_NS_MID hm0" "$IMPAIR_NS_MID hm1" "$STACK hs0"; do
	read -r ns dev <<<"$e"
	k=$(ip netns exec "$ns" ethtool -k "$dev")
	for f in tx-checksumming tcp-segmentation-offload generic-segmentation-offload \
		generic-receive-offload; do
		grep -q "^$f: off" <<<"$k" || bad_offload+=" $dev:$f"
	done
done
t_check "$T.offloads_off" "still on:$bad_offload" [ -z "$bad_offload" ]

head -c 64M /dev/urandom >"$TMP/src"
ip netns exec "$STACK" timeout 40 socat -u TCP-LISTEN:5001,reuseaddr \
	"OPEN:$TMP/dst,creat,trunc" 2>"$TMP/socat-rx.err" &
rx_pid=$!
if ! wait_listen "$STACK" 5001; then
	t_fail "$T.tcp_64MiB" "socat did not listen in $STACK: $(cat "$TMP/socat-rx.err")"
else
	start=$(date +%s.%N)
	ip netns exec "$PEER" timeout 40 socat -u "OPEN:$TMP/src" "TCP:$STACK_IP:5001" \
		2>"$TMP/socat-tx.err"
	tx_rc=$?
	wait "$rx_pid"
	rx_rc=$?
	secs=$(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN { printf "%.2f", e - s }')
	want=$(sha256sum <"$TMP/src" | cut -d' ' -f1)
	got=$(sha256sum <"$TMP/dst" 2>/dev/null | cut -d' ' -f1)
	if [ "$tx_rc" = 0 ] && [ "$rx_rc" = 0 ] && [ "$want" = "$got" ]; then
		t_pass "$T.tcp_64MiB (sha256 identical, ${secs} s)"
	else
		t_fail "$T.tcp_64MiB" "sender rc $tx_rc, receiver rc $rx_rc (124 = 40 s timeout)," \
			"sha256 $got want $want after ${secs} s: $(cat "$TMP"/socat-*.err)"
	fi
fi
rm -f "$TMP/src" "$TMP/dst"

stats=$(impair_stats)
for dir in a2b b2a; do
	if [ $dir = a2b ]; then
		line=$(grep ' a->b ' <<<"$stats")
		recv_ns=$STACK
	else
		line=$(grep ' b->a ' <<<"$stats")
		recv_ns=$PEER
	fi
	if [ -z "$line" ]; then
		t_fail "$T.rates.$dir" "no counters from hare-impair: $stats"
		continue
	fi
	rx=$(ctr "$line" rx)
	lost=$(ctr "$line" lost)
	passed=$((rx - $(ctr "$line" oversize) - lost - $(ctr "$line" overflow)))
	corrupted=$(ctr "$line" corrupted)
	duplicated=$(ctr "$line" duplicated)
	check_rate "$T.rates.$dir.loss" "$lost" "$rx" 0.03
	check_rate "$T.rates.$dir.reorder" "$(ctr "$line" reordered)" "$passed" 0.10
	check_rate "$T.rates.$dir.duplicate" "$duplicated" "$passed" 0.01
	check_rate "$T.rates.$dir.corrupt" "$corrupted" "$passed" 0.001
	t_eq "$T.rates.$dir.clean" "$(($(ctr "$line" txerr) + $(ctr "$line" overflow) + \
		$(ctr "$line" oversize) + $(ctr "$line" partial)))" 0 \
		"txerr+overflow+oversize+partial-checksum frames"
	# A single flipped bit always fails the Internet checksum (RFC 1071),
	# IPv4 header or TCP; a duplicated corrupt frame fails twice, a
	# corrupted ARP frame (rare) is not counted.
	errs=$(($(snmp "$recv_ns" TcpInCsumErrors) + $(snmp "$recv_ns" IpInHdrErrors)))
	if [ "$errs" -ge $((corrupted - 3)) ] && [ "$errs" -le $((corrupted + duplicated)) ] &&
		{ [ "$errs" -gt 0 ] || [ "$corrupted" = 0 ]; }; then
		t_pass "$T.checksums.$dir ($errs checksum/header drops in $recv_ns for $corrupted corrupted)"
	else
		t_fail "$T.checksums.$dir" "$recv_ns counted $errs checksum/header drops for" \
			"$corrupted corrupted frames: corruption must reach the receiver and be dropped there"
	fi
done
impair_down >/dev/null || t_fail "$T.down" "impair_down failed"

# --- replay: a fixed input through the same seed -------------------------
N=20000
# replay SEED: one run; sets RUN_LINE (a->b counters), RUN_BACK (b->a) and
# RUN_RECV (the receiver's summary).
replay() {
	RUN_LINE="" RUN_BACK="" RUN_RECV=""
	if ! impair_up --loss 3% --reorder 10% --duplicate 1% --corrupt 0.1% \
		--reorder-ms 500 --seed "$1" >/dev/null; then
		return 1
	fi
	# --reorder-ms 500: held frames leave only when overtaken (the sender
	# never pauses that long), so the order out depends on the seed alone.
	ip netns exec "$STACK" "$PY" "$FRAMES" recv hs0 --idle 1 >"$TMP/recv.out" 2>&1 &
	local rpid=$! _
	for _ in $(seq 1 100); do
		grep -q 'recv ready' "$TMP/recv.out" 2>/dev/null && break
		sleep 0.05
	done
	ip netns exec "$PEER" "$PY" "$FRAMES" send hp0 "$N" --rate 100000 >/dev/null
	wait "$rpid"
	local s
	s=$(impair_stats)
	RUN_LINE=$(grep ' a->b ' <<<"$s" | sed 's/.* rx=/rx=/')
	RUN_BACK=$(grep ' b->a ' <<<"$s" | sed 's/.* rx=/rx=/')
	RUN_RECV=$(grep '^recv count=' "$TMP/recv.out")
	impair_down >/dev/null
}

replay 7
line1=$RUN_LINE back1=$RUN_BACK recv1=$RUN_RECV
replay 7
line2=$RUN_LINE recv2=$RUN_RECV
replay 8
line3=$RUN_LINE recv3=$RUN_RECV

if [ -z "$line1" ] || [ -z "$recv1" ]; then
	t_fail "$T.replay" "the fixed-stream run produced no counters/receiver summary: '$line1' '$recv1'"
else
	t_check "$T.replay.same_seed_same_counters" "seed 7 twice: '$line1' vs '$line2'" \
		[ "$line1" = "$line2" ]
	t_check "$T.replay.same_seed_same_frames" "seed 7 twice, receiver saw '$recv1' vs '$recv2'" \
		[ "$recv1" = "$recv2" ]
	t_check "$T.replay.other_seed_differs" "seed 8 gave the same frames as seed 7: '$recv3' ($line3)" \
		test -n "$recv3" -a "$recv1" != "$recv3"

	# The receiver's view against the forwarder's counters (seed 7).
	rx=$(ctr " $line1" rx) fwd=$(ctr " $line1" fwd) lost=$(ctr " $line1" lost)
	reord=$(ctr " $line1" reordered) dupd=$(ctr " $line1" duplicated)
	corr=$(ctr " $line1" corrupted)
	count=$(ctr " $recv1" count) uniq=$(ctr " $recv1" unique) dup=$(ctr " $recv1" dup)
	late=$(ctr " $recv1" late) bad=$(ctr " $recv1" bad)
	t_eq "$T.replay.all_frames_in" "$rx" "$N" "frames into hare-impair"
	t_eq "$T.replay.no_loop" "$(ctr " $back1" rx)" 0 "frames back from the stack side"
	t_eq "$T.replay.delivered" "$count" "$fwd" "frames at the receiver vs forwarded"
	t_eq "$T.replay.intact" "$uniq" "$((N - lost - corr))" "distinct intact frames (N - lost - corrupted)"
	t_eq "$T.replay.bad_and_repeats" "$((bad + dup))" "$((corr + dupd))" \
		"corrupt + repeated at receiver vs corrupted + duplicated"
	if [ "$late" -le "$reord" ] && [ "$late" -ge $((reord - dupd - 3 * corr)) ]; then
		t_pass "$T.replay.reordered ($late frames late at the receiver, $reord held back)"
	else
		t_fail "$T.replay.reordered" "$late frames arrived late, $reord were held back"
	fi
fi

# --- delay and 64 KiB frames ---------------------------------------------
if ! impair_up --stack-ip "$STACK_IP/24" --delay-ms 20 --seed 3 >/dev/null; then
	t_fail "$T.up_delay" "impair_up --delay-ms 20 failed"
	exit 1
fi
out=$(ip netns exec "$PEER" ping -c 3 -i 0.2 -W 2 "$STACK_IP" 2>&1)
min=$(sed -n 's|.*= \([0-9.]*\)/.*|\1|p' <<<"$out")
if [ -n "$min" ] && awk -v m="$min" 'BEGIN { exit !(m >= 40 && m < 200) }'; then
	t_pass "$T.delay (ping rtt min $min ms with 20 ms each way)"
else
	t_fail "$T.delay" "ping rtt min '${min}' ms, expected 40..200: $out"
fi
for e in "$PEER hp0" "$IMPAIR_NS_MID hm0" "$IMPAIR_NS_MID hm1" "$STACK hs0"; do
	read -r ns dev <<<"$e"
	ip -n "$ns" link set "$dev" mtu 65535
done
out=$(ip netns exec "$PEER" ping -c 2 -i 0.2 -W 2 -M "do" -s 65000 -p a5 "$STACK_IP" 2>&1)
s=$(impair_stats | grep ' a->b ')
if grep -q ' 0% packet loss' <<<"$out" && [ "$(ctr "$s" oversize)" = 0 ]; then
	t_pass "$T.frames_64k (65042-byte frames both ways)"
else
	t_fail "$T.frames_64k" "ping -s 65000: $(tail -2 <<<"$out" | tr '\n' ' ') / $s"
fi

# VLAN: the kernel hands AF_PACKET a frame's 802.1Q tag apart (auxdata);
# hare-impair must put it back or tagged traffic arrives untagged. (This
# kernel has no 8021q devices, so tagged frames come from impair-frames.py.)
ip netns exec "$STACK" "$PY" "$FRAMES" recv hs0 --idle 0.5 >"$TMP/recv.out" 2>&1 &
rpid=$!
for _ in $(seq 1 100); do
	grep -q 'recv ready' "$TMP/recv.out" 2>/dev/null && break
	sleep 0.05
done
ip netns exec "$PEER" "$PY" "$FRAMES" send hp0 100 --vlan 100 >/dev/null
wait "$rpid"
r=$(grep '^recv count=' "$TMP/recv.out")
if [ "$(ctr " $r" count)" = 100 ] && [ "$(ctr " $r" vlan)" = 100 ] && [ "$(ctr " $r" unique)" = 100 ]; then
	t_pass "$T.vlan (100 frames tagged VLAN 100 arrive tagged and intact)"
else
	t_fail "$T.vlan" "100 frames with VLAN 100 sent, receiver: '$r'"
fi

# Offloads back on at the peer: its TCP SYNs carry partial checksums, which
# hare-impair must count (and warn about) rather than pass on silently.
ip netns exec "$PEER" ethtool -K hp0 tx on >/dev/null 2>&1
ip netns exec "$PEER" timeout 1 socat -u /dev/null "TCP:$STACK_IP:9,connect-timeout=0.5" \
	>/dev/null 2>&1
s=$(impair_stats | grep ' a->b ')
if [ "$(ctr "$s" partial)" -gt 0 ] && grep -q 'partial checksums' "$HARE_IMPAIR_LOG"; then
	t_pass "$T.partial_checksum_detected ($(ctr "$s" partial) frames, warning logged)"
else
	t_fail "$T.partial_checksum_detected" "peer with tx offload on, yet partial=$(ctr "$s" partial)" \
		"and no warning in the log"
fi

# --- teardown ------------------------------------------------------------
pid=$(impair_pid)
impair_down >/dev/null
left=""
for ns in "$PEER" "$IMPAIR_NS_MID" "$STACK"; do
	_impair_ns_exists "$ns" && left+=" netns:$ns"
done
# a zombie is gone for this purpose: its parent reaps it
[ -n "$pid" ] && rig_pid_alive "$pid" && left+=" pid:$pid"
t_check "$T.teardown" "left behind:$left" [ -z "$left" ]
exit $((T_FAILED > 0))
