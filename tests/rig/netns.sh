# tests/rig/netns.sh — what every rig topology does to a new namespace.
# Sourced by rig.sh and impair.sh.

# hare_netns_create NS: add NS with loopback up and IPv6 off. IPv6 goes off
# before any veth end arrives (new devices take `default`), so no router
# solicitation or MLD report ever reaches hare's counters.
hare_netns_create() {
	local ns=$1
	ip netns add "$ns" || return 1
	ip -n "$ns" link set lo up || return 1
	if [ -d /proc/sys/net/ipv6 ]; then
		ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
			net.ipv6.conf.default.disable_ipv6=1 >/dev/null || return 1
	fi
}

# rig_pid_alive PID: true while PID runs (a zombie or a vanished PID is not
# running). The state is read once: a test of /proc/PID followed by a second
# read raced with bash reaping its child in between, and an empty read then
# looked like a live process (CI saw "did not stop within 10s" 170 ms after
# SIGTERM, of an app that had exited cleanly).
rig_pid_alive() {
	local line state
	{ read -r line <"/proc/$1/stat"; } 2>/dev/null || return 1
	state=${line##*) }   # comm may hold spaces and parentheses: cut at the last ")"
	state=${state%% *}
	[ -n "$state" ] && [ "$state" != Z ] && [ "$state" != X ]
}
