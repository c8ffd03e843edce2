# tests/rig/rig.sh — the namespace rig, as a library of bash functions.
#
#   source tests/rig/rig.sh
#   rig_up                 # plain topology (below); rig_up --impair OPTS... for the impaired one
#   rig_app_start LOG hare-echo "$RIG_VDEV" -l 0 -- --ip 198.18.0.1/24
#   rig_peer ping -c 3 198.18.0.1
#   rig_app_snapshot LOG; rig_counter LOG icmp_rx_echo
#   rig_app_stop           # SIGTERM by PID, waits; final counters land in LOG
#   rig_down               # kills what runs in the namespaces by PID, deletes them
#
# Plain topology (no NIC needed):
#
#   netns hare-peer                              netns hare-stack
#   hp0 198.18.0.2/24  <──── veth pair ────>  hs0 (no IP)
#   Linux kernel: ping, arping, curl,         the DPDK process opens hs0 with
#   wrk, nc, scapy                            --vdev net_af_packet0,iface=hs0
#
# hs0 has no address, ARP off and IPv6 off, so the kernel in hare-stack
# never answers or sends anything on it: every reply on the wire comes from
# hare. IPv6 is off in hare-peer too, so no router solicitation or MLD
# report reaches hare and its counters show only what a test sent (plus the
# peer kernel's own ARP).
#
# Also usable as a command: `bash tests/rig/rig.sh up|down|status` (what
# `./hare rig ...` runs).
#
# Extending: a new topology is a function rig_<name>_up that builds the
# namespaces hare-peer and hare-stack (same interface names), and rig_up
# dispatches to it on `rig_up --<name> ...`. The impaired topology lives in
# tests/rig/impair.sh (impair_up/impair_down, middle namespace hare-mid).

RIG_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=netns.sh
source "$RIG_ROOT/tests/rig/netns.sh"
# Namespace names: fixed by the brief; HARE_NS_* override them so that two
# people (or two checkouts) on one machine can each have a rig.
RIG_NS_PEER=${HARE_NS_PEER:-hare-peer}
RIG_NS_STACK=${HARE_NS_STACK:-hare-stack}
RIG_NS_MID=${HARE_NS_MID:-hare-mid}   # used by the impaired topology only
RIG_PEER_IF=hp0
RIG_STACK_IF=hs0
RIG_PEER_IP=198.18.0.2
RIG_PEER_CIDR=198.18.0.2/24
RIG_PEER_MAC=02:00:c6:12:00:02  # fixed MACs: captures and replays read alike
RIG_STACK_MAC=02:00:c6:12:00:01
RIG_VDEV="--vdev=net_af_packet0,iface=$RIG_STACK_IF"
: "${RIG_APPS:=$RIG_ROOT/build/apps}"
: "${RIG_READY_TIMEOUT:=30}"    # seconds for an app to print `ready`
: "${RIG_STOP_TIMEOUT:=10}"     # seconds between SIGTERM and SIGKILL
RIG_APP_PID=""
RIG_APP_STATUS=""

_rig_err() { echo "rig: $*" >&2; }

rig_ns_exists() { ip netns list 2>/dev/null | awk '{print $1}' | grep -qx "$1"; }

# Run a command in the peer / stack namespace.
rig_peer() { ip netns exec "$RIG_NS_PEER" "$@"; }
rig_stack() { ip netns exec "$RIG_NS_STACK" "$@"; }

_rig_need() {
	local c
	for c in ip ethtool sysctl; do
		command -v "$c" >/dev/null 2>&1 && continue
		_rig_err "'$c' not found: run ./hare build (it installs iproute2 and ethtool)"
		return 1
	done
	if [ "$(id -u)" != 0 ]; then
		_rig_err "the rig needs root (network namespaces): run as root"
		return 1
	fi
}


