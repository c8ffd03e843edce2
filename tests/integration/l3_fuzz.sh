#!/usr/bin/env bash
# l3_fuzz.sh — 10,000 bad, truncated and random frames from the peer
# namespace at hare-echo; no crash, leak or hang, and every frame accounted
# for in the counters.
#
# tests/integration/lib/l3fuzz.py sends the frames by category (wrong MAC,
# unknown ethertype, truncated/bad ARP, truncated IP, bad version/IHL, lying
# lengths, bad checksums, TTL 0, foreign and martian addresses, bad/short
# ICMP, IP options, UDP and unknown protocols, random bytes) and checks
# each category's counter deltas exactly (see its header). This script
# then checks that hare still answers ping, that it stops on SIGTERM with
# exit status 0, and that every mbuf went back to its pool. Set
# HARE_FUZZ_SEED to replay a run (the seed is printed).
set -u
ROOT=${HARE_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
source "$ROOT/tests/rig/rig.sh"
source "$ROOT/tests/integration/lib/check.bash"

T=l3_fuzz
IP1=198.18.0.1
LOG=$(mktemp /tmp/hare-l3_fuzz.XXXXXX.log)
cleanup() {
	rig_app_stop >/dev/null 2>&1
	rig_down >/dev/null 2>&1
	rm -f "$LOG"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if ! rig_up; then
	t_fail "$T.rig" "rig_up failed (see messages above)"
	exit 1
fi
if ! rig_app_start "$LOG" hare-echo "$RIG_VDEV" -l 0 -- --ip "$IP1/24"; then
	t_fail "$T.start" "hare-echo did not print ready"
	exit 1
fi
t_pass "$T.start (pid $RIG_APP_PID)"

# Resolve both ways first, so hare's replies during the fuzz go out at once.
out=$(rig_peer ping -c 2 -i 0.1 -W 2 "$IP1" 2>&1)
t_check "$T.ping_before" "$(grep transmitted <<<"$out")" grep -q ' 2 received' <<<"$out"

peer_mac=$(ip -n "$RIG_NS_PEER" link show "$RIG_PEER_IF" | awk '/link\/ether/ {print $2}')
rig_peer /usr/bin/python3 "$ROOT/tests/integration/lib/l3fuzz.py" --iface "$RIG_PEER_IF" \
	--dst-mac "$(rig_stack_mac)" --src-mac "$peer_mac" --our-ip "$IP1" --peer-ip "$RIG_PEER_IP" \
	--pid "$RIG_APP_PID" --log "$LOG" ${HARE_FUZZ_SEED:+--seed "$HARE_FUZZ_SEED"}
rc=$?
# exit 1: FAIL lines printed (counted by the runner); more: it crashed
[ "$rc" -eq 1 ] && T_FAILED=$((T_FAILED + 1))
[ "$rc" -gt 1 ] && t_fail "$T.fuzzer" "l3fuzz.py crashed (exit $rc)"

# Still alive and answering.
if [ -d "/proc/$RIG_APP_PID" ]; then
	out=$(rig_peer ping -c 5 -i 0.05 -W 2 "$IP1" 2>&1)
	t_check "$T.ping_after" "$(grep transmitted <<<"$out")" \
		grep -q '^5 packets transmitted, 5 received' <<<"$out"
else
	t_fail "$T.alive" "hare-echo died during the fuzz; its output: $(tail -5 "$LOG" | tr '\n' ' ')"
	exit 1
fi

rig_app_stop
t_eq "$T.exit_status" "$RIG_APP_STATUS" 0 "exit status after SIGTERM"
t_eq "$T.no_mbuf_leak" "$(awk '/^mbufs_in_use/ {print $2}' "$LOG")" 0 "mbufs_in_use at exit"
t_eq "$T.rx_vs_port" "$(rig_counter "$LOG" rx_packets)" "$(rig_counter "$LOG" port_ipackets)" \
	"stack rx_packets vs PMD ipackets"
t_ge "$T.rx_total" "$(rig_counter "$LOG" rx_packets)" 10000 "rx_packets"

[ "$T_FAILED" -eq 0 ]
