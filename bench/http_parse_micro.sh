#!/usr/bin/env bash
# bench/http_parse_micro.sh — instructions per HTTP message in hare's two
# parsers (hare-httpd's request parser, hare-load's response parser),
# counted by callgrind. Each scenario runs with N and 2N messages; the
# difference divided by N is the steady-state cost of one message. Only
# bench_req_one / bench_resp_one (the parser calls an app makes per message,
# and what they call) are counted, not the driver loop.
#
#   bench/http_parse_micro.sh [N]   default N=20000; writes bench/results/http_parse_micro.json
#
# valgrind 3.19 cannot decode AVX-512 instructions, and -march=native emits
# them on AVX-512 machines: there, point BUILD at a build directory set up
# without them, e.g.
#   meson setup /tmp/hare-cg -Dc_args=-mno-avx512f && ninja -C /tmp/hare-cg
#   BUILD=/tmp/hare-cg bench/http_parse_micro.sh
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-20000}
BUILD=${BUILD:-build}
BIN=$BUILD/bench/http_parse_micro
[ -x "$BIN" ] || { echo "http_parse_micro.sh: $BIN missing: run ./hare build first" >&2; exit 1; }
command -v valgrind >/dev/null || { echo "http_parse_micro.sh: valgrind missing: apt-get install valgrind" >&2; exit 1; }
mkdir -p bench/results
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# instructions counted for one run: scenario, count
count_ir() {
	local out="$tmp/cg.$1.$2"
	valgrind --tool=callgrind --callgrind-out-file="$out" \
		--toggle-collect=bench_req_one --toggle-collect=bench_resp_one \
		"$BIN" "$1" "$2" >/dev/null 2>"$tmp/err" || {
		cat "$tmp/err" >&2
		grep -q 'unhandled instruction' "$tmp/err" && echo "http_parse_micro.sh: valgrind cannot run AVX-512 code: use BUILD=<dir configured with -Dc_args=-mno-avx512f> (see the header)" >&2
		exit 1; }
	awk '/^(summary|totals):/ {print $2; exit}' "$out"
}

declare -A target=([req]=150 [req_curl]=0 [resp]=250 [resp_split]=400 [resp_parse]=0)
declare -A what=([req]="wrk's GET (36 B): http_req_feed + http_req_next"
		 [req_curl]="curl's GET (78 B), same"
		 [resp]="nginx 200 head (~240 B) + 615 B body, one chunk"
		 [resp_split]="the same, head and body in two chunks"
		 [resp_parse]="resp without the head memo (a new head)")
json="{\"n\": $N, \"scenarios\": {"
printf '%-11s %-52s %12s %8s\n' scenario what "instr/msg" target
sep=""
for s in req req_curl resp resp_split resp_parse; do
	a=$(count_ir "$s" "$N")
	b=$(count_ir "$s" "$((2 * N))")
	per=$(( (b - a) / N ))
	printf '%-11s %-52s %12d %8s\n' "$s" "${what[$s]}" "$per" "${target[$s]/#0/-}"
	json+="$sep\"$s\": {\"instructions_per_message\": $per, \"target\": ${target[$s]}, \"ir_n\": $a, \"ir_2n\": $b}"
	sep=", "
done
echo "$json}}" > bench/results/http_parse_micro.json
echo "written: bench/results/http_parse_micro.json"