# The plain topology (picture above). Returns non-zero, having cleaned up,
# on any failure.
rig_plain_up() {
	{
		hare_netns_create "$RIG_NS_PEER" &&
		hare_netns_create "$RIG_NS_STACK" &&
		ip link add name "$RIG_PEER_IF" address "$RIG_PEER_MAC" netns "$RIG_NS_PEER" \
			type veth peer name "$RIG_STACK_IF" address "$RIG_STACK_MAC" \
			netns "$RIG_NS_STACK" &&
		# Peer side: checksum and segmentation offloads off. Measured here: with
		# them on, every segment the kernel sends over veth carries a partial
		# checksum (CHECKSUM_PARTIAL, the TCP/UDP sum left for a "NIC" that never
		# computes it, so AF_PACKET hands hare a wrong checksum) and TSO/GSO
		# frames reach 64 KiB, far beyond the MTU a real wire carries.
		ip netns exec "$RIG_NS_PEER" ethtool -K "$RIG_PEER_IF" \
			tx off tso off gso off gro off >/dev/null &&
		# Stack side: GRO off so AF_PACKET sees frames as sent, never merged.
		ip netns exec "$RIG_NS_STACK" ethtool -K "$RIG_STACK_IF" \
			tx off tso off gso off gro off >/dev/null &&
		ip -n "$RIG_NS_STACK" link set "$RIG_STACK_IF" arp off &&
		ip -n "$RIG_NS_PEER" addr add "$RIG_PEER_CIDR" dev "$RIG_PEER_IF" &&
		ip -n "$RIG_NS_STACK" link set "$RIG_STACK_IF" up &&
		ip -n "$RIG_NS_PEER" link set "$RIG_PEER_IF" up
	} || {
		_rig_err "building the plain rig failed (root? iproute2/ethtool installed?); cleaning up"
		rig_down
		return 1
	}
}

# rig_up [--impair HARE-IMPAIR-OPTIONS...]: tear down whatever is there,
# then build the chosen topology.
rig_up() {
	_rig_need || return 1
	rig_down || return 1
	case "${1:-}" in
	"")
		rig_plain_up
		;;
	--impair)
		shift
		if [ ! -f "$RIG_ROOT/tests/rig/impair.sh" ]; then
			_rig_err "no impaired topology in this checkout (tests/rig/impair.sh missing)"
			return 1
		fi
		# same namespace names on both topologies
		IMPAIR_NS_PEER=$RIG_NS_PEER IMPAIR_NS_MID=$RIG_NS_MID IMPAIR_NS_STACK=$RIG_NS_STACK
		# shellcheck source=impair.sh
		source "$RIG_ROOT/tests/rig/impair.sh" && impair_up "$@"
		;;
	*)
		_rig_err "unknown topology option '$1' (rig_up [--impair OPTIONS])"
		return 1
		;;
	esac
}

# Kill every process in namespace $1 by PID: TERM, then KILL after
# RIG_STOP_TIMEOUT seconds.
_rig_ns_kill() {
	local ns=$1 pids i
	pids=$(ip netns pids "$ns" 2>/dev/null)
	[ -z "$pids" ] && return 0
	kill -TERM $pids 2>/dev/null
	for i in $(seq 1 $((RIG_STOP_TIMEOUT * 10))); do
		pids=$(ip netns pids "$ns" 2>/dev/null)
		[ -z "$pids" ] && return 0
		sleep 0.1
	done
	_rig_err "processes $pids in $ns ignored SIGTERM; sending SIGKILL"
	kill -KILL $pids 2>/dev/null
	sleep 0.2
}

# Tear down every rig topology: processes first (by PID), then namespaces
# (their veth ends go with them). Safe to call when nothing is up.
rig_down() {
	local ns rc=0
	for ns in "$RIG_NS_STACK" "$RIG_NS_MID" "$RIG_NS_PEER"; do
		rig_ns_exists "$ns" || continue
		_rig_ns_kill "$ns"
		if ! ip netns del "$ns"; then
			_rig_err "could not delete namespace $ns: see 'ip netns pids $ns'"
			rc=1
		fi
	done
	RIG_APP_PID=""
	return $rc
}

