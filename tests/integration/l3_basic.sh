#!/usr/bin/env bash
# l3_basic.sh — ARP, ping and ICMP errors against hare-echo on the rig, and
# its counters against what the peer sent.
#
# hare-echo owns 198.18.0.1 and 198.18.0.3 on one port; the Linux kernel in
# netns hare-peer (198.18.0.2) talks to it over the veth pair:
#   arping -c 3 and ping -c 20 to both addresses; ping -s 1400 with a payload
#   pattern (ping itself compares every reply byte) and -s 1472 (a full
#   1500-byte packet); ping -s 1473 without DF (see below); arping to an address hare does
#   not own (no answer); UDP to a closed port (connected socket gets
#   ECONNREFUSED, which Linux reports only on a matching ICMP port
#   unreachable, quote included). Then the final counters must equal what
#   was sent: echo requests answered one for one, the oversized echoes and
#   foreign ARP counted as drops and nothing else dropped, every frame the
#   PMD received seen by the stack, no mbuf left outside the pools, a clean
#   exit on SIGTERM.
#
# Fragments on this rig (measured): the peer sends each 1501-byte echo as
# two fragments, but hare never sees them: net_af_packet joins its sockets
# to a PACKET_FANOUT group with PACKET_FANOUT_FLAG_DEFRAG, so the kernel
# reassembles IPv4 before the PMD reads the ring. hare gets one 1501-byte
# datagram, counts the echo, and cannot answer: the reply would exceed the
# 1500-byte MTU and hare neither fragments nor clears DF (drop_mtu). On a
# real NIC the fragments themselves would arrive and be dropped
# (drop_ip_fragment); the unit tests cover that path.
set -u
ROOT=${HARE_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
source "$ROOT/tests/rig/rig.sh"
source "$ROOT/tests/integration/lib/check.bash"

T=l3_basic
LOG=$(mktemp /tmp/hare-l3_basic.XXXXXX.log)
cleanup() {
	rig_app_stop >/dev/null 2>&1
	rig_down >/dev/null 2>&1
	rm -f "$LOG"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

IP1=198.18.0.1
IP2=198.18.0.3

if ! rig_up; then
	t_fail "$T.rig" "rig_up failed (see messages above)"
	exit 1
fi

# Nothing answers before hare runs: every reply below is hare's.
out=$(rig_peer ping -c 1 -W 1 "$IP1" 2>&1)
t_check "$T.silent_without_hare" "something answered $IP1 before hare started: $out" \
	grep -q ' 0 received' <<<"$out"
rig_peer ip neigh flush dev "$RIG_PEER_IF" >/dev/null 2>&1

if ! rig_app_start "$LOG" hare-echo "$RIG_VDEV" -l 0 -- --ip "$IP1/24" --ip "$IP2/24"; then
	t_fail "$T.start" "hare-echo did not print ready"
	exit 1
fi
t_pass "$T.start (pid $RIG_APP_PID)"

echo_sent=0
arp_sent=0
for ip in "$IP1" "$IP2"; do
	out=$(rig_peer arping -c 3 -w 6 -I "$RIG_PEER_IF" "$ip" 2>&1)
	t_check "$T.arping_$ip" "arping -c 3 $ip: $(tail -1 <<<"$out")" \
		grep -q '^Received 3 response' <<<"$out"
	arp_sent=$((arp_sent + 3))

	out=$(rig_peer ping -c 20 -i 0.05 -W 2 "$ip" 2>&1)
	t_check "$T.ping20_$ip" "ping -c 20 $ip: $(grep transmitted <<<"$out")" \
		grep -q '^20 packets transmitted, 20 received, 0% packet loss' <<<"$out"
	if grep -q 'DUP!' <<<"$out"; then t_fail "$T.ping20_nodup_$ip" "duplicate replies"; fi
	echo_sent=$((echo_sent + $(awk '/packets transmitted/ {print $1}' <<<"$out")))
done

# 1400-byte payload with a pattern: ping checks each reply byte and prints
# "wrong data byte" on a mismatch.
out=$(rig_peer ping -c 5 -i 0.05 -W 2 -s 1400 -p a5c3e1f00f1e3c5a "$IP1" 2>&1)
if grep -q '^5 packets transmitted, 5 received' <<<"$out" && grep -q '^1408 bytes from' <<<"$out" &&
	! grep -qiE 'wrong data|DUP!|corrupt' <<<"$out"; then
	t_pass "$T.ping_1400_payload_intact"
else
	t_fail "$T.ping_1400_payload_intact" "$(grep -iE 'transmitted|wrong|DUP' <<<"$out" | head -3 | tr '\n' ' ')"
fi
echo_sent=$((echo_sent + $(awk '/packets transmitted/ {print $1}' <<<"$out")))

# The largest echo that fits the 1500-byte MTU, DF set.
out=$(rig_peer ping -c 3 -i 0.05 -W 2 -s 1472 -M do -p 00ff "$IP2" 2>&1)
t_check "$T.ping_1472_full_mtu" "$(grep -E 'transmitted|wrong' <<<"$out" | tr '\n' ' ')" \
	grep -q '^3 packets transmitted, 3 received' <<<"$out"
echo_sent=$((echo_sent + $(awk '/packets transmitted/ {print $1}' <<<"$out")))

# One byte more, DF clear: the peer fragments, AF_PACKET reassembles (see
# the top), and hare must not answer beyond its MTU.
out=$(rig_peer ping -c 2 -i 0.2 -W 1 -s 1473 -M dont "$IP1" 2>&1)
t_check "$T.oversized_echo_not_answered" "$(grep transmitted <<<"$out")" \
	grep -q '^2 packets transmitted, 0 received' <<<"$out"
big_sent=2

# An address on the link that hare does not own: no ARP answer.
out=$(rig_peer arping -c 2 -w 3 -I "$RIG_PEER_IF" 198.18.0.4 2>&1)
t_check "$T.arping_not_ours_unanswered" "$(tail -1 <<<"$out")" \
	grep -q '^Received 0 response' <<<"$out"
foreign_arp_sent=2

# UDP to a closed port: a connected socket sees ECONNREFUSED only when an
# ICMP port unreachable quoting this datagram comes back.
out=$(rig_peer /usr/bin/python3 - "$IP1" <<'EOF' 2>&1
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(3)
s.connect((sys.argv[1], 9))
s.send(b"hare l3_basic: is anyone listening?")
try:
    s.recv(100)
    print("unexpected data")
except ConnectionRefusedError:
    print("refused")
except socket.timeout:
    print("timeout: no ICMP port unreachable")
EOF
)
t_check "$T.udp_port_unreachable" "$out" grep -qx refused <<<"$out"

# The counters, before stopping (SIGUSR1) and at exit (SIGTERM).
rig_app_snapshot "$LOG" || t_fail "$T.snapshot" "no SIGUSR1 counter block"
rig_app_stop
t_eq "$T.exit_status" "$RIG_APP_STATUS" 0 "exit status after SIGTERM"
if ! grep -q '^== stats final ==' "$LOG"; then
	t_fail "$T.final_counters" "no final counter block in the app's output"
	tail -20 "$LOG"
	exit 1
fi
c() { t_final "$LOG" "$1"; }
t_eq "$T.count_icmp_rx_echo" "$(c icmp_rx_echo)" "$((echo_sent + big_sent))" "icmp_rx_echo"
t_eq "$T.count_icmp_tx_echo_reply" "$(c icmp_tx_echo_reply)" "$echo_sent" "icmp_tx_echo_reply"
t_ge "$T.count_arp_tx_reply" "$(c arp_tx_reply)" "$arp_sent" "arp_tx_reply"
t_eq "$T.count_arp_tx_gratuitous" "$(c arp_tx_gratuitous)" 2 "arp_tx_gratuitous (one per address)"
t_eq "$T.count_udp_rx" "$(c udp_rx_datagrams)" 1 "udp_rx_datagrams"
t_eq "$T.count_icmp_tx_unreachable" "$(c icmp_tx_unreachable)" 1 "icmp_tx_unreachable"
t_eq "$T.count_drop_mtu" "$(c drop_mtu)" "$big_sent" "drop_mtu (replies over the MTU)"
t_ge "$T.count_drop_not_for_us" "$(c drop_not_for_us)" "$foreign_arp_sent" "drop_not_for_us"
t_eq "$T.count_drops_total" "$(c drops_total)" "$(($(c drop_mtu) + $(c drop_not_for_us)))" \
	"drops_total (oversized replies + foreign ARP only)"
t_eq "$T.count_rx_vs_port" "$(c rx_packets)" "$(c port_ipackets)" "stack rx_packets vs PMD ipackets"
t_eq "$T.count_tx_vs_port" "$(c tx_packets)" "$(c port_opackets)" "stack tx_packets vs PMD opackets"
t_eq "$T.no_mbuf_leak" "$(awk '/^mbufs_in_use/ {print $2}' "$LOG")" 0 "mbufs_in_use at exit"

[ "$T_FAILED" -eq 0 ]
