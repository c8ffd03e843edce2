# tests/integration/lib/check.bash — result lines for integration scripts.
#
# The runner (./hare test) counts lines that start with "PASS " or "FAIL ";
# every check prints exactly one. Source after tests/rig/rig.sh.

T_FAILED=0

t_pass() { echo "PASS $1"; }
t_fail() { echo "FAIL $1: $2"; T_FAILED=$((T_FAILED + 1)); }

# t_check NAME WHY-IF-FAILED COMMAND...: PASS when COMMAND succeeds.
t_check() {
	local name=$1 why=$2
	shift 2
	if "$@"; then t_pass "$name"; else t_fail "$name" "$why"; fi
}

# t_eq NAME GOT WANT [WHAT]: PASS when the two numbers are equal.
t_eq() {
	if [ "$2" = "$3" ]; then t_pass "$1 (${4:+$4 }$2)"; else t_fail "$1" "${4:+$4 }$2, expected $3"; fi
}

# t_ge NAME GOT MIN [WHAT]
t_ge() {
	if [ "$2" -ge "$3" ] 2>/dev/null; then t_pass "$1 (${4:+$4 }$2 >= $3)"; else t_fail "$1" "${4:+$4 }$2, expected >= $3"; fi
}

# The final counters of an app log (rig_counter reads the last block).
t_final() { rig_counter "$1" "$2"; }