rig_status() {
	local ns
	for ns in "$RIG_NS_PEER" "$RIG_NS_MID" "$RIG_NS_STACK"; do
		rig_ns_exists "$ns" || continue
		echo "netns $ns:"
		ip -n "$ns" -br addr show | sed 's/^/  /'
		local p
		for p in $(ip netns pids "$ns" 2>/dev/null); do
			echo "  pid $p: $(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null)"
		done
	done
	rig_ns_exists "$RIG_NS_PEER" || echo "rig is down"
}

# MAC address of the stack-side interface (what hare's port uses).
rig_stack_mac() { ip -n "$RIG_NS_STACK" link show "$RIG_STACK_IF" | awk '/link\/ether/ {print $2}'; }

# PIDs in the stack namespace running binary $1 (a path).
_rig_pids_of() {
	local exe want p
	want=$(readlink -f "$1")
	for p in $(ip netns pids "$RIG_NS_STACK" 2>/dev/null); do
		exe=$(readlink -f "/proc/$p/exe" 2>/dev/null) || continue
		[ "$exe" = "$want" ] && echo "$p"
	done
}

# rig_app_start LOG APP [ARGS...]: run build/apps/APP ARGS inside
# hare-stack, stdout+stderr to LOG, and wait up to RIG_READY_TIMEOUT s for
# its `ready` line. Sets RIG_APP_PID (the app's own PID, taken from
# `ip netns pids`, never a subshell's). Returns 1, with the log's tail on
# stderr, if the app exits or stays silent.
rig_app_start() {
	local log=$1 app=$2 bin pid i
	shift 2
	bin="$RIG_APPS/$app"
	RIG_APP_PID=""
	if [ ! -x "$bin" ]; then
		_rig_err "$bin not built: run ./hare build"
		return 1
	fi
	if ! rig_ns_exists "$RIG_NS_STACK"; then
		_rig_err "namespace $RIG_NS_STACK missing: rig_up (./hare rig up) first"
		return 1
	fi
	: >"$log"
	ip netns exec "$RIG_NS_STACK" "$bin" "$@" >>"$log" 2>&1 </dev/null &
	local bg=$!
	for i in $(seq 1 $((RIG_READY_TIMEOUT * 20))); do
		if grep -qx ready "$log" 2>/dev/null; then
			# `ip netns exec` execs the app, so $! is normally its PID; if a
			# wrapper came between, take the newest matching PID in the netns
			if _rig_pids_of "$bin" | grep -qx "$bg"; then
				pid=$bg
			else
				pid=$(_rig_pids_of "$bin" | sort -n | tail -1)
			fi
			if [ -n "$pid" ]; then
				RIG_APP_PID=$pid
				return 0
			fi
		fi
		if ! rig_pid_alive "$bg" && [ -z "$(_rig_pids_of "$bin")" ]; then
			_rig_err "$app exited before it was ready; its output ($log):"
			tail -20 "$log" >&2
			return 1
		fi
		sleep 0.05
	done
	_rig_err "$app printed no 'ready' within ${RIG_READY_TIMEOUT}s; its output ($log):"
	tail -20 "$log" >&2
	for pid in $(_rig_pids_of "$bin"); do kill -KILL "$pid" 2>/dev/null; done
	return 1
}

# rig_dump_threads PID: where each thread of a stuck process is (state,
# kernel wait channel, system call, and a gdb backtrace when gdb is there),
# so a hang seen once in CI can be read from its log.
rig_dump_threads() {
	local pid=$1 t
	for t in /proc/"$pid"/task/*; do
		[ -d "$t" ] || continue
		echo "rig: thread ${t##*/} $(cat "$t/comm" 2>/dev/null)" \
			"state=$(awk '{print $3}' "$t/stat" 2>/dev/null)" \
			"wchan=$(cat "$t/wchan" 2>/dev/null)" \
			"syscall=$(cut -d' ' -f1 "$t/syscall" 2>/dev/null)"
		sed 's/^/rig:   /' "$t/stack" 2>/dev/null | head -12
	done
	if command -v gdb >/dev/null; then
		timeout 60 gdb -p "$pid" -batch -nx -ex 'thread apply all bt 20' 2>&1 |
			grep -E '^(Thread|#)' | sed 's/^/rig: gdb: /' | head -120
	fi
}

# rig_app_stop [PID]: SIGTERM (default: RIG_APP_PID), wait up to
# RIG_STOP_TIMEOUT s, then SIGKILL. Sets RIG_APP_STATUS to the exit status
# (when the app is this shell's child), "killed" after SIGKILL, or "gone".
rig_app_stop() {
	local pid=${1:-$RIG_APP_PID} i
	RIG_APP_STATUS=gone
	[ -z "$pid" ] && return 0
	kill -TERM "$pid" 2>/dev/null || { RIG_APP_PID=""; return 0; }
	for i in $(seq 1 $((RIG_STOP_TIMEOUT * 20))); do
		rig_pid_alive "$pid" || break  # a zombie child is reaped by wait below
		sleep 0.05
	done
	if rig_pid_alive "$pid"; then
		_rig_err "pid $pid did not stop on SIGTERM within ${RIG_STOP_TIMEOUT}s ($i checks): SIGKILL"
		rig_dump_threads "$pid" >&2
		kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
		RIG_APP_STATUS=killed
	else
		wait "$pid" 2>/dev/null
		RIG_APP_STATUS=$?
		[ "$RIG_APP_STATUS" = 127 ] && RIG_APP_STATUS=gone  # not our child
	fi
	[ "$pid" = "$RIG_APP_PID" ] && RIG_APP_PID=""
	return 0
}

# rig_app_snapshot LOG [PID]: ask the app for a counter block (SIGUSR1) and
# wait until it is in LOG. Returns 1 if none came within 5 s.
rig_app_snapshot() {
	local log=$1 pid=${2:-$RIG_APP_PID} before i
	before=$(grep -c '^== stats snapshot' "$log")
	kill -USR1 "$pid" 2>/dev/null || return 1
	for i in $(seq 1 100); do
		# done when a newer snapshot header is followed by its end line
		if awk -v n="$before" '/^== stats snapshot/ { s++; open = (s > n) }
			/^== end ==/ && open { ok = 1 } END { exit !ok }' "$log"; then
			return 0
		fi
		sleep 0.05
	done
	_rig_err "no counter snapshot from pid $pid in $log"
	return 1
}

# rig_counter LOG NAME: NAME's value in the last complete counter block of
# LOG (0 when the block does not list it: only non-zero counters print).
# port_* names read the PMD's line of the block.
rig_counter() {
	local log=$1 name=$2
	awk -v name="$name" '
		/^== stats / { inblk = 1; delete cur; next }
		/^== end ==/ { if (inblk) { delete last; for (k in cur) last[k] = cur[k]; have = 1 } inblk = 0; next }
		inblk {
			for (i = 1; i < NF; i++) if ($i ~ /^[a-z_][a-z0-9_]*$/ && $(i + 1) ~ /^[0-9]+$/) cur[$i] = $(i + 1)
		}
		END { if (have && (name in last)) print last[name]; else print 0 }
	' "$log"
}

# Command-line use: bash tests/rig/rig.sh up [--impair ...] | down | status
if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	set -u
	case "${1:-}" in
	up)
		shift
		rig_up "$@" || exit 1
		echo "rig: up: netns $RIG_NS_PEER ($RIG_PEER_IF $RIG_PEER_CIDR) <-> netns $RIG_NS_STACK ($RIG_STACK_IF, no IP)"
		echo "rig: run an app: ip netns exec $RIG_NS_STACK build/apps/hare-echo $RIG_VDEV -- --ip 198.18.0.1/24"
		;;
	down) rig_down && echo "rig: down" ;;
	status) rig_status ;;
	*)
		echo "usage: $0 up [--impair OPTIONS] | down | status" >&2
		exit 2
		;;
	esac
fi
